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

/** The @sentry/node version the fixtures run with, e.g. `8.55.2`. */
export const SENTRY_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@sentry/node/package.json'), 'utf8')) as { version: string }).version;

/** The @sentry/node major the fixtures run with. */
export const SENTRY_MAJOR = Number(SENTRY_VERSION.split('.')[0]);

/** Whether the fixtures' @sentry/node is at least `version` (`major.minor.patch`; pre-release tags ignored). */
export function sentryAtLeast(version: string): boolean {
  const parse = (text: string) => text.split('-')[0]!.split('.').map(Number);
  const [have, want] = [parse(SENTRY_VERSION), parse(version)];
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) !== (want[i] ?? 0)) return (have[i] ?? 0) > (want[i] ?? 0);
  }
  return true;
}

/**
 * @sentry/node before 8.12 answers 404 for an error thrown in a Koa route (@koa/router), with or without this package
 * (checked: 8.0, 8.7, 8.10 broken; 8.12, 8.13, 8.16, 8.20 fine). Koa suites do not run there: nothing of ours to test.
 */
export const KOA_ROUTE_ERRORS_WORK = sentryAtLeast('8.12.0');

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
  getUser?: 'headerAsync' | 'throws' | 'rejects' | 'hangs' | 'odd' | 'appContext' | 'appContextWithoutId' | 'appContextWithRoles' | 'jwtPayload';
  mapUser?: 'tenant' | 'viaFramework' | 'fromUsername';
  trustProxy?: unknown;
  proxy?: boolean;
  maxIpsCount?: number;
  errorHandler?: boolean;
  initAfterFramework?: boolean;
  noHttpIntegration?: boolean;
  /** Express fixture: a background span started at boot (ended by /end-background). */
  backgroundSpan?: boolean;
  noSentry?: boolean;
  outerCapture?: boolean;
  /** Koa: a layer before ours replaces `ctx.req` with its own stream. */
  replaceRequest?: boolean;
  debug?: boolean;
  /** Koa fixture: serve cleartext HTTP/2 (h2c) instead of HTTP/1.1. */
  http2?: boolean;
  /** Extra Node flags for the fixture process (e.g. a larger --max-http-header-size). */
  nodeArgs?: string[];
}

export interface RunningFixture {
  url: string;
  /** The fixture's process id. */
  pid: number;
  stderr(): string;
  stdout(): string;
  /**
   * SIGTERM, then waits; a fixture still running after {@link STOP_GRACE_MS} is SIGKILLed and this rejects with a
   * message that says so (a fixture must exit on SIGTERM: see `exitOnSigterm` in test/fixtures/fixture-config.cjs).
   */
  stop(): Promise<void>;
  /** Like stop(), but never rejects: how the process ended. Idempotent: later calls return the same outcome. */
  shutdown(): Promise<StopOutcome>;
}

export interface StopOutcome {
  /** True when the fixture did not exit within the grace period after SIGTERM and was SIGKILLed. */
  killed: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to exit. */
  ms: number;
}

/** How long a fixture may take to exit after SIGTERM (its own deadline is 4 s) before it is SIGKILLed. */
export const STOP_GRACE_MS = Number(process.env.SRU_STOP_GRACE_MS ?? 8000);
/** How long a fixture may take to print LISTENING; generous: the machine is shared and some fixtures load a lot. */
export const START_TIMEOUT_MS = Number(process.env.SRU_START_TIMEOUT_MS ?? 30000);

/** Every fixture process this test file started and that has not exited yet. */
const live = new Map<ChildProcess, () => Promise<StopOutcome>>();
// The last resort: no fixture outlives the Jest worker, whatever a test did.
const killAll = (): void => {
  for (const child of live.keys()) child.kill('SIGKILL');
};
process.once('exit', killAll);
// At the end of each test file: stop what a test left running (e.g. one that timed out before its `finally`).
if (typeof afterAll === 'function') {
  afterAll(async () => {
    const outcomes = await Promise.all([...live.values()].map((shutdown) => shutdown()));
    process.off('exit', killAll);
    const killed = outcomes.filter((outcome) => outcome.killed).length;
    if (killed > 0) throw new Error(`${killed} fixture(s) left running did not exit within ${STOP_GRACE_MS} ms of SIGTERM and were SIGKILLed`);
  }, STOP_GRACE_MS * 2 + 10000);
}

function tail(text: string, chars = 1500): string {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
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
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  let outcome: Promise<StopOutcome> | undefined;
  const shutdown = (): Promise<StopOutcome> => {
    outcome ??= (async () => {
      const started = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace over'>((resolve) => {
        timer = setTimeout(() => resolve('grace over'), STOP_GRACE_MS);
      });
      const first = await Promise.race([exited, graceOver]);
      clearTimeout(timer);
      if (first !== 'grace over') return { killed: false, ...first, ms: Date.now() - started };
      child.kill('SIGKILL');
      const end = await exited;
      const ms = Date.now() - started;
      process.stderr.write(`[harness] ${framework} fixture (pid ${child.pid}) did not exit within ${STOP_GRACE_MS} ms of SIGTERM: SIGKILLed\n`);
      return { killed: true, ...end, ms };
    })();
    return outcome;
  };
  live.set(child, shutdown);
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${framework} fixture ${why}. stderr: ${tail(err)}`));
    };
    const timer = setTimeout(() => fail(`did not print LISTENING within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    void exited.then(({ code, signal }) => fail(`exited with ${code ?? signal} before listening`));
    const onData = () => {
      const match = /LISTENING (\d+)/.exec(out);
      if (!match) return;
      child.stdout?.off('data', onData);
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        pid: child.pid ?? -1,
        stderr: () => err,
        stdout: () => out,
        shutdown,
        stop: async () => {
          const result = await shutdown();
          if (result.killed) {
            throw new Error(
              `${framework} fixture (pid ${child.pid}) did not exit within ${STOP_GRACE_MS} ms of SIGTERM and was SIGKILLed. stderr: ${tail(err)}`,
            );
          }
        },
      });
    };
    child.stdout?.on('data', onData);
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
    const stopped = await Promise.allSettled(running.map((fixture) => fixture.stop()));
    await receiver?.close();
    const failures = stopped.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failures.length > 0) throw new Error(failures.map((failure) => String(failure.reason)).join('\n'));
  }, STOP_GRACE_MS * 2 + 10000);
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
