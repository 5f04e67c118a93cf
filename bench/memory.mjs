// Child-process measurements. Memory: heap after N requests through the middleware (1 in 50 captures an event) against before, after GC.
// Runs in a child with --expose-gc so the measurement process is the server itself.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export function measureMemory({ requests, dsn }) {
  const child = spawn(process.execPath, ['--expose-gc', path.join(here, 'memory-child.cjs')], {
    cwd: path.join(here, '..'),
    env: { ...process.env, BENCH_REQUESTS: String(requests), BENCH_DSN: dsn },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const match = /RESULT (.*)/.exec(out);
      if (code === 0 && match) resolve(JSON.parse(match[1]));
      else reject(new Error(`memory bench failed (${code}): ${out}`));
    });
  });
}

/** Runs bench/middleware-cost.cjs in its own process and returns its nanosecond figures. */
export function measureMiddlewareCost({ iterations, dsn }) {
  const child = spawn(process.execPath, [path.join(here, 'middleware-cost.cjs')], {
    cwd: path.join(here, '..'),
    env: { ...process.env, BENCH_ITERATIONS: String(iterations), BENCH_DSN: dsn },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const match = /RESULT (.*)/.exec(out);
      if (code === 0 && match) resolve(JSON.parse(match[1]));
      else reject(new Error(`middleware cost bench failed (${code}): ${out}`));
    });
  });
}
