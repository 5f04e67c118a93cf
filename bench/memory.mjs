// The long-run memory check, in a child process of its own (with --expose-gc, so the measured process is the server
// itself). Reports one `RESULT {json}` line.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Heap after N requests through the middleware (1 in 50 captures an event) against before, both after GC. */
export function measureMemory({ requests, dsn, packageDir }) {
  const child = spawn(process.execPath, ['--expose-gc', path.join(here, 'memory-child.cjs')], {
    cwd: path.join(here, '..'),
    env: { ...process.env, BENCH_REQUESTS: String(requests), BENCH_DSN: dsn, BENCH_PACKAGE_DIR: packageDir },
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
