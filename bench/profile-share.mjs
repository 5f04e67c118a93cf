// Our share of the server's CPU on the hot path, from a V8 CPU profile of the real server under load: the self time
// of functions in this package's dist/ divided by all non-idle time. Unlike req/s, this does not depend on how busy
// the rest of a shared machine is.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function measureProfileShare(framework, { seconds, dsn }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sru-prof-'));
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(here, 'server.cjs')], {
    cwd: path.join(here, '..'),
    env: { ...process.env, BENCH_FRAMEWORK: framework, BENCH_VARIANT: 'sru-user', BENCH_TRACING: '0', BENCH_DSN: dsn },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise((resolve) =>
      child.stdout.on('data', (chunk) => {
        const match = /LISTENING (\d+)/.exec(String(chunk));
        if (match) resolve(`http://127.0.0.1:${match[1]}/`);
      }),
    );
    await new Promise((resolve, reject) => autocannon({ url, connections: 20, duration: seconds }, (error) => (error ? reject(error) : resolve())));
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('exit', resolve));
    // The main thread's profile is the largest (the SDK's module-hook worker writes a small one too).
    const file = readdirSync(dir).sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size)[0];
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    let ours = 0;
    let busy = 0;
    profile.samples.forEach((id, i) => {
      const node = nodes.get(id);
      const delta = profile.timeDeltas[i] ?? 0;
      if (node.callFrame.functionName === '(idle)') return;
      busy += delta;
      if (/[\\/]dist[\\/](cjs|esm)[\\/]/.test(node.callFrame.url)) ours += delta;
    });
    return { share: ours / busy };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
