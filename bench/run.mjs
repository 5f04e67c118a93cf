// npm run bench [-- --quick]: throughput (Express and Koa, tracing off and on), per-event and resolution micro
// benchmarks, memory. Prints Markdown tables and writes them to bench/results-latest.md.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureMemory, measureMiddlewareCost } from './memory.mjs';
import { measurePerEvent } from './per-event.mjs';
import { measureProfileShare } from './profile-share.mjs';
import { measureGroup } from './throughput.mjs';

const require = createRequire(import.meta.url);
const { startEnvelopeReceiver } = require('../support/envelope-receiver.cjs');
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const settings = quick
  ? { rounds: 3, seconds: 0.25, microTime: 200, memoryRequests: 10000, only: ['sentry', 'sentry-again', 'sru', 'sru-user'] }
  : { rounds: 10, seconds: 1, microTime: 2000, memoryRequests: 100000 };

import { readFileSync } from 'node:fs';
const version = (name) => JSON.parse(readFileSync(path.join(here, '..', 'node_modules', name, 'package.json'), 'utf8')).version;
const lines = [];
const out = (line = '') => {
  lines.push(line);
  console.log(line);
};

const receiver = await startEnvelopeReceiver();
const started = Date.now();
out(`# Benchmark run (${quick ? 'quick' : 'full'})`);
out();
out(`- machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`);
out(`- node ${process.version}; @sentry/node ${version('@sentry/node')}; express ${version('express')}; koa ${version('koa')}; autocannon ${version('autocannon')}; tinybench ${version('tinybench')}`);
if (quick) out('- quick mode: fewer rounds, shorter runs, and only the variants the hot-path ratio needs; `npm run bench` runs all of them');
out(`- throughput: ${settings.rounds} rounds × ${settings.seconds} s per variant, every variant in its own process, order reversed every other round, 20 connections; ratios are medians of per-round ratios`);
out();

out('## Throughput (requests that capture no event: the hot path)');
out();
for (const framework of ['express', 'koa']) {
  for (const tracing of [false, true]) {
    const rows = await measureGroup(framework, tracing, { ...settings, dsn: receiver.dsn });
    out(`### ${framework === 'express' ? 'Express' : 'Koa'}, tracing ${tracing ? 'on (tracesSampleRate 1)' : 'off'}`);
    out();
    out('| variant | req/s (median) | p50 ms | p99 ms | CPU µs/req (median) | req/s × bare | req/s × @sentry/node |');
    out('|---|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      out(`| ${row.label} | ${Math.round(row.rps)} | ${row.p50} | ${row.p99} | ${row.cpuUs.toFixed(1)} | ${Number.isFinite(row.vsBare) ? row.vsBare.toFixed(3) : '—'} | ${row.vsSentry.toFixed(3)} |`);
    }
    out();
    for (const comparison of rows.comparisons) {
      out(`- ${comparison.name}: req/s **${comparison.rps.toFixed(3)}**, CPU-bound throughput **${comparison.cpu.toFixed(3)}**`);
    }
    out();
  }
}

const direct = await measureMiddlewareCost({ iterations: quick ? 30000 : 200000, dsn: receiver.dsn });
out('## The middleware\'s own cost per request');
out();
out('Measured directly: the same loop with and without the middleware call, each iteration in a fresh per-request');
out('isolation scope as the SDK makes it; minimum of 7 alternating trials. For scale, a call to a no-op function in the same place.');
out();
out('| | per request, without | with | cost |');
out('|---|---:|---:|---:|');
for (const [name, row] of [['Express sentryUser()', direct.express], ['Koa sentryUser()', direct.koa], ['a no-op function', direct.noopCall]]) {
  out(`| ${name} | ${row.baselineNs.toFixed(0)} ns | ${row.withNs.toFixed(0)} ns | ${row.costNs.toFixed(0)} ns |`);
}
out();

out('Our share of the real server\'s busy CPU under load (V8 CPU profile, self time of functions in this package, a principal on every request, no event captured):');
out();
for (const framework of ['express', 'koa']) {
  const { share } = await measureProfileShare(framework, { seconds: quick ? 1 : 5, dsn: receiver.dsn });
  out(`- ${framework === 'express' ? 'Express' : 'Koa'}: **${(share * 100).toFixed(2)} %** → implied hot-path throughput ratio **${(1 - share).toFixed(3)}**`);
}
out();

const micro = await measurePerEvent({ time: settings.microTime });
out('## Per event');
out();
out('| task | ops/s | median µs |');
out('|---|---:|---:|');
for (const row of micro.fill) out(`| ${row.name} | ${Math.round(row.opsPerSec)} | ${row.medianUs.toFixed(2)} |`);
out();
out(`fill vs @sentry/core's path: **${(micro.fill[0].opsPerSec / micro.fill[1].opsPerSec).toFixed(2)} ×** faster`);
out();
out(`## Client address resolution (corpus of ${micro.corpusSize} requests per op: plain peer, one trusted hop, a 20-hop chain, IPv6, garbage, spoofed header)`);
out();
out('| task | ops/s | median µs |');
out('|---|---:|---:|');
for (const row of micro.resolve) out(`| ${row.name} | ${Math.round(row.opsPerSec)} | ${row.medianUs.toFixed(2)} |`);
out();
out(`resolveClientIp vs request-ip: **${(micro.resolve[0].opsPerSec / micro.resolve[1].opsPerSec).toFixed(2)} ×** the ops/s; vs proxy-addr: **${(micro.resolve[0].opsPerSec / micro.resolve[2].opsPerSec).toFixed(2)} ×**`);
out();

const memory = await measureMemory({ requests: settings.memoryRequests, dsn: receiver.dsn });
out('## Memory');
out();
out(`${memory.requests} requests through Express + @sentry/node + sentryUser(), 1 in 50 capturing an event; heap after GC:`);
out();
out(`| before | after | growth | per request |`);
out('|---:|---:|---:|---:|');
out(`| ${(memory.before / 2 ** 20).toFixed(1)} MiB | ${(memory.after / 2 ** 20).toFixed(1)} MiB | ${(memory.growthBytes / 2 ** 10).toFixed(0)} KiB | ${memory.growthBytesPerRequest.toFixed(2)} B |`);
out();
out(`(${receiver.events().length} events received by the loopback receiver during the run; total ${((Date.now() - started) / 1000).toFixed(0)} s)`);
await receiver.close();
writeFileSync(path.join(here, 'results-latest.md'), `${lines.join('\n')}\n`);
process.exit(0);
