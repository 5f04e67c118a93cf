import http from 'node:http';
import request from 'supertest';
import { e2eSuite, eventMatching, startFixture } from './harness.js';

// Faults around the app: the Sentry endpoint failing, clients aborting, oversized headers. The app must keep serving.
const suite = e2eSuite('express');

async function serveMany(url: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const path = i % 3 === 0 ? '/boom' : i % 3 === 1 ? `/message?tag=fault-${i}` : '/ok';
    statuses.push((await request(url).get(path).set('X-Test-User', `f${i}`)).status);
  }
  return statuses;
}
const expected = (count: number) => Array.from({ length: count }, (_, i) => (i % 3 === 0 ? 500 : 200));

describe('the Sentry endpoint fails: the app keeps serving every request', () => {
  it('connection refused', async () => {
    // Port 1 on loopback: nothing listens there, so every send is refused at once. (A port freed by a test could be
    // taken again by a parallel worker before the app uses it.)
    const port = 1;
    // Not through the suite: this app's DSN points at the closed port.
    const fixture = await startFixture('express', `http://public@127.0.0.1:${port}/1`, { getUser: 'headerAsync' });
    try {
      expect(await serveMany(fixture.url, 30)).toEqual(expected(30));
    } finally {
      await fixture.stop();
    }
  });

  it.each(['error', 'ratelimit'] as const)('the receiver answers %s', async (mode) => {
    suite.receiver().setMode(mode);
    try {
      const fixture = await suite.app({ getUser: 'headerAsync' }, 'koa');
      expect(await serveMany(fixture.url, 30)).toEqual(expected(30));
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
