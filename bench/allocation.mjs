// npm run bench:allocation [-- flags]: what each variant makes V8 allocate and collect per request, counted from V8's
// own GC trace (--trace-gc-nvp) over one long window per server process: bytes allocated, scavenges and
// mark-compacts, and bytes promoted by scavenges. Allocated bytes are the heap's growth between GCs: from the live
// bytes at the window's start (`used_heap_size`) to the first GC's `total_size_before`, each GC's `total_size_after`
// to the next one's `total_size_before`, the last one's to the live bytes at the window's end. These are counts, not
// times: what a process allocates does not depend on how fast it runs. They still differ between processes of the same
// variant (V8 compiles and tiers code up at different moments): read a difference against the A/A pair's. Same servers
// and variants as the hot-path benchmark (hot-path/server.cjs), each in its own process, alternated (the order
// reversed every other round).
//
// Flags:
//   --pkg [label=]DIR       the package under test (default: this repository); repeat to compare builds
//   --frameworks a,b        any of express, koa, fastify, hono (default: express,koa)
//   --tracing off,on        (default: off)
//   --processes N           server processes per variant (default 2), pooled
//   --requests N            requests in the counted window (default 100000; tracing on: a third)
//   --warmup N              requests before it (default 20000; tracing on: a third)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagesUnderTestOrExit, parseBenchArgs } from './cli-args.mjs';
import { load, startServer, variantsFor } from './hot-path/measure.mjs';
import { startSink } from './sink.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { args, number } = parseBenchArgs(process.argv.slice(2), { repeatable: ['pkg'] });
const packages = packagesUnderTestOrExit(args.pkg, path.join(here, '..'));
const frameworks = (args.frameworks ?? 'express,koa').split(',');
const tracingModes = (args.tracing ?? 'off').split(',').map((mode) => mode === 'on');
const processes = number('processes', 2);
const variants = variantsFor(packages);

/**
 * The GCs of the isolate that ran the app (the one with the most GCs: the SDK's module-loader hooks run on a worker
 * thread with an isolate of its own), in order: kind (`s` scavenge, `mc`/`ms` mark-compact), live bytes before and
 * after, promoted.
 */
function gcsOfMainIsolate(text) {
  const byIsolate = new Map();
  for (const line of text.split('\n')) {
    const isolate = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1];
    const kind = / gc=(\w+) /.exec(line)?.[1];
    if (isolate === undefined || kind === undefined) continue;
    const field = (name) => Number(new RegExp(` ${name}=(\\d+)`).exec(line)?.[1] ?? Number.NaN);
    if (!byIsolate.has(isolate)) byIsolate.set(isolate, []);
    byIsolate.get(isolate).push({ kind, sizeBefore: field('total_size_before'), sizeAfter: field('total_size_after'), promoted: field('promoted') });
  }
  return [...byIsolate.values()].sort((a, b) => b.length - a.length)[0] ?? [];
}

/** One server: warm up, then count the GCs of one window. */
async function measure({ framework, tracing, variant, dsn, dir, tag }) {
  const traceFile = path.join(dir, `${tag}.nvp`);
  const server = await startServer({ framework, variant, tracing, dsn, traceFile, v8Flags: ['--min-semi-space-size=16'] });
  try {
    await load(server.port, { requests: number('warmup', tracing ? 6667 : 20000), connections: 10, maxSeconds: 600 });
    await server.control('settle');
    const usedAtStart = await server.control('heapUsed');
    const before = gcsOfMainIsolate(readFileSync(traceFile, 'utf8')).length;
    const { completed } = await load(server.port, { requests: number('requests', tracing ? 33333 : 100000), connections: 10, maxSeconds: 900 });
    const usedAtEnd = await server.control('heapUsed');
    const gcs = gcsOfMainIsolate(readFileSync(traceFile, 'utf8')).slice(before);
    const total = (pick) => gcs.reduce((sum, gc) => sum + pick(gc), 0);
    let allocated = 0;
    let live = usedAtStart;
    for (const gc of gcs) {
      allocated += gc.sizeBefore - live;
      live = gc.sizeAfter;
    }
    allocated += usedAtEnd - live;
    return {
      completed,
      allocatedPerReq: allocated / completed,
      scavengesPer1k: (1000 * gcs.filter((gc) => gc.kind === 's').length) / completed,
      markCompactsPer100k: (100000 * gcs.filter((gc) => gc.kind !== 's').length) / completed,
      promotedPerReq: total((gc) => (gc.kind === 's' ? gc.promoted : 0)) / completed,
    };
  } finally {
    server.child.disconnect();
    await server.exited;
  }
}

const sink = await startSink();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sru-allocation-'));
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
const signedBytes = (bytes) => `${bytes >= 0 ? '+' : '−'}${Math.abs(bytes) < 1024 ? `${Math.abs(bytes).toFixed(0)} B` : kb(Math.abs(bytes))}`;
const lines = [
  `# Allocation per request, ${new Date().toISOString()}`,
  '',
  `- node ${process.version}; ${os.cpus().length} × ${os.cpus()[0]?.model}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at start`,
  `- per variant: ${processes} server process(es) (\`--trace-gc-nvp --min-semi-space-size=16\`), each counted over one window after its warm-up; the mean over processes`,
  `- packages under test: ${packages.map((pkg) => `${pkg.label} = ${pkg.dir}`).join('; ')}`,
];
try {
  for (const framework of frameworks) {
    for (const tracing of tracingModes) {
      const results = new Map(variants.map((variant) => [variant.key, []]));
      for (let round = 0; round < processes; round++) {
        for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
          const result = await measure({ framework, tracing, variant, dsn: sink.dsn, dir, tag: `${framework}-${tracing}-${round}-${variant.key.replace(/\W+/g, '_')}` });
          results.get(variant.key).push(result);
          process.stderr.write(`  … ${framework}, tracing ${tracing ? 'on' : 'off'}, ${variant.key} #${round + 1}: ${kb(result.allocatedPerReq)}/req allocated, ${result.scavengesPer1k.toFixed(2)} scavenges/1k\n`);
        }
      }
      const mean = (key, pick) => results.get(key).reduce((sum, result) => sum + pick(result), 0) / results.get(key).length;
      const spread = (key, pick) => results.get(key).map((result) => pick(result));
      const base = mean('none', (r) => r.allocatedPerReq);
      const noop = mean('noop', (r) => r.allocatedPerReq);
      lines.push('', `## ${framework}, tracing ${tracing ? 'on' : 'off'}`, '');
      lines.push('| variant | allocated /req (per process) | Δ vs without us | Δ vs no-op layer | scavenges /1k req | mark-compacts /100k req | promoted /req |');
      lines.push('|---|---:|---:|---:|---:|---:|---:|');
      for (const variant of variants) {
        const allocated = mean(variant.key, (r) => r.allocatedPerReq);
        lines.push(
          `| ${variant.label} | ${kb(allocated)} (${spread(variant.key, (r) => kb(r.allocatedPerReq)).join(', ')}) | ${variant.key === 'none' ? '—' : signedBytes(allocated - base)} | ${variant.key === 'noop' ? '—' : signedBytes(allocated - noop)} | ` +
            `${mean(variant.key, (r) => r.scavengesPer1k).toFixed(2)} | ${mean(variant.key, (r) => r.markCompactsPer100k).toFixed(1)} | ${kb(mean(variant.key, (r) => r.promotedPerReq))} |`,
        );
      }
      lines.push('', 'Read each Δ against the A/A copy\'s distance from the app without us, and each variant against the spread of its own processes: that is the noise floor.');
    }
  }
} finally {
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(lines.join('\n'));
