// One framework × tracing group of the hot-path benchmark: every variant in its own server process, the load from
// this process (never counted), variants alternated over rounds (the order reversed every other round), each window
// a fixed number of requests. Per window: the server's process CPU (all threads), its GC time, and the bytes its
// scavenges promoted to the old generation; per round: a retention probe.
import { fork } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const idle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The variants of a group: the app without us, its A/A copy, a no-op layer, a hand-written setUser, and sentryUser() per package. */
export function variantsFor(packages) {
  return [
    { key: 'none', layer: 'none', label: 'app with @sentry/node, without us' },
    { key: 'none-again', layer: 'none', label: 'the same app again (A/A control)' },
    { key: 'noop', layer: 'noop', label: '+ a no-op middleware' },
    { key: 'diy-user', layer: 'diy-user', label: '+ hand-written Sentry.setUser middleware' },
    ...packages.map((pkg) => ({ key: `sru:${pkg.label}`, layer: 'sru', label: `+ sentryUser() [${pkg.label}]`, packageDir: pkg.dir, pkg: pkg.label })),
  ];
}

export async function startServer({ framework, variant, tracing, dsn, traceFile, v8Flags }) {
  const fd = openSync(traceFile, 'w');
  const child = fork(path.join(here, 'server.cjs'), [], {
    cwd: path.join(here, '..', '..'),
    execArgv: ['--trace-gc-nvp', '--expose-gc', ...v8Flags],
    env: {
      ...process.env,
      BENCH_FRAMEWORK: framework,
      BENCH_LAYER: variant.layer,
      BENCH_TRACING: tracing ? '1' : '0',
      BENCH_DSN: dsn,
      BENCH_PACKAGE_DIR: variant.packageDir ?? '',
    },
    stdio: ['ignore', fd, 'inherit', 'ipc'],
  });
  closeSync(fd);
  const pending = new Map();
  let nextId = 0;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const port = await new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message.ready) resolve(message.port);
      else if (message.failed) reject(new Error(`${framework}/${variant.key} server failed: ${message.failed}`));
      else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter.reject(new Error(message.error));
        else waiter.resolve(message.result);
      }
    });
    child.on('exit', (code) => reject(new Error(`${framework}/${variant.key} server exited (${code}) before listening`)));
  });
  const control = (command) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, command });
    });
  return { child, port, control, traceFile, exited };
}

