// npm run bench:profile-share [-- flags]: how much of a server's CPU samples are spent inside our calls. The same
// measured servers as the hot-path benchmark (hot-path/server.cjs, the sentryUser() variant), V8's sampling profiler
// (node:inspector, 100 µs) over a window of requests after a warm-up. A sample is ours when, walking its stack from
// the innermost frame out, a frame of the package under test comes before any frame of the framework or of the app
// (so what we hand on to — `next()`, the rest of the request — is not ours, while the SDK calls and builtins we make
// are). GC samples ("(garbage collector)") count in the total, never as ours, so this is a lower bound next to the
// promoted bytes and GC time of `npm run bench`, and a
// direct one, where the instruction counts of `npm run bench:instructions` compare whole processes whose spread
// between processes is about as large as the whole middleware (bench/RESULTS.md).
//
// Flags:
//   --pkg [label=]DIR       the package under test (default: this repository); repeat to profile several builds
//   --frameworks a,b        any of express, koa, fastify, hono (default: express,koa)
//   --tracing off,on        (default: both)
//   --requests N            requests in the profiled window (default 20000; tracing on: a third)
//   --warmup N              requests before it (default 20000; tracing on: a third)
//   --processes N           servers per group and build, each profiled once (default 2)
//   --leaves 1              also print (stderr) the innermost frames of the samples inside our calls
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, startServer } from './hot-path/measure.mjs';
import { packagesUnderTestOrExit, parseBenchArgs } from './cli-args.mjs';
import { startSink } from './sink.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { args, number } = parseBenchArgs(process.argv.slice(2), { repeatable: ['pkg'] });
const packages = packagesUnderTestOrExit(args.pkg, path.join(here, '..'));
const frameworks = (args.frameworks ?? 'express,koa').split(',');
const tracingModes = (args.tracing ?? 'off,on').split(',').map((mode) => mode === 'on');
const processes = number('processes', 2);

/**
 * Frames of the framework and of the bench app: where our part of a stack ends. (Under @sentry/node 8–10 the
 * OpenTelemetry Express instrumentation wraps `next` in a package of its own, which would count as ours: an overstatement.)
 */
const HANDED_ON = /node_modules\/(express|router|koa|koa-compose|fastify|avvio|find-my-way|hono|@hono)\/|bench\/hot-path\/frameworks\.cjs/;

/** Share of samples inside our calls, and the top entry points (the outermost frame of ours in each such stack). */
function shareOf(profile, packageDir) {
  const ours = (url) => url.startsWith(`file://${packageDir}/dist/`) || url.startsWith(`${packageDir}/dist/`);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const verdict = new Map(); // node id → entry name of ours, or null
  const entryOf = (id) => {
    if (verdict.has(id)) return verdict.get(id);
    let result = null;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const { url } = byId.get(cur).callFrame;
      if (HANDED_ON.test(url)) break;
      if (ours(url)) {
        let top = cur;
        for (let up = parent.get(cur); up !== undefined && ours(byId.get(up).callFrame.url); up = parent.get(up)) top = up;
        const frame = byId.get(top).callFrame;
        result = `${frame.functionName || '(anonymous)'} (${path.basename(frame.url)}:${frame.lineNumber + 1})`;
        break;
      }
    }
    verdict.set(id, result);
    return result;
  };
  const entries = new Map();
  const leaves = new Map();
  let inside = 0;
  let busy = 0;
  for (const id of profile.samples) {
    const name = byId.get(id).callFrame.functionName;
    if (name === '(idle)') continue;
    busy++;
    const entry = entryOf(id);
    if (entry === null) continue;
    inside++;
    entries.set(entry, (entries.get(entry) ?? 0) + 1);
    const leaf = byId.get(id).callFrame;
    const leafName = `${leaf.functionName || '(anonymous)'} (${leaf.url === '' ? 'native' : path.basename(leaf.url)}:${leaf.lineNumber + 1})`;
    leaves.set(leafName, (leaves.get(leafName) ?? 0) + 1);
  }
  return { busy, inside, entries, leaves };
}

const sink = await startSink();
const lines = [
  `# Share of CPU samples inside our calls, ${new Date().toISOString()}`,
  '',
  `- node ${process.version}; ${os.cpus().length} × ${os.cpus()[0]?.model}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at start`,
  `- per group and build: ${processes} server process(es), each profiled over one window after its warm-up (V8's sampling profiler, 100 µs); idle samples left out`,
  '',
  '| group | build | process | busy samples | inside our calls | top entry points |',
  '|---|---|---:|---:|---:|---|',
];
for (const framework of frameworks) {
  for (const tracing of tracingModes) {
    const requests = number('requests', tracing ? 6667 : 20000);
    const warmup = number('warmup', tracing ? 6667 : 20000);
    for (let i = 0; i < processes; i++) {
      for (const pkg of packages) {
        const server = await startServer({
          framework,
          variant: { key: `sru:${pkg.label}`, layer: 'sru', packageDir: pkg.dir },
          tracing,
          dsn: sink.dsn,
          traceFile: '/dev/null',
          v8Flags: ['--min-semi-space-size=16'],
        });
        await load(server.port, { requests: warmup, connections: 10, maxSeconds: 600 });
        await server.control('profileStart');
        await load(server.port, { requests, connections: 10, maxSeconds: 600 });
        const profile = await server.control('profileStop');
        server.child.disconnect();
        await server.exited;
        const { busy, inside, entries, leaves } = shareOf(profile, pkg.dir);
        if (args.leaves === '1') {
          const innermost = [...leaves].sort((a, b) => b[1] - a[1]).slice(0, 15);
          process.stderr.write(`    innermost frames inside our calls: ${innermost.map(([leaf, count]) => `${leaf} ${((100 * count) / busy).toFixed(2)} %`).join('; ')}\n`);
        }
        const top = [...entries].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([entry, count]) => `${entry} ${((100 * count) / busy).toFixed(2)} %`);
        const line = `| ${framework}, tracing ${tracing ? 'on' : 'off'} | ${pkg.label} | ${i + 1} | ${busy} | **${((100 * inside) / busy).toFixed(2)} %** | ${top.join('; ')} |`;
        lines.push(line);
        process.stderr.write(`  … ${line}\n`);
      }
    }
  }
}
await sink.close();
console.log(lines.join('\n'));
