import http from 'node:http';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { e2eSuite, eventMatching, piiOptions, SENTRY_MAJOR, type FixtureConfig } from './harness.js';

// Real NestJS (Express platform) in its own process, the real @sentry/node SDK, real envelopes to a receiver on
// 127.0.0.1. Authentication is a guard, which Nest runs after every middleware, so sentryUser() never sees the user
// while the request passes it: the user is read when the event is captured (exception filter or captureMessage).
const suite = e2eSuite('nest');
const app = suite.app;

const token = (claims: { sub: string; username?: string; email?: string }) => jwt.sign(claims, 'jwt-secret', { algorithm: 'HS256' });
const bearer = (claims: { sub: string; username?: string; email?: string }) => ({ Authorization: `Bearer ${token(claims)}` });
const SPOOF = { 'X-Forwarded-For': '6.6.6.6', 'X-Client-IP': '5.5.5.5', 'X-Real-IP': '4.4.4.4', 'CF-Connecting-IP': '3.3.3.3' };

/** One GET from a chosen loopback address (127.0.0.2 is a client connecting directly, not our proxy at 127.0.0.1). */
function getFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

describe('NestJS (Express platform) + @sentry/node: a guard authenticates after sentryUser()', () => {
  it("an exception from a guarded controller, reported by the global exception filter, carries the guard's req.user and the address the trusted proxy saw", async () => {
    // app.set('trust proxy', 1) on the NestExpressApplication: one reverse proxy in front.
    const fixture = await app({ trustProxy: 1 });
    await request(fixture.url)
      .get('/account/boom?tag=trusted-proxy')
      .set(bearer({ sub: 'u-7', username: 'ada', email: 'ada@example.test' }))
      .set('X-Forwarded-For', '6.6.6.6, 198.51.100.7')
      .expect(500);
    const event = await eventMatching(suite.receiver(), 'nest guarded boom trusted-proxy');
    expect(event.user).toEqual({ id: 'u-7', username: 'ada', email: 'ada@example.test' });
    expect(event.request.env).toEqual(expect.objectContaining({ REMOTE_ADDR: '198.51.100.7', SERVER_NAME: '127.0.0.1' }));
    expect(event.request.headers.authorization).toBe('[Filtered]');
  });

  it('Sentry.captureMessage in a guarded controller carries the user', async () => {
    const fixture = await app();
    await request(fixture.url).get('/account/message?tag=guarded').set(bearer({ sub: 'u-8', username: 'grace' })).expect(200, 'sent');
    const event = await eventMatching(suite.receiver(), 'nest account message guarded');
    expect(event.user).toEqual({ id: 'u-8', username: 'grace' });
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });

  it('an unauthenticated request has no user: a public route error has only the address, and the guard refuses without an event of its own', async () => {
    const fixture = await app();
    await request(fixture.url).get('/account/boom?tag=no-token').expect(401);
    await request(fixture.url).get('/public/boom?tag=anonymous').expect(500);
    await request(fixture.url).get('/public/message?tag=anonymous').expect(200);
    const error = await eventMatching(suite.receiver(), 'nest public boom anonymous');
    const message = await eventMatching(suite.receiver(), 'nest public message anonymous');
    expect(error.user).toBeUndefined();
    expect(message.user).toBeUndefined();
    expect(error.request.env.REMOTE_ADDR).toBe('127.0.0.1');
    // The filter reports only unexpected errors; the guard's 401 went out before the two events above.
    expect(suite.receiver().events().filter((event) => /Unauthorized/.test(JSON.stringify(event.exception ?? {})))).toEqual([]);
  });

  it('control: the same app without sentryUser() sends the event without the user (what this package adds)', async () => {
    const fixture = await app({ middleware: 'none', trustProxy: 1 });
    await request(fixture.url).get('/account/boom?tag=sdk-alone').set(bearer({ sub: 'u-alone' })).set('X-Forwarded-For', '6.6.6.6, 198.51.100.7').expect(500);
    const event = await eventMatching(suite.receiver(), 'nest guarded boom sdk-alone');
    expect(event.user?.id).toBeUndefined();
    expect(event.request.env?.REMOTE_ADDR).not.toBe('198.51.100.7');
  });
});

