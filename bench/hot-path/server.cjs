'use strict';
// One measured server, fork()ed by hot-path/measure.mjs with `--trace-gc-nvp --expose-gc` and stdout going to a
// file (V8 prints one line per GC there; the parent sums `promoted=` over the scavenges of each window).
// Environment: BENCH_FRAMEWORK (a key of FRAMEWORKS), BENCH_LAYER ('none' | 'noop' | 'diy-user' | 'sru'),
// BENCH_TRACING ('1' = tracesSampleRate 1), BENCH_DSN (the loopback sink), BENCH_PACKAGE_DIR (the package under
// test: a checkout with a built dist/). Controlled over the IPC channel; the load comes from another process.
const path = require('node:path');
const { PerformanceObserver, performance } = require('node:perf_hooks');
const { FRAMEWORKS } = require('./frameworks.cjs');

// Observed from the start (so the count matches V8's trace one for one): every GC with its start time, so a window's
// GC time and its scavenges can be told apart from the rest.
const gcEntries = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcEntries.push({ start: entry.startTime, duration: entry.duration, kind: entry.detail?.kind ?? entry.kind });
}).observe({ entryTypes: ['gc'] });
const MINOR = 1; // perf_hooks.constants.NODE_PERFORMANCE_GC_MINOR: a scavenge (`gc=s` in V8's trace)
const MAJOR = 4; // NODE_PERFORMANCE_GC_MAJOR: a mark-compact (`gc=mc`), which also promotes young objects

const framework = FRAMEWORKS[process.env.BENCH_FRAMEWORK];
const layer = process.env.BENCH_LAYER;
const tracing = process.env.BENCH_TRACING === '1';

// Sentry.init before the framework is loaded: @sentry/node 11 instruments through the module loader.
const Sentry = require('@sentry/node');
Sentry.init({ dsn: process.env.BENCH_DSN, tracesSampleRate: tracing ? 1 : undefined });
const http = require('node:http');

const sentryUser =
  layer === 'sru' ? require(path.join(process.env.BENCH_PACKAGE_DIR, 'dist', 'cjs', 'adapters', `${framework.adapter}.js`)).sentryUser : undefined;


// Retention probe: while `probe` is set, a WeakRef to every Node request and framework request object. Off during
// measured windows: V8's scavenger treats WeakRef targets as strong, so tracking would itself promote requests.
let probe = null;
let lastProbe = null;
const track = (object) => {
  if (probe !== null) probe.objects.push(new WeakRef(object));
};

const idle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const alive = (refs) => refs.reduce((count, ref) => count + (ref.deref() === undefined ? 0 : 1), 0);
function fullGc() {
  global.gc();
  global.gc();
}

let window = null;
let profiler = null;
const handlers = {
  // A quiet moment before a window (no forced GC: V8 would shrink the young generation, and the next window would
  // scavenge at a different rate).
  async settle() {
    await idle(30);
    return {};
  },
  begin() {
    window = { start: performance.now(), cpu: process.cpuUsage() };
    return {};
  },
  async end() {
    const cpu = process.cpuUsage(window.cpu);
    const end = performance.now();
    await idle(50); // GC performance entries are delivered asynchronously
    const inWindow = gcEntries.filter((entry) => entry.start >= window.start && entry.start <= end);
    const before = (kind) => gcEntries.filter((entry) => entry.kind === kind && entry.start < window.start).length;
    return {
      cpuMicros: cpu.user + cpu.system,
      wallMs: end - window.start,
      gcMs: inWindow.reduce((sum, entry) => sum + entry.duration, 0),
      minorGcs: inWindow.filter((entry) => entry.kind === MINOR).length,
      majorGcs: inWindow.filter((entry) => entry.kind === MAJOR).length,
      minorBefore: before(MINOR),
      majorBefore: before(MAJOR),
      newSpaceBytes: require('node:v8').getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size,
    };
  },
  probeStart() {
    probe = { requests: [], objects: [] };
    return {};
  },
  // Right after the last response (the keep-alive connections still open): forced full GC, count what is alive.
  // 20 ms first: the client can see the last bytes before this server has run the response's own 'finish' and
  // 'close' callbacks (same poll phase as this message), and until then the request is not over here either.
  async probeEnd() {
    lastProbe = probe;
    probe = null;
    await idle(20);
    fullGc();
    return { tracked: lastProbe.requests.length, requests: alive(lastProbe.requests), objects: alive(lastProbe.objects) };
  },
  // The same probe's objects again, later (after the SDK's 500 ms span-streaming timers have fired).
  recount() {
    fullGc();
    const result = { tracked: lastProbe.requests.length, requests: alive(lastProbe.requests), objects: alive(lastProbe.objects) };
    lastProbe = null;
    return result;
  },
  // bench/profile-share.mjs: V8's sampling CPU profiler over a window, in this process (node:inspector).
  async profileStart() {
    const { Session } = require('node:inspector');
    profiler = new Session();
    profiler.connect();
    const post = (method, params) => new Promise((resolve, reject) => profiler.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
    return {};
  },
  async profileStop() {
    const { profile } = await new Promise((resolve, reject) => profiler.post('Profiler.stop', (error, result) => (error ? reject(error) : resolve(result))));
    profiler.disconnect();
    profiler = null;
    return profile;
  },
  // bench/allocation.mjs: the heap's live bytes at a window's edge (what V8's GC trace calls total_size).
  heapUsed() {
    return require('node:v8').getHeapStatistics().used_heap_size;
  },
  totals() {
    return { minorGcs: gcEntries.filter((entry) => entry.kind === MINOR).length, majorGcs: gcEntries.filter((entry) => entry.kind === MAJOR).length };
  },
};

process.on('message', async ({ id, command }) => {
  try {
    process.send({ id, result: await handlers[command]() });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0)); // exit() flushes V8's GC trace

(async () => {
  const handler = await framework.build({ layer, Sentry, sentryUser, track });
  const server = http.createServer((req, res) => {
    if (probe !== null) probe.requests.push(new WeakRef(req));
    handler(req, res);
  });
  server.keepAliveTimeout = 30000;
  server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
})().catch((error) => {
  process.send({ failed: String(error?.stack ?? error) });
  process.exit(1);
});
