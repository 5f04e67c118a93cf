// npm run bench [-- flags]: the hot-path benchmark (per-request CPU, GC, promotion and retention; Express and Koa,
// plus Fastify and Hono when the package under test has those adapters; tracing off and on), then the per-event
// and resolveClientIp micro benchmarks and (full mode) the long-run memory check. Prints Markdown and writes it to
// bench/results-latest.md (or --out).
//
// Flags:
//   --quick                 fewer rounds and requests, Express and Koa only, no memory run (under ~3 minutes)
//   --pkg [label=]DIR       the package under test: a checkout with a built dist/ (default: this repository).
//                           Repeat to compare builds of two commits in one run, e.g.
//                           --pkg landed=/tmp/wt-base --pkg head=.
//   --frameworks a,b        any of express, koa, fastify, hono (default: those every package has an adapter for)
//   --tracing off,on        (default: both)
//   --rounds N  --requests N  --traced-requests N  --warmup N  --connections N
//   --only hot-path,micro,memory
//   --v8-flags '...'        V8 flags for the measured servers (default --min-semi-space-size=16)
//   --out FILE              the Markdown (default bench/results-latest.md)
//   --json FILE             also every window's raw values, for a closer look
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGroup, variantsFor } from './hot-path/measure.mjs';
import { groupMarkdown, summaryMarkdown } from './hot-path/report.mjs';
import { measureMemory } from './memory.mjs';
import { startSink } from './sink.mjs';
import { packagesUnderTestOrExit, parseBenchArgs } from './cli-args.mjs';

const require = createRequire(import.meta.url);
const { FRAMEWORKS, FRAMEWORK_ORDER } = require('./hot-path/frameworks.cjs');
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');

const { args, quick, number } = parseBenchArgs(process.argv.slice(2), { repeatable: ['pkg'] });
const settings = {
  rounds: number('rounds', quick ? 4 : 10),
  requests: number('requests', quick ? 800 : 4000),
  tracedRequests: number('traced-requests', quick ? 250 : 1000),
  warmup: number('warmup', quick ? 1200 : 8000),
  connections: number('connections', 10),
  probeRequests: 200,
};
// The young generation starts at V8's default maximum (16 MB semi-spaces on 64-bit), where a busy server's ends up
// after warm-up anyway: without this, each process grows it at its own pace and early windows scavenge several
// times as often as late ones, differently per process. --v8-flags '' restores V8's own ramp.
const v8Flags = (args['v8-flags'] ?? '--min-semi-space-size=16').split(' ').filter(Boolean);
const sections = (args.only ?? (quick ? 'hot-path,micro' : 'hot-path,micro,memory')).split(',');

const packages = packagesUnderTestOrExit(args.pkg, repo);
const hasAdapter = (pkg, framework) => existsSync(path.join(pkg.dir, 'dist', 'cjs', 'adapters', `${FRAMEWORKS[framework].adapter}.js`));
const frameworks = args.frameworks
  ? args.frameworks.split(',')
  : FRAMEWORK_ORDER.filter((name) => (quick ? ['express', 'koa'].includes(name) : true) && packages.every((pkg) => hasAdapter(pkg, name)));
const tracingModes = (args.tracing ?? 'off,on').split(',').map((mode) => mode === 'on');