describe('NestJS (Express platform) + @sentry/node: the client address', () => {
  it("follows app.set('trust proxy'): the proxy's entry is believed, a forged X-Forwarded-For from a direct client is not", async () => {
    const fixture = await app({ trustProxy: '127.0.0.1' });
    const user = bearer({ sub: 'u-9' });
    expect(await getFrom('127.0.0.1', `${fixture.url}/account/message?tag=via-proxy`, { ...user, 'X-Forwarded-For': '6.6.6.6, 198.51.100.20' })).toBe(200);
    expect(await getFrom('127.0.0.2', `${fixture.url}/account/message?tag=forged`, { ...user, ...SPOOF })).toBe(200);
    const viaProxy = await eventMatching(suite.receiver(), 'nest account message via-proxy');
    const forged = await eventMatching(suite.receiver(), 'nest account message forged');
    expect(viaProxy.request.env.REMOTE_ADDR).toBe('198.51.100.20');
    expect(forged.request.env.REMOTE_ADDR).toBe('127.0.0.2');
    expect(forged.user).toEqual({ id: 'u-9' });
    expect(JSON.stringify(forged.user)).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
  });

  it('without a trust proxy setting every forwarding header is ignored', async () => {
    const fixture = await app();
    await request(fixture.url).get('/public/boom?tag=spoof').set(SPOOF).expect(500);
    const event = await eventMatching(suite.receiver(), 'nest public boom spoof');
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
    expect(event.user?.ip_address).toBeUndefined();
  });
});

describe('NestJS (Express platform) + @sentry/node: isolation and PII', () => {
  it('concurrent guarded requests with distinct users, interleaved, each get their own user on errors and messages', async () => {
    const fixture = await app({ trustProxy: 1 });
    const count = 24;
    const tags = Array.from({ length: count }, (_, i) => `c${String(i).padStart(2, "0")}`);
    await Promise.all(
      tags.map((tag, i) =>
        request(fixture.url)
          .get(`/account/delay?ms=${(count - i) * 3}&tag=${tag}&fail=${i % 2}`)
          .set(bearer({ sub: `user-${tag}` }))
          .set('X-Forwarded-For', `198.51.100.${i + 1}`)
          .expect(i % 2 ? 500 : 200),
      ),
    );
    for (const [i, tag] of tags.entries()) {
      const event = await eventMatching(suite.receiver(), i % 2 ? `nest delay failure ${tag}` : `nest delay ${tag}`);
      expect(event.user).toEqual({ id: `user-${tag}` });
      expect(event.request.env.REMOTE_ADDR).toBe(`198.51.100.${i + 1}`);
    }
  });

  it('dataCollection.userInfo false: only the id, no REMOTE_ADDR', async () => {
    const fixture = await app({ sentry: piiOptions(false), trustProxy: 1 });
    await request(fixture.url).get('/account/boom?tag=nopii').set(bearer({ sub: 'u-nopii', username: 'hidden', email: 'hidden@example.test' })).set('X-Forwarded-For', '198.51.100.30').expect(500);
    const event = await eventMatching(suite.receiver(), 'nest guarded boom nopii');
    expect(event.user).toEqual({ id: 'u-nopii' });
    expect(event.request.env?.REMOTE_ADDR).toBeUndefined();
    expect(JSON.stringify(event)).not.toContain('198.51.100.30');
  });
});

