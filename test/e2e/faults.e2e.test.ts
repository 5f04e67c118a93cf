import http from 'node:http';
import request from 'supertest';
import { e2eSuite, eventMatching, sentryAtLeast, startFixture, type FixtureConfig, type StopOutcome } from './harness.js';

// Faults around the app: the Sentry endpoint failing, clients aborting, oversized headers. The app must keep serving.
const suite = e2eSuite('express');

/** Each request is bounded: a stalled app fails the test with the request it stalled on, not with Jest's timeout. */
const REQUEST_DEADLINE_MS = 10000;

/** The statuses of `count` requests (/boom, /message, /ok in turn); a request that fails records its error code. */
async function serveMany(url: string, count: number): Promise<(number | string)[]> {
  const statuses: (number | string)[] = [];
  for (let i = 0; i < count; i++) {
    const path = i % 3 === 0 ? '/boom' : i % 3 === 1 ? `/message?tag=fault-${i}` : '/ok';
    statuses.push(
      await request(url)
        .get(path)
        .set('X-Test-User', `f${i}`)
        .timeout({ deadline: REQUEST_DEADLINE_MS })
        .ok(() => true)
        .then(
          (response) => response.status,
          (error: { code?: string; timeout?: number }) => (error.timeout ? `no answer within ${REQUEST_DEADLINE_MS} ms` : String(error.code ?? error)),
        ),
    );
  }
  return statuses;
}
const expected = (count: number, boom = 500) => Array.from({ length: count }, (_, i) => (i % 3 === 0 ? boom : 200));
// The SDK's own setupKoaErrorHandler swallowed the error before @sentry/node 8.12 (getsentry/sentry-javascript#12609),
// so Koa answered an uncaught route error with 404 — the SDK's behaviour, with or without sentryUser().
const KOA_BOOM = sentryAtLeast('8.12.0') ? 500 : 404;

interface RunOutcome {
  statuses: (number | string)[];
  /** Exited on its own after SIGTERM (false: SIGKILLed after the grace period). */
  exitedOnSigterm: boolean;
  stop: StopOutcome;
  flushRejected: boolean;
}

/** Starts the Express fixture with `dsn`, sends the same 30 requests, SIGTERMs it, and says how that went. */
async function trafficThenStop(dsn: string, config: FixtureConfig): Promise<RunOutcome> {
  const fixture = await startFixture('express', dsn, config);
  let statuses: (number | string)[] = [];
  try {
    statuses = await serveMany(fixture.url, 30);
  } finally {
    await fixture.shutdown();
  }
  const stop = await fixture.shutdown();
  return { statuses, exitedOnSigterm: !stop.killed, stop, flushRejected: fixture.stderr().includes('FLUSH_REJECTED') };
}

describe('the Sentry endpoint fails: the app keeps serving every request', () => {
  // Port 1 on loopback: nothing listens there, so every send is refused at once. (A port freed by a test could be
  // taken again by a parallel worker before the app uses it.)
  const refusedDsn = 'http://public@127.0.0.1:1/1';

  it('connection refused: with sentryUser() every request is answered and the app exits on SIGTERM, as the same app with Sentry alone', async () => {
    // What we promise: never worse than the SDK alone. The same traffic against the same app without sentryUser()…
    const sdkAlone = await trafficThenStop(refusedDsn, { middleware: 'none' });
    // …and with it, with an async getUser (the user's lookup delays each event a little: more sends in flight).
    const withUs = await trafficThenStop(refusedDsn, { getUser: 'headerAsync' });
    const summary = (outcome: RunOutcome) => ({ statuses: outcome.statuses, exitedOnSigterm: outcome.exitedOnSigterm });
    // The baseline first, so that an SDK fault is reported as one (README: "@sentry/node 8–10.x and an unreachable DSN").
    expect({ sdkAlone: summary(sdkAlone) }).toEqual({ sdkAlone: { statuses: expected(30), exitedOnSigterm: true } });
    expect({ withSentryUser: summary(withUs) }).toEqual({ withSentryUser: summary(sdkAlone) });
  });

  it.each(['error', 'ratelimit'] as const)('the receiver answers %s', async (mode) => {
    suite.receiver().setMode(mode);
    try {
      const fixture = await suite.app({ getUser: 'headerAsync' }, 'koa');
      expect(await serveMany(fixture.url, 30)).toEqual(expected(30, KOA_BOOM));
      await fixture.stop();
    } finally {
      suite.receiver().setMode('ok');
    }
  });
});

describe('hostile clients', () => {
  it('a client that aborts mid-request: the server goes on, and the late event still has its user and address', async () => {
    const fixture = await suite.app({ getUser: 'headerAsync', trustProxy: 'loopback' });
    const url = new URL(fixture.url);
    await new Promise<void>((resolve) => {
      const req = http.get({ host: url.hostname, port: url.port, path: '/delay?ms=200&tag=aborted', headers: { 'x-test-user': 'quitter', 'x-forwarded-for': '198.51.100.99' } });
      req.on('error', () => resolve());
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 30);
    });
    await request(fixture.url).get('/ok').expect(200);
    const event = await eventMatching(suite.receiver(), 'delay aborted');
    expect(event.user.id).toBe('quitter');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.99');
  });

  it('a 64 KiB X-Forwarded-For from a trusted proxy (server allows large headers): bounded work, right address', async () => {
    const fixture = await suite.app({ trustProxy: 'loopback', nodeArgs: ['--max-http-header-size=131072'] });
    const filler = Array.from({ length: 4400 }, () => '6.6.6.6').join(', '); // ≈ 64 KiB
    const started = Date.now();
    await request(fixture.url).get('/message?tag=huge-xff').set('X-Forwarded-For', `${filler}, 198.51.100.64`).expect(200);
    expect(Date.now() - started).toBeLessThan(2000);
    const event = await eventMatching(suite.receiver(), 'message huge-xff');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.64');
  });

  it('a 1,000-entry X-Forwarded-For and a 64 KiB garbage header from an untrusted client change nothing', async () => {
    const fixture = await suite.app({ nodeArgs: ['--max-http-header-size=131072'] }, 'koa');
    const chain = Array.from({ length: 1000 }, (_, i) => `10.${i % 250}.0.1`).join(', ');
    await request(fixture.url).get('/message?tag=long-chain').set('X-Forwarded-For', chain).set('X-Junk', 'x'.repeat(65536)).expect(200);
    const event = await eventMatching(suite.receiver(), 'message long-chain');
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });

  it('with Node’s default header limit, a 64 KiB header is refused by Node before any middleware runs', async () => {
    const fixture = await suite.app();
    // Node answers 431 and closes; a client still writing may see the reset instead.
    const outcome = await request(fixture.url)
      .get('/ok')
      .set('X-Forwarded-For', 'a'.repeat(65536))
      .ok(() => true)
      .then((response) => String(response.status), (error: { code?: string }) => String(error.code));
    expect(['431', 'ECONNRESET', 'EPIPE']).toContain(outcome);
    await request(fixture.url).get('/ok').expect(200);
  });
});
