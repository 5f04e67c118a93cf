import { readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { describeEvent, e2eSuite, eventMatching, piiOptions, SENTRY_MAJOR } from './harness.js';

// Real Fastify in its own process, the real @sentry/node SDK, real envelopes to a receiver on 127.0.0.1.
// Registered as a user would: Sentry.init before Fastify is required, `await app.register(sentryUser)` first.
const suite = e2eSuite('fastify');
const app = suite.app;

const SPOOF = { 'X-Forwarded-For': '6.6.6.6', 'X-Client-IP': '5.5.5.5', 'X-Real-IP': '4.4.4.4', 'CF-Connecting-IP': '3.3.3.3' };
const token = (claims: object) => jwt.sign(claims, 'jwt-secret', { algorithm: 'HS256' });
/** The Fastify the fixtures run with (the repository's, or a compatibility cell's). */
const fastifyVersionParts = (): number[] => {
  const root = process.env.SRU_FIXTURE_ROOT ? path.resolve(process.env.SRU_FIXTURE_ROOT) : path.resolve(__dirname, '../..');
  return (JSON.parse(readFileSync(path.join(root, 'node_modules/fastify/package.json'), 'utf8')) as { version: string }).version.split('.').map(Number);
};
const clear = () => {
  suite.receiver().items.length = 0;
};

describe('Fastify + @sentry/node: the client address', () => {
  it('an untrusted client cannot choose its address: REMOTE_ADDR is the peer, nothing spoofed anywhere in the user', async () => {
    const fixture = await app();
    await request(fixture.url).get('/boom').set(SPOOF).expect(500);
    const event = await eventMatching(suite.receiver(), 'boom');
    clear();
    expect(event.request.env).toEqual(expect.objectContaining({ REMOTE_ADDR: '127.0.0.1' }));
    expect(event.user?.ip_address).toBeUndefined();
    expect(JSON.stringify(event.user ?? {})).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
  });

  it("follows the app's trustProxy (address list): the entry the trusted proxy added wins", async () => {
    const fixture = await app({ trustProxy: '127.0.0.1,10.0.0.0/8' });
    await request(fixture.url).get('/message?tag=fastify-proxied').set('X-Forwarded-For', '6.6.6.6, 198.51.100.7, 10.1.2.3').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-proxied');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.7');
  });

  it("follows the app's trustProxy array of presets", async () => {
    const fixture = await app({ trustProxy: ['loopback'] });
    await request(fixture.url).get('/message?tag=fastify-array').set('X-Forwarded-For', '198.51.100.8').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-array');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.8');
  });

  it("follows the app's trustProxy function, as Fastify calls it (address, hop)", async () => {
    const fixture = await app({ trustProxy: { fn: 'privateProxies' } });
    await request(fixture.url).get('/message?tag=fastify-fn').set('X-Forwarded-For', '6.6.6.6, 198.51.100.10, 10.0.0.5').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-fn');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.10');
  });

  // Fastify 5's @fastify/proxy-addr takes short IPv4 forms; Fastify 4's proxy-addr rejects them at start-up.
  ((fastifyVersionParts()[0] ?? 0) >= 5 ? it : it.skip)("a trustProxy form only Fastify's parser takes ('127.1' for 127.0.0.1): Fastify's own verdict per request is followed", async () => {
    const fixture = await app({ trustProxy: '127.1' });
    await request(fixture.url).get('/message?tag=fastify-short-form').set('X-Forwarded-For', '6.6.6.6, 198.51.100.11').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-short-form');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.11');
  });

  it("a hop-count trustProxy means what the installed Fastify makes of it (5.12.1+: nothing, so the peer)", async () => {
    const fixture = await app({ trustProxy: 1 });
    await request(fixture.url).get('/message?tag=fastify-hops').set('X-Forwarded-For', '6.6.6.6').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-hops');
    const fastifyVersion = fastifyVersionParts();
    const hopCountsDropped = (fastifyVersion[0] ?? 0) > 5 || (fastifyVersion[0] === 5 && ((fastifyVersion[1] ?? 0) > 12 || (fastifyVersion[1] === 12 && (fastifyVersion[2] ?? 0) >= 1)));
    expect(event.request.env.REMOTE_ADDR).toBe(hopCountsDropped ? '127.0.0.1' : '6.6.6.6');
  });

  it.each([true, '0.0.0.0/1,128.0.0.0/1,::/1,8000::/1'])('trustProxy: %s (every address) is honoured but warned about once, with the fix', async (trustProxy) => {
    const fixture = await app({ trustProxy });
    await request(fixture.url).get('/message?tag=fastify-every-hop-1').set('X-Forwarded-For', '198.51.100.1, 10.0.0.1').expect(200);
    await request(fixture.url).get('/message?tag=fastify-every-hop-2').set('X-Forwarded-For', '198.51.100.2').expect(200);
    const first = await eventMatching(suite.receiver(), 'message fastify-every-hop-1');
    await eventMatching(suite.receiver(), 'message fastify-every-hop-2');
    clear();
    expect(first.request.env.REMOTE_ADDR).toBe('198.51.100.1');
    expect(fixture.stderr().match(/trusts every proxy hop/g)).toHaveLength(1);
    expect(fixture.stderr()).toContain("Fastify's trustProxy");
  });

  it('the trustProxy option overrides the app setting (RFC 7239 Forwarded)', async () => {
    const fixture = await app({ options: { trustProxy: 'loopback', forwardedHeader: 'forwarded' } });
    await request(fixture.url).get('/message?tag=fastify-forwarded').set('Forwarded', 'for="[2001:db8:cafe::17]:4711"').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-forwarded');
    expect(event.request.env.REMOTE_ADDR).toBe('2001:db8:cafe::17');
  });

  it('the trustProxy option: a forged entry beyond the trusted hops is ignored', async () => {
    const fixture = await app({ options: { trustProxy: 1 } });
    await request(fixture.url).get('/message?tag=fastify-option-hops').set('X-Forwarded-For', '6.6.6.6, 198.51.100.9').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-option-hops');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.9');
  });
});

