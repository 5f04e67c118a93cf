// Quick look at the micro benchmarks alone: node bench/micro-only.mjs [ms]
import { measurePerEvent } from './per-event.mjs';
const result = await measurePerEvent({ time: Number(process.argv[2] ?? 1000) });
for (const row of [...result.fill, ...result.resolve]) console.log(`${row.name.padEnd(70)} ${Math.round(row.opsPerSec).toString().padStart(9)} ops/s  ${row.medianUs.toFixed(2)} µs`);
