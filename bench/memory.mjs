// Measurements that run in a child process of their own and report one `RESULT {json}` line: the memory run (with
// --expose-gc, so the measured process is the server itself) and the middleware's direct per-request cost.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function runChild(script, nodeArgs, env, label) {
  const child = spawn(process.execPath, [...nodeArgs, path.join(here, script)], {
    cwd: path.join(here, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const match = /RESULT (.*)/.exec(out);
      if (code === 0 && match) resolve(JSON.parse(match[1]));
      else reject(new Error(`${label} failed (${code}): ${out}`));
    });
  });
}

/** Heap after N requests through the middleware (1 in 50 captures an event) against before, both after GC. */
export function measureMemory({ requests, dsn }) {
  return runChild('memory-child.cjs', ['--expose-gc'], { BENCH_REQUESTS: String(requests), BENCH_DSN: dsn }, 'memory bench');
}

/** bench/middleware-cost.cjs: nanoseconds per request with and without the middleware call. */
export function measureMiddlewareCost({ iterations, dsn }) {
  return runChild('middleware-cost.cjs', [], { BENCH_ITERATIONS: String(iterations), BENCH_DSN: dsn }, 'middleware cost bench');
}