describe('Fastify + @sentry/node: the user', () => {
  it.each(['before', 'after'] as const)('@fastify/jwt request.user, plugin registered %s auth', async (middleware) => {
    const fixture = await app({ middleware });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: `fjwt-${middleware}`, email: 'j@example.test', preferred_username: 'jay' })}`).expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    clear();
    expect(event.user).toEqual({ id: `fjwt-${middleware}`, username: 'jay', email: 'j@example.test' });
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });

  it('request.session.user when no request.user', async () => {
    const fixture = await app();
    const agent = request.agent(fixture.url);
    await agent.post('/login').expect(200);
    await agent.get('/me/boom').expect(500);
    const event = await eventMatching(suite.receiver(), 'signed-in boom');
    clear();
    expect(event.user).toEqual({ id: '11', username: 'grace', email: 'grace@example.test' });
  });

  it('a custom async getUser(request, reply) and mapUser', async () => {
    const fixture = await app({ getUser: 'headerAsync', mapUser: 'tenant' });
    await request(fixture.url).get('/message?tag=fastify-mapped').set('X-Test-User', 'fm').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-mapped');
    expect(event.user).toEqual({ id: 'tenant-fm', email: 'fm@example.test', plan: 'gold' });
  });

  it('an event captured in an onResponse hook gets the user from an async getUser (the request is let go of after it)', async () => {
    const fixture = await app({ getUser: 'headerAsync' });
    await request(fixture.url).get('/ok?onResponse=fastify-finished').set('X-Test-User', 'fr').expect(200);
    const event = await eventMatching(suite.receiver(), 'on response fastify-finished');
    expect(event.user?.id).toBe('fr');
  });

  it("the application's own Sentry.setUser wins, ip_address included", async () => {
    const fixture = await app({ trustProxy: '127.0.0.1' });
    await request(fixture.url).get('/set-user').set('X-Forwarded-For', '198.51.100.7').expect(500);
    const event = await eventMatching(suite.receiver(), 'with app user');
    clear();
    expect(event.user.id).toBe('app-set');
    expect(event.user.ip_address).toBe('192.0.2.55');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.7');
  });
});

describe('Fastify + @sentry/node: every capture path carries the user and the trusted address', () => {
  const auth = { Authorization: `Bearer ${token({ sub: 'paths-1' })}`, 'X-Forwarded-For': '6.6.6.6, 198.51.100.20' };

  it.each([
    ['a sync route error (Sentry\'s Fastify error handling)', '/boom', 500, 'boom'],
    ['an async route error', '/async-boom', 500, 'async boom'],
    ['an error thrown by a route hook', '/hook-boom?tag=h1', 500, 'hook boom h1'],
    ['captureException in a route', '/capture?tag=c1', 200, 'captured c1'],
    ['captureMessage in a route', '/message?tag=m1', 200, 'message m1'],
    ['captureMessage in a preHandler hook', '/ok?hookMessage=k1', 200, 'hook message k1'],
  ] as const)('%s', async (_name, path, status, text) => {
    const fixture = await app({ trustProxy: 'loopback' });
    await request(fixture.url).get(path).set(auth).expect(status);
    const event = await eventMatching(suite.receiver(), text);
    clear();
    if (path === '/boom' && SENTRY_MAJOR >= 11) expect(event.exception.values[0].mechanism).toEqual(expect.objectContaining({ type: 'auto.function.fastify', handled: false }));
    expect(event.user).toEqual({ id: 'paths-1' });
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.20');
  });

  // @sentry/node 11 captures Fastify errors by itself (setupFastifyErrorHandler is a no-op there); up to 10 it needs it.
  (SENTRY_MAJOR >= 11 ? it : it.skip)('@sentry/node 11 without setupFastifyErrorHandler: route errors still carry the user', async () => {
    const fixture = await app({ errorHandler: false });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'no-handler' })}`).expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    clear();
    expect(event.user).toEqual({ id: 'no-handler' });
  });

  it("an app's own error handler capturing by itself, without the SDK's HTTP integration (we fork the scope)", async () => {
    const fixture = await app({ noHttpIntegration: true, outerCapture: true });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'outer-1' })}`).expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    clear();
    expect(event.user).toEqual({ id: 'outer-1' });
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });
});

describe('Fastify + @sentry/node: PII', () => {
  it('dataCollection.userInfo false: only the id, no email, no REMOTE_ADDR', async () => {
    const fixture = await app({ sentry: piiOptions(false), trustProxy: 'loopback' });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'np', email: 'np@example.test' })}`).set('X-Forwarded-For', '198.51.100.30').expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    clear();
    expect(event.user).toEqual({ id: 'np' });
    expect(event.request.env?.REMOTE_ADDR).toBeUndefined();
    expect(JSON.stringify(event)).not.toContain('198.51.100.30');
  });
});

