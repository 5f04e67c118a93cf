// Throughput side by side: every variant in its own process, runs alternating A B C D A B C D …, medians and ratios.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const VARIANTS = [
  ['bare', 'bare app'],
  ['sentry', '+ @sentry/node'],
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

/** Runs one framework × tracing group and returns its rows. */
export async function measureGroup(framework, tracing, { rounds, seconds, dsn }) {
  const servers = [];
  for (const [variant] of VARIANTS) servers.push(await startServer(framework, variant, tracing, dsn));
  try {
    for (const server of servers) await load(server.url, 0.5); // warm-up: JIT, connections
    const samples = VARIANTS.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < servers.length; i++) samples[i].push(await load(servers[i].url, seconds));
    }
    const rows = VARIANTS.map(([variant, label], i) => ({
      variant,
      label,
      rps: median(samples[i].map((s) => s.rps)),
      p50: median(samples[i].map((s) => s.p50)),
      p99: median(samples[i].map((s) => s.p99)),
      cpuUs: median(samples[i].map((s) => s.cpuUs)),
      errors: samples[i].reduce((sum, s) => sum + s.errors, 0),
      runs: samples[i].map((s) => Math.round(s.rps)),
    }));
    const bare = rows[0].rps;
    const sentry = rows[1].rps;
    for (const row of rows) {
      row.vsBare = row.rps / bare;
      row.vsSentry = row.rps / sentry;
      // Throughput a CPU-bound server can reach is inversely proportional to its CPU per request.
      row.cpuVsSentry = rows[1].cpuUs / row.cpuUs;
    }
    const byVariant = Object.fromEntries(rows.map((row) => [row.variant, row]));
    rows.comparisons = [
      ['sentryUser() vs the same app without it', byVariant.sru, byVariant.sentry],
      ['sentryUser() vs a no-op middleware in its place', byVariant.sru, byVariant.noop],
      ['sentryUser() vs a hand-written setUser middleware (same principal)', byVariant['sru-user'], byVariant['diy-user']],
    ].map(([name, ours, baseline]) => ({ name, rps: ours.rps / baseline.rps, cpu: baseline.cpuUs / ours.cpuUs }));
    return rows;
  } finally {
    for (const server of servers) server.child.kill('SIGKILL');
  }
}
