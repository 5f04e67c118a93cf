import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startEnvelopeReceiver, type EnvelopeReceiver } from '../../support/envelope-receiver.cjs';

export { startEnvelopeReceiver, type EnvelopeReceiver };

const ROOT = path.resolve(__dirname, '../..');

export interface FixtureConfig {
  sentry?: Record<string, unknown>;
  options?: Record<string, unknown>;
  middleware?: 'before' | 'after' | 'none';
  getUser?: 'headerAsync' | 'throws' | 'rejects' | 'hangs' | 'odd';
  mapUser?: 'tenant';
  trustProxy?: unknown;
  proxy?: boolean;
  maxIpsCount?: number;
  errorHandler?: boolean;
  initAfterFramework?: boolean;
  noHttpIntegration?: boolean;
  noSentry?: boolean;
  outerCapture?: boolean;
  debug?: boolean;
}

export interface RunningFixture {
  url: string;
  stderr(): string;
  stdout(): string;
  stop(): Promise<void>;
}

/** Starts a fixture app in its own Node process, as a user would run it, and waits until it listens. */
export function startFixture(framework: 'express' | 'koa', dsn: string, config: FixtureConfig = {}): Promise<RunningFixture> {
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, `test/fixtures/${framework}-app.cjs`)], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', SRU_FIXTURE: JSON.stringify({ dsn, ...config }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fixture did not start: ${err}`)), 20000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture exited with ${code}: ${err}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${match[1]}`,
          stderr: () => err,
          stdout: () => out,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.removeAllListeners('exit');
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

/** Waits for an error/message event whose exception value or message contains `text`. */
export async function eventMatching(receiver: EnvelopeReceiver, text: string, timeoutMs = 10000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const find = () => receiver.events().find((event) => describeEvent(event).includes(text));
  await receiver.waitFor(() => find() !== undefined, timeoutMs);
  return find();
}

export function describeEvent(event: { message?: unknown; logentry?: { message?: unknown }; exception?: { values?: { value?: unknown }[] }; transaction?: unknown }): string {
  return [event.message, event.logentry?.message, event.transaction, ...(event.exception?.values ?? []).map((value) => value.value)].filter(Boolean).join(' | ');
}