describe('Fastify + @sentry/node: tracing', () => {
  const traced = SENTRY_MAJOR >= 11 ? it : it.skip;
  traced('@sentry/node 11: the streamed segment span carries user.id and the trusted address, not the spoofed one', async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, trustProxy: 'loopback' });
    await request(fixture.url).get('/message?tag=fastify-traced').set('Authorization', `Bearer ${token({ sub: 'traced' })}`).set('X-Forwarded-For', '6.6.6.6, 198.51.100.9').expect(200);
    const isSegment = (span: any) => span.is_segment && span.attributes?.['user.id']?.value === 'traced';
    await suite.receiver().waitFor(() => suite.receiver().spans().some(isSegment));
    const segment = suite.receiver().spans().find(isSegment);
    clear();
    expect(segment.attributes['user.ip_address'].value).toBe('198.51.100.9');
    expect(segment.attributes['client.address'].value).toBe('198.51.100.9');
  });
  traced('tracing on, untrusted client: no spoofed address in the event or the segment span', async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 } });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'spoof-traced' })}`).set(SPOOF).expect(500);
    const isSegment = (span: any) => span.is_segment && span.attributes?.['user.id']?.value === 'spoof-traced';
    await suite.receiver().waitFor(() => suite.receiver().spans().some(isSegment));
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    const segment = suite.receiver().spans().find(isSegment);
    clear();
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
    expect(JSON.stringify(event.user)).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
    // The SDK's own header attributes (http.request.header.*) are its dataCollection.httpHeaders business.
    expect(JSON.stringify(Object.entries(segment.attributes).filter(([key]) => /^(user|client)\./.test(key)))).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
    expect(segment.attributes['user.ip_address'].value).toBe('127.0.0.1');
  });
});

describe('Fastify + @sentry/node: concurrency', () => {
  it.each([
    ["the SDK's per-request scope", {}],
    ['without the SDK HTTP integration (we fork the scope)', { noHttpIntegration: true }],
  ] as const)('interleaved requests with distinct users and addresses never mix, %s', async (_name, extra) => {
    const requests = 150;
    const sentry = { transportOptions: { bufferSize: requests * 2 } };
    const fixture = await app({ getUser: 'headerAsync', trustProxy: 'loopback', sentry, ...extra });
    clear();
    const addressFor = (i: number) => `198.51.100.${i + 1}`;
    await Promise.all(
      Array.from({ length: requests }, (_, i) =>
        request(fixture.url)
          .get(`/delay?tag=fc${i}&ms=${(i * 13) % 17}&fail=${i % 7 === 0 ? 1 : 0}`)
          .set('X-Test-User', `fc${i}`)
          .set('X-Lookup-Delay', String((i * 7) % 11))
          .set('X-Forwarded-For', addressFor(i))
          .expect(i % 7 === 0 ? 500 : 200),
      ),
    );
    await suite.receiver().waitFor(() => suite.receiver().events().length >= requests, 30000);
    const events = suite.receiver().events();
    clear();
    expect(events).toHaveLength(requests);
    const mixed = events.filter((event) => {
      const tag = /fc(\d+)/.exec(describeEvent(event))?.[1];
      return tag === undefined || event.user?.id !== `fc${tag}` || event.request?.env?.REMOTE_ADDR !== addressFor(Number(tag));
    });
    expect(mixed).toEqual([]);
  });
});

describe('Fastify + @sentry/node: faults never hurt the app', () => {
  it.each(['throws', 'rejects'] as const)('getUser that %s: the response goes out, the event too, without the user', async (getUser) => {
    const fixture = await app({ getUser });
    await request(fixture.url).get(`/message?tag=fastify-getuser-${getUser}`).expect(200, 'sent');
    const event = await eventMatching(suite.receiver(), `message fastify-getuser-${getUser}`);
    expect(event.user).toBeUndefined();
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });

  it('a bad option fails registration with a message that says the fix', async () => {
    await expect(app({ options: { trustproxy: 1 } })).rejects.toThrow(/unknown option 'trustproxy' \(did you mean 'trustProxy'\?\)/);
  });

  it('without Sentry.init the plugin passes requests through', async () => {
    const fixture = await app({ noSentry: true });
    await request(fixture.url).get('/ok').expect(200, 'ok');
    await request(fixture.url).get('/boom').expect(500);
  });

  it('Sentry.init after requiring Fastify still fills events', async () => {
    const fixture = await app({ initAfterFramework: true, getUser: 'headerAsync' });
    await request(fixture.url).get('/message?tag=fastify-late-init').set('X-Test-User', 'late').expect(200);
    const event = await eventMatching(suite.receiver(), 'message fastify-late-init');
    expect(event.user.id).toBe('late');
  });
});