const version = (name) => JSON.parse(readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const lines = [];
const out = (line = '') => {
  lines.push(line);
  console.log(line);
};
const progress = (message) => process.stderr.write(`  … ${message}\n`);

const started = Date.now();
const sink = await startSink();
out(`# Benchmark run (${quick ? 'quick' : 'full'}), ${new Date().toISOString()}`);
out();
out(`- machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; load average at start ${loadavg()} (other processes share these cores)`);
out(`- node ${process.version}; @sentry/node ${version('@sentry/node')}; express ${version('express')}; koa ${version('koa')}; fastify ${version('fastify')}; hono ${version('hono')}; autocannon ${version('autocannon')}`);
out(`- measured servers: node ${['--trace-gc-nvp', '--expose-gc', ...v8Flags].join(' ')}`);
out(`- package under test: ${packages.map((pkg) => `${pkg.label} = ${pkg.dir}`).join('; ')}`);
out();

const allVerdicts = [];
const raw = [];
if (sections.includes('hot-path')) {
  out('## Hot path: requests that capture no event');
  out();
  out(`Per group, every variant runs in its own server process (\`--trace-gc-nvp --expose-gc\`); the load comes from this`);
  out(`process (autocannon, ${settings.connections} keep-alive connections on 127.0.0.1). ${settings.rounds} rounds; each round runs a window of a fixed number of`);
  out(`requests (${settings.requests} tracing off, ${settings.tracedRequests} tracing on; after ${settings.warmup} / ${Math.round(settings.warmup / 4)} warm-up requests per server) against every variant, the order reversed`);
  out('every other round. Per window: the server process\'s CPU time (`process.cpuUsage()`: all its threads, V8\'s GC');
  out('helpers included), its GC time (`PerformanceObserver` "gc"), and the bytes its scavenges promoted to the old');
  out('generation (sum of `promoted=`). Values are medians over rounds; ratios and differences are paired within a round,');
  out('then the median is taken. After the last window, a retention probe: 200 more requests on keep-alive connections');
  out('that stay open, a WeakRef to each Node request and framework object, 20 ms, a forced full GC, and a count of what is still');
  out('alive; then again 1.5 s later (after @sentry/node 11\'s 500 ms span-flush timers), connections closed.');
  out();
  out('Every app is the same but for one layer: Sentry\'s own set-up for the framework, an "auth" layer that puts a fresh');
  out('principal on the request, then the variant\'s layer (nothing; a no-op middleware; a hand-written `Sentry.setUser`');
  out('middleware; `sentryUser()`), then a route that answers "ok". No request captures an event.');
  out();
  out('The **noise floor** of a group is read from its A/A control (two identical copies of the app without us): the larger');
  out('of how far its median ratio is from 1 and half the interquartile range of its per-round ratios. A difference inside');
  out('it is not evidence either way.');
  out();
  for (const framework of frameworks) {
    for (const tracing of tracingModes) {
      const title = `${FRAMEWORKS[framework].label}, tracing ${tracing ? 'on (tracesSampleRate 1)' : 'off'}`;
      progress(`${title} (load ${loadavg()})`);
      const load = loadavg();
      const groupStarted = Date.now();
      const { rows, notes } = await runGroup({
        framework,
        tracing,
        variants: variantsFor(packages.filter((pkg) => hasAdapter(pkg, framework))),
        rounds: settings.rounds,
        requests: tracing ? settings.tracedRequests : settings.requests,
        warmup: tracing ? Math.round(settings.warmup / 4) : settings.warmup,
        probeRequests: settings.probeRequests,
        connections: settings.connections,
        maxSeconds: 120,
        dsn: sink.dsn,
        progress,
        v8Flags,
      });
      raw.push({ framework, tracing, load, rows, notes });
      const { lines: groupLines, verdicts } = groupMarkdown({ title, rows, notes, objectName: FRAMEWORKS[framework].objectName });
      for (const line of groupLines) out(line);
      out(`(${((Date.now() - groupStarted) / 1000).toFixed(0)} s; load average ${load} before, ${loadavg()} after)`);
      out();
      allVerdicts.push(...verdicts);
    }
  }
  out('### Summary: sentryUser() against the targets');
  out();
  out('Targets: CPU/req and GC/1k ≤ 1.01 × the app without us (and within noise of the no-op layer), promoted bytes/req');
  out('− the no-op layer ≈ 0, 0 retained. In brackets: the A/A control\'s median and the noise floor.');
  out();
  for (const line of summaryMarkdown(allVerdicts)) out(line);
  out();
}

if (sections.includes('micro')) {
  // Each build in turn, in this process (tinybench; medians move with the machine's load, so builds are compared
  // within one run).
  for (const pkg of packages) {
    // A module instance per build: its task closures are its own, so no call site is shared (and made polymorphic)
    // between builds, which made the same SDK path read differently by the order of the builds.
    const { measurePerEvent } = await import(`./per-event.mjs?build=${encodeURIComponent(pkg.label)}`);
    const micro = await measurePerEvent({ time: quick ? 300 : 2000, packageDir: pkg.dir });
    out(`## Per event (${pkg.label})`);
    out();
    if (micro.fill) {
      out('| task | ops/s | median µs |');
      out('|---|---:|---:|');
      for (const row of micro.fill) out(`| ${row.name} | ${Math.round(row.opsPerSec)} | ${row.medianUs.toFixed(2)} |`);
      out();
      out(`fill vs @sentry/core's path: **${(micro.fill[0].opsPerSec / micro.fill[1].opsPerSec).toFixed(2)} ×** faster`);
    } else {
      out(`not measured: ${micro.fillUnavailable}`);
    }
    out();
    out(`## Client address resolution (${pkg.label}; corpus of ${micro.corpusSize} requests per op: plain peer, one trusted hop, a 20-hop chain, IPv6, garbage, spoofed header)`);
    out();
    out('| task | ops/s | median µs |');
    out('|---|---:|---:|');
    for (const row of micro.resolve) out(`| ${row.name} | ${Math.round(row.opsPerSec)} | ${row.medianUs.toFixed(2)} |`);
    out();
    out(`resolveClientIp vs request-ip: **${(micro.resolve[0].opsPerSec / micro.resolve[1].opsPerSec).toFixed(2)} ×** the ops/s; vs proxy-addr: **${(micro.resolve[0].opsPerSec / micro.resolve[2].opsPerSec).toFixed(2)} ×**`);
    out();
  }
}

if (sections.includes('memory')) {
  const memory = await measureMemory({ requests: quick ? 10000 : 100000, dsn: sink.dsn, packageDir: packages.at(-1).dir });
  out(`## Memory (${packages.at(-1).label})`);
  out();
  out(`${memory.requests} requests through Express + @sentry/node + sentryUser(), 1 in 50 capturing an event; heap after GC:`);
  out();
  out('| before | after | growth | per request |');
  out('|---:|---:|---:|---:|');
  out(`| ${(memory.before / 2 ** 20).toFixed(1)} MiB | ${(memory.after / 2 ** 20).toFixed(1)} MiB | ${(memory.growthBytes / 2 ** 10).toFixed(0)} KiB | ${memory.growthBytesPerRequest.toFixed(2)} B |`);
  out();
}

out(`(total ${((Date.now() - started) / 1000).toFixed(0)} s; ${sink.stats().envelopes} envelopes reached the loopback sink; load average at the end ${loadavg()})`);
await sink.close();
writeFileSync(args.out ? path.resolve(args.out) : path.join(here, 'results-latest.md'), `${lines.join('\n')}\n`);
if (args.json) writeFileSync(path.resolve(args.json), JSON.stringify({ settings, packages, groups: raw }, null, 1));
process.exit(0);
