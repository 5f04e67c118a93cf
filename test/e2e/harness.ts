import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startEnvelopeReceiver, type EnvelopeReceiver } from '../../support/envelope-receiver.cjs';

export { startEnvelopeReceiver, type EnvelopeReceiver };

import { readFileSync } from 'node:fs';

/**
 * Where the fixture apps and their node_modules live: the repository, or a compatibility cell made by
 * `npm run test:compat` with other majors of @sentry/node, Express and Koa installed.
 */
const ROOT = process.env.SRU_FIXTURE_ROOT ? path.resolve(process.env.SRU_FIXTURE_ROOT) : path.resolve(__dirname, '../..');

/** The @sentry/node major the fixtures run with. */
export const SENTRY_MAJOR = Number(
  (JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@sentry/node/package.json'), 'utf8')) as { version: string }).version.split('.')[0],
);

/** Sentry init options that turn the client's PII setting on or off, in the vocabulary of the major under test. */
export function piiOptions(on: boolean): Record<string, unknown> {
  return SENTRY_MAJOR >= 11 ? { dataCollection: { userInfo: on } } : { sendDefaultPii: on };
}

/** The fixture apps under test/fixtures: `<name>-app.cjs`. */
export type FixtureFramework = 'express' | 'koa' | 'fastify' | 'hono' | 'nest';

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
  /** Extra Node flags for the fixture process (e.g. a larger --max-http-header-size). */
  nodeArgs?: string[];
}

export interface RunningFixture {
  url: string;
  stderr(): string;
  stdout(): string;
  stop(): Promise<void>;
}

/** Starts a fixture app in its own Node process, as a user would run it, and waits until it listens. */
export function startFixture(framework: FixtureFramework, dsn: string, config: FixtureConfig = {}): Promise<RunningFixture> {
  const child: ChildProcess = spawn(process.execPath, [...(config.nodeArgs ?? []), path.join(ROOT, `test/fixtures/${framework}-app.cjs`)], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', SRU_FIXTURE: JSON.stringify({ dsn, ...config, sentry: { ...piiOptions(true), ...config.sentry } }) },
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
    let started = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match && !started) {
        started = true;
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
export async function eventMatching(receiver: EnvelopeReceiver, text: string, timeoutMs = 10000): Promise<any> {  
  const find = () => receiver.events().find((event) => describeEvent(event).includes(text));
  await receiver.waitFor(() => find() !== undefined, timeoutMs);
  return find();
}

export function describeEvent(event: { message?: unknown; logentry?: { message?: unknown }; exception?: { values?: { value?: unknown }[] }; transaction?: unknown }): string {
  return [event.message, event.logentry?.message, event.transaction, ...(event.exception?.values ?? []).map((value) => value.value)].filter(Boolean).join(' | ');
}

/**
 * The per-file set-up every end-to-end suite shares: one envelope receiver, fixtures stopped at the end.
 * Call at the top level of a test file.
 */
export function e2eSuite(framework: FixtureFramework): {
  receiver: () => EnvelopeReceiver;
  app: (config?: FixtureConfig, otherFramework?: FixtureFramework) => Promise<RunningFixture>;
} {
  let receiver: EnvelopeReceiver | undefined;
  const running: RunningFixture[] = [];
  beforeAll(async () => {
    receiver = await startEnvelopeReceiver();
  });
  afterAll(async () => {
    await Promise.all(running.map((fixture) => fixture.stop()));
    await receiver?.close();
  });
  const current = (): EnvelopeReceiver => {
    if (!receiver) throw new Error('e2eSuite: the receiver starts in beforeAll');
    return receiver;
  };
  return {
    receiver: current,
    app: async (config = {}, otherFramework) => {
      const fixture = await startFixture(otherFramework ?? framework, current().dsn, config);
      running.push(fixture);
      return fixture;
    },
  };
}
