// Throughput side by side: every variant in its own process, runs alternating A B C D A B C D …, medians and ratios.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL_VARIANTS = [
  ['bare', 'bare app'],
  ['sentry', '+ @sentry/node'],
  // An identical second server: its ratio to the first is the noise floor of this run.
  ['sentry-again', '+ @sentry/node (identical copy, A/A control)'],
  ['noop', '+ @sentry/node + a no-op middleware'],
  ['sru', '+ @sentry/node + sentryUser()'],
  ['diy-user', '+ @sentry/node + principal + hand-written setUser'],
  ['sru-user', '+ @sentry/node + principal + sentryUser()'],
];

function startServer(framework, variant, tracing, dsn) {
  const child = spawn(process.execPath, [path.join(here, 'server.cjs')], {
    cwd: path.join(here, '..'),
    env: { ...process.env, BENCH_FRAMEWORK: framework, BENCH_VARIANT: variant, BENCH_TRACING: tracing ? '1' : '0', BENCH_DSN: dsn },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const match = /LISTENING (\d+)/.exec(String(chunk));
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}/` });
    });
    child.on('exit', (code) => reject(new Error(`bench server exited ${code}`)));
  });
}

async function cpuMicros(url) {
  const usage = await (await fetch(`${url}__cpu`)).json();
  return usage.user + usage.system;
}

/** One load run; also the server's CPU time per request, which shared machines disturb far less than req/s. */
async function load(url, seconds) {
  const cpuBefore = await cpuMicros(url);
  const result = await new Promise((resolve, reject) => {
    autocannon({ url, connections: 20, duration: seconds, headers: { 'x-forwarded-for': '198.51.100.7' } }, (error, output) => {
      if (error) reject(error);
      else resolve(output);
    });
  });
  const cpuAfter = await cpuMicros(url);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUs: (cpuAfter - cpuBefore) / Math.max(1, result.requests.total),
    errors: result.errors + result.non2xx,
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Runs one framework × tracing group. Each round runs every variant back to back (the order reversed every other
 * round); ratios are taken within a round and the median over rounds is reported. On a shared machine throughput
 * drifts by tens of percent over seconds, and pairing within a round cancels most of that drift.
 */
export async function measureGroup(framework, tracing, { rounds, seconds, dsn, only }) {
  const VARIANTS = only ? ALL_VARIANTS.filter(([variant]) => only.includes(variant)) : ALL_VARIANTS;
  const servers = await Promise.all(VARIANTS.map(([variant]) => startServer(framework, variant, tracing, dsn)));
  try {
    for (const server of servers) await load(server.url, 0.2); // warm-up: JIT, connections
    const samples = VARIANTS.map(() => []);
    for (let round = 0; round < rounds; round++) {
      const order = VARIANTS.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) samples[i].push(await load(servers[i].url, seconds));
    }
    const rows = VARIANTS.map(([variant, label], i) => ({
      variant,
      label,
      samples: samples[i],
      rps: median(samples[i].map((s) => s.rps)),
      p50: median(samples[i].map((s) => s.p50)),
      p99: median(samples[i].map((s) => s.p99)),
      cpuUs: median(samples[i].map((s) => s.cpuUs)),
      errors: samples[i].reduce((sum, s) => sum + s.errors, 0),
    }));
    const byVariant = Object.fromEntries(rows.map((row) => [row.variant, row]));
    const paired = (ours, baseline, pick) => median(ours.samples.map((sample, round) => pick(sample, baseline.samples[round])));
    for (const row of rows) {
      row.vsBare = byVariant.bare ? paired(row, byVariant.bare, (a, b) => a.rps / b.rps) : Number.NaN;
      row.vsSentry = paired(row, byVariant.sentry, (a, b) => a.rps / b.rps);
    }
    rows.comparisons = [
      ['A/A control: two identical @sentry/node apps (the noise floor)', byVariant['sentry-again'], byVariant.sentry],
      ['sentryUser() vs the same app without it', byVariant.sru, byVariant.sentry],
      ['sentryUser() vs a no-op middleware in its place', byVariant.sru, byVariant.noop],
      ['sentryUser() vs a hand-written setUser middleware (same principal)', byVariant['sru-user'], byVariant['diy-user']],
    ]
      .filter(([, ours, baseline]) => ours !== undefined && baseline !== undefined)
      .map(([name, ours, baseline]) => ({
      name,
      rps: paired(ours, baseline, (a, b) => a.rps / b.rps),
      // A CPU-bound server's throughput is inversely proportional to its CPU time per request.
      cpu: paired(ours, baseline, (a, b) => b.cpuUs / a.cpuUs),
    }));
    return rows;
  } finally {
    for (const server of servers) server.child.kill('SIGKILL');
  }
}