/** A fixed number of keep-alive requests with autocannon, bounded in time; returns how many completed. */
export function load(port, { requests, connections, maxSeconds }) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}/`, amount: requests, connections, timeout: 10, sampleInt: 10, headers: { 'x-forwarded-for': '198.51.100.7' } },
      (error, result) => {
        clearTimeout(timer);
        if (error) return reject(error);
        if (result.non2xx > 0) return reject(new Error(`${result.non2xx} non-2xx responses from the bench server`));
        resolve({ completed: result['2xx'], errors: result.errors + result.timeouts });
      },
    );
    const timer = setTimeout(() => instance.stop(), maxSeconds * 1000);
  });
}

/** The retention probe's load: our own keep-alive agent, left open until the server has counted. */
async function probeLoad(port, { requests, connections }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const get = () =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent, headers: { 'x-forwarded-for': '198.51.100.7' } }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  let sent = 0;
  const worker = async () => {
    while (sent < requests) {
      sent++;
      await get();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return agent;
}

/**
 * `promoted=` of every scavenge (`gc=s`) and every mark-compact (`gc=mc`) in a --trace-gc-nvp log, in order, per
 * isolate (lines start with `[pid:0xisolate]`; the SDK's module-loader hooks run on a worker thread with an isolate of
 * its own).
 */
function promotionsByIsolate(text) {
  const byIsolate = new Map();
  for (const line of text.split('\n')) {
    const isolate = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1];
    const kind = / gc=(s|mc) /.exec(line)?.[1];
    if (isolate === undefined || kind === undefined) continue;
    if (!byIsolate.has(isolate)) byIsolate.set(isolate, { s: [], mc: [] });
    byIsolate.get(isolate)[kind].push(Number(/ promoted=(\d+)/.exec(line)?.[1] ?? Number.NaN));
  }
  return [...byIsolate.values()];
}

const sum = (values) => values.reduce((total, value) => total + value, 0);

export async function runGroup({ framework, tracing, variants, rounds, requests, warmup, probeRequests, connections, maxSeconds, dsn, progress, v8Flags = [] }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sru-hot-path-'));
  const servers = [];
  try {
    for (const [i, variant] of variants.entries()) {
      servers.push(await startServer({ framework, variant, tracing, dsn, v8Flags, traceFile: path.join(dir, `${i}.nvp`) }));
    }
    for (const server of servers) await load(server.port, { requests: warmup, connections, maxSeconds });
    const samples = variants.map(() => []);
    for (let round = 0; round < rounds; round++) {
      const order = variants.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const { control, port } = servers[i];
        await control('settle');
        await control('begin');
        const { completed, errors } = await load(port, { requests, connections, maxSeconds });
        const window = await control('end');
        let retained;
        if (round === rounds - 1) {
          // Once, after the last window: its forced GC would otherwise change the heap the next window starts from.
          await control('probeStart');
          const agent = await probeLoad(port, { requests: probeRequests, connections });
          retained = await control('probeEnd');
          agent.destroy();
        }
        samples[i].push({
          round,
          completed,
          errors,
          cpuUsPerReq: window.cpuMicros / completed,
          gcMsPer1k: (window.gcMs / completed) * 1000,
          rps: completed / (window.wallMs / 1000),
          minorGcs: window.minorGcs,
          majorGcs: window.majorGcs,
          minorBefore: window.minorBefore,
          majorBefore: window.majorBefore,
          newSpaceBytes: window.newSpaceBytes,
          retained,
        });
      }
      progress?.(`round ${round + 1}/${rounds}`);
    }
    // The last probe's objects once more, after the SDK's 500 ms span-streaming timers have fired.
    await idle(1500);
    const later = [];
    for (const server of servers) later.push(await server.control('recount'));
    const totals = [];
    for (const server of servers) totals.push(await server.control('totals'));
    for (const server of servers) server.child.disconnect();
    await Promise.all(servers.map((server) => server.exited));
    const notes = [];
    servers.forEach((server, i) => {
      // The main thread's GCs are the ones PerformanceObserver saw, one for one.
      const isolates = promotionsByIsolate(readFileSync(server.traceFile, 'utf8'));
      const main = isolates.filter((gcs) => gcs.s.length === totals[i].minorGcs);
      const consistent = main.length === 1;
      const withMajors = consistent && main[0].mc.length === totals[i].majorGcs;
      if (!consistent) {
        notes.push(`${variants[i].key}: scavenges per isolate in the V8 trace ${isolates.map((gcs) => gcs.s.length).join(', ')}, ${totals[i].minorGcs} seen by PerformanceObserver; promoted bytes not reported`);
      } else if (!withMajors) {
        notes.push(`${variants[i].key}: ${main[0].mc.length} mark-compacts in the V8 trace, ${totals[i].majorGcs} seen by PerformanceObserver; promoted bytes from scavenges only`);
      }
      for (const sample of samples[i]) {
        if (!consistent) {
          sample.promotedPerReq = Number.NaN;
          continue;
        }
        const scavenged = sum(main[0].s.slice(sample.minorBefore, sample.minorBefore + sample.minorGcs));
        const compacted = withMajors ? sum(main[0].mc.slice(sample.majorBefore, sample.majorBefore + sample.majorGcs)) : 0;
        // The measure is the scavenges' (the young generation's survivors); a mark-compact that falls in a window
        // promotes every young object alive at that moment, so it is kept apart, in the JSON only.
        sample.promotedPerReq = scavenged / sample.completed;
        sample.promotedWithMarkCompactsPerReq = (scavenged + compacted) / sample.completed;
      }
    });
    return { rows: variants.map((variant, i) => ({ ...variant, samples: samples[i], later: later[i] })), notes };
  } finally {
    for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