describe('NestJS (Express platform) + @sentry/node: tracing', () => {
  const traced = SENTRY_MAJOR >= 11 ? it : it.skip;
  const transactions = SENTRY_MAJOR >= 11 ? it.skip : it;

  traced("@sentry/node 11: the request's segment span carries the guard's user and the trusted address", async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, trustProxy: 1 });
    await request(fixture.url).get('/account/message?tag=traced').set(bearer({ sub: 'nest-traced' })).set('X-Forwarded-For', '6.6.6.6, 198.51.100.40').expect(200);
    const isOurs = (span: { is_segment?: boolean; attributes?: Record<string, { value?: unknown }> }) => span.is_segment && span.attributes?.['user.id']?.value === 'nest-traced';
    await suite.receiver().waitFor(() => suite.receiver().spans().some(isOurs));
    const segment = suite.receiver().spans().find(isOurs);
    expect(segment.attributes['user.ip_address'].value).toBe('198.51.100.40');
  });

  transactions("@sentry/node 8–10: the request's transaction event carries the guard's user and the trusted address", async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, trustProxy: 1 });
    await request(fixture.url).get('/account/message?tag=traced').set(bearer({ sub: 'nest-traced' })).set('X-Forwarded-For', '6.6.6.6, 198.51.100.40').expect(200);
    const isOurs = (event: { type?: string; user?: { id?: string } }) => event.type === 'transaction' && event.user?.id === 'nest-traced';
    await suite.receiver().waitFor(() => suite.receiver().events().some(isOurs));
    const transaction = suite.receiver().events().find(isOurs);
    expect(transaction.request.env.REMOTE_ADDR).toBe('198.51.100.40');
  });
});

describe('NestJS (Fastify platform) + sentry-request-user/fastify', () => {
  // The fixture's Fastify variant: new FastifyAdapter({ trustProxy }) and `await app.register(sentryUser)`.
  const onFastify = (config: FixtureConfig): FixtureConfig & { platform: 'fastify' } => ({ ...config, platform: 'fastify' });

  it("an exception from a guarded controller carries the guard's request.user and the address our proxy saw; a direct client's forged header is ignored", async () => {
    // Address-based trust: Fastify 5.12 treats a hop count (trustProxy: 1) as trusting no peer at all.
    const fixture = await app(onFastify({ trustProxy: '127.0.0.1' }));
    expect(await getFrom('127.0.0.1', `${fixture.url}/account/boom?tag=fastify-proxy`, { ...bearer({ sub: 'f-1', username: 'fay' }), 'X-Forwarded-For': '6.6.6.6, 198.51.100.50' })).toBe(500);
    expect(await getFrom('127.0.0.2', `${fixture.url}/account/message?tag=fastify-forged`, { ...bearer({ sub: 'f-2' }), ...SPOOF })).toBe(200);
    const viaProxy = await eventMatching(suite.receiver(), 'nest guarded boom fastify-proxy');
    const forged = await eventMatching(suite.receiver(), 'nest account message fastify-forged');
    expect(viaProxy.user).toEqual({ id: 'f-1', username: 'fay' });
    expect(viaProxy.request.env.REMOTE_ADDR).toBe('198.51.100.50');
    expect(forged.user).toEqual({ id: 'f-2' });
    expect(forged.request.env.REMOTE_ADDR).toBe('127.0.0.2');
    expect(JSON.stringify(forged.user)).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
  });

  it('concurrent guarded requests with distinct users each get their own user; an unauthenticated one gets none', async () => {
    const fixture = await app(onFastify({}));
    const tags = Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    await Promise.all([
      ...tags.map((tag, i) =>
        request(fixture.url)
          .get(`/account/delay?ms=${(tags.length - i) * 3}&tag=${tag}&fail=${i % 2}`)
          .set(bearer({ sub: `user-${tag}` }))
          .expect(i % 2 ? 500 : 200),
      ),
      request(fixture.url).get('/public/message?tag=fastify-anonymous').expect(200),
    ]);
    for (const [i, tag] of tags.entries()) {
      const event = await eventMatching(suite.receiver(), i % 2 ? `nest delay failure ${tag}` : `nest delay ${tag}`);
      expect(event.user).toEqual({ id: `user-${tag}` });
    }
    expect((await eventMatching(suite.receiver(), 'nest public message fastify-anonymous')).user).toBeUndefined();
  });
});
