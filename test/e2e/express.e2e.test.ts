import jwt from 'jsonwebtoken';
import request from 'supertest';
import { e2eSuite, eventMatching, piiOptions, SENTRY_MAJOR, type FixtureConfig } from './harness.js';

// Real Express in its own process, the real @sentry/node SDK, real envelopes to a suite.receiver() on 127.0.0.1.
const suite = e2eSuite('express');
const app = suite.app;

const SPOOF = { 'X-Forwarded-For': '6.6.6.6', 'X-Client-IP': '5.5.5.5', 'X-Real-IP': '4.4.4.4', 'CF-Connecting-IP': '3.3.3.3' };
const token = (claims: object) => jwt.sign(claims, 'jwt-secret', { algorithm: 'HS256' });

describe('Express + @sentry/node: the client address', () => {
  it('an untrusted client cannot choose its address: REMOTE_ADDR is the peer and the SDK header guess is removed', async () => {
    const fixture = await app({ sentry: {} });
    await request(fixture.url).get('/boom?tag=spoof').set(SPOOF).set('Authorization', 'Bearer abc').expect(500);
    const event = await eventMatching(suite.receiver(), 'boom');
    expect(event.request.env).toEqual(expect.objectContaining({ REMOTE_ADDR: '127.0.0.1', SERVER_NAME: '127.0.0.1' }));
    expect(event.user?.ip_address).toBeUndefined();
    expect(JSON.stringify(event.user ?? {})).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
    expect(event.request.headers.authorization).toBe('[Filtered]');
  });

  it("follows the app's trust proxy setting: the entry the trusted proxy added wins", async () => {
    const fixture = await app({ trustProxy: 'loopback' });
    await request(fixture.url).get('/message?tag=proxied').set('X-Forwarded-For', '6.6.6.6, 198.51.100.7').expect(200);
    const event = await eventMatching(suite.receiver(), 'message proxied');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.7');
  });

  it('the trustProxy option overrides the app setting (RFC 7239 Forwarded)', async () => {
    const fixture = await app({ options: { trustProxy: 'loopback', forwardedHeader: 'forwarded' } });
    await request(fixture.url).get('/message?tag=forwarded').set('Forwarded', 'for="[2001:db8:cafe::17]:4711"').expect(200);
    const event = await eventMatching(suite.receiver(), 'message forwarded');
    expect(event.request.env.REMOTE_ADDR).toBe('2001:db8:cafe::17');
  });

  it("inside the app's own withIsolationScope (no tie there) the SDK's header-derived user.ip_address is removed", async () => {
    const fixture = await app({ sentry: piiOptions(true) });
    await request(fixture.url).get('/own-isolation-scope?tag=wis-spoof').set(SPOOF).expect(200);
    const event = await eventMatching(suite.receiver(), 'own isolation scope wis-spoof');
    expect(JSON.stringify(event.user ?? {})).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
  });

  it("inside the app's own withIsolationScope the ip_address the app set wins over the SDK's header guess", async () => {
    const fixture = await app({ sentry: piiOptions(true) });
    await request(fixture.url).get('/own-isolation-scope?tag=wis-app&appIp=203.0.113.50').set(SPOOF).expect(200);
    const event = await eventMatching(suite.receiver(), 'own isolation scope wis-app');
    expect(event.user?.ip_address).toBe('203.0.113.50');
  });

  it("inside the app's own withIsolationScope an address the app set is kept, also one its trusted proxy reported in X-Forwarded-For", async () => {
    const fixture = await app({ sentry: piiOptions(true), trustProxy: 'loopback' });
    await request(fixture.url).get('/own-isolation-scope?tag=wis-trusted&appIp=198.51.100.7').set('X-Forwarded-For', '198.51.100.7').expect(200);
    const event = await eventMatching(suite.receiver(), 'own isolation scope wis-trusted');
    expect(event.user?.ip_address).toBe('198.51.100.7');
  });

  it('a route registered before the middleware, before any request reached it: no spoofed address, the app-set one kept', async () => {
    const fixture = await app({ sentry: piiOptions(true) });
    await request(fixture.url).get('/before-middleware?tag=early-spoof').set(SPOOF).expect(200, 'early');
    await request(fixture.url).get('/before-middleware?tag=early-app&appIp=203.0.113.60').set(SPOOF).expect(200, 'early');
    const spoofed = await eventMatching(suite.receiver(), 'before middleware early-spoof');
    expect(JSON.stringify(spoofed.user ?? {})).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
    expect((await eventMatching(suite.receiver(), 'before middleware early-app')).user?.ip_address).toBe('203.0.113.60');
  });

  it('setUserIp also writes the trusted address to user.ip_address', async () => {
    const fixture = await app({ trustProxy: 1, options: { setUserIp: true } });
    await request(fixture.url).get('/message?tag=setuserip').set('X-Forwarded-For', '6.6.6.6, 198.51.100.8').expect(200);
    const event = await eventMatching(suite.receiver(), 'message setuserip');
    expect(event.user.ip_address).toBe('198.51.100.8');
  });
});

describe('Express + @sentry/node: the user', () => {
  it.each(['before', 'after'] as const)('passport session user, middleware registered %s auth', async (middleware) => {
    const fixture = await app({ middleware });
    const agent = request.agent(fixture.url);
    await agent.post('/login').type('form').send({ username: 'ada', password: 'lovelace' }).expect(200);
    await agent.get(`/me/boom`).set('X-Test-Tag', middleware).expect(500);
    const event = await eventMatching(suite.receiver(), 'signed-in boom');
    suite.receiver().items.length = 0;
    expect(event.user).toEqual({ id: '7', username: 'ada', email: 'ada@example.test', name: 'Ada Lovelace' });
    expect(JSON.stringify(event)).not.toContain('never-sent');
    expect(event.request.cookies['connect.sid']).toBe('[Filtered]');
  });

  it('express-jwt payload (req.auth) becomes the user', async () => {
    const fixture = await app();
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'jwt-user-1', email: 'j@example.test', preferred_username: 'jay' })}`).expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    expect(event.user).toEqual({ id: 'jwt-user-1', username: 'jay', email: 'j@example.test' });
  });

  it.each([
    ['oidc', 'express-openid-connect (req.oidc.user)', 'oidc-1'],
    ['locals', 'res.locals.user', 'locals-1'],
  ])('%s: %s becomes the user when nothing earlier in the chain is set', async (from, _name, id) => {
    const fixture = await app();
    await request(fixture.url).get(`/detected-user?from=${from}`).expect(200);
    const event = await eventMatching(suite.receiver(), `detected ${from}`);
    expect(event.user?.id).toBe(id);
  });

  it('a custom async getUser and mapUser', async () => {
    const fixture = await app({ getUser: 'headerAsync', mapUser: 'tenant' });
    await request(fixture.url).get('/message?tag=mapped').set('X-Test-User', 'm1').expect(200);
    const event = await eventMatching(suite.receiver(), 'message mapped');
    expect(event.user).toEqual({ id: 'tenant-m1', email: 'm1@example.test', plan: 'gold' });
  });

  it("the application's own Sentry.setUser wins, ip_address included", async () => {
    const fixture = await app({ trustProxy: 'loopback' });
    await request(fixture.url).get('/set-user').set('X-Forwarded-For', '198.51.100.7').expect(500);
    const event = await eventMatching(suite.receiver(), 'with app user');
    expect(event.user.id).toBe('app-set');
    expect(event.user.ip_address).toBe('192.0.2.55');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.7');
  });
});

describe('Express + @sentry/node: PII', () => {
  it('dataCollection.userInfo false: only the id and no REMOTE_ADDR (cookies stay the SDK\'s own business, filtered)', async () => {
    const fixture = await app({ sentry: piiOptions(false) });
    const agent = request.agent(fixture.url);
    const login = await agent.post('/login').type('form').send({ username: 'ada', password: 'lovelace' }).expect(200);
    const sessionCookie = /connect\.sid=([^;]+)/.exec(String(login.headers['set-cookie']))?.[1];
    expect(sessionCookie).toBeDefined();
    await agent.get('/me/boom').expect(500);
    const event = await eventMatching(suite.receiver(), 'signed-in boom');
    suite.receiver().items.length = 0;
    expect(event.user).toEqual({ id: '7' });
    expect(event.request.env?.REMOTE_ADDR).toBeUndefined();
    // The client did send the session cookie; whatever the SDK's own cookie switch collected, its value is not in
    // the event (neither raw nor URL-decoded).
    const text = JSON.stringify(event);
    expect(text).not.toContain(sessionCookie as string);
    expect(text).not.toContain(decodeURIComponent(sessionCookie as string));
  });

  it('pii: true widens past the SDK default (no switch set) to email and REMOTE_ADDR', async () => {
    // JSON drops undefined: the fixture's Sentry.init gets neither sendDefaultPii nor dataCollection.
    const fixture = await app({ sentry: { sendDefaultPii: undefined, dataCollection: undefined }, options: { pii: true } });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'p1', email: 'p1@example.test' })}`).expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    suite.receiver().items.length = 0;
    expect(event.user).toEqual({ id: 'p1', email: 'p1@example.test' });
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });

  it('pii: true never re-enables user data the app switched off in the SDK', async () => {
    const fixture = await app({ sentry: piiOptions(false), options: { pii: true } });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'p2', email: 'p2@example.test' })}`).expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    suite.receiver().items.length = 0;
    expect(event.user).toEqual({ id: 'p2' });
    expect(event.request.env?.REMOTE_ADDR).toBeUndefined();
  });
});

describe('Express + @sentry/node: a long poll answered from a route before the middleware', () => {
  it("a getUser that reads the app's own async context gives the long poll's late events no user, not the waker's", async () => {
    const fixture = await app({ getUser: 'appContext' });
    const parked = request(fixture.url).get('/jwt/park?key=early').set('Authorization', `Bearer ${token({ sub: 'parked' })}`).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the park request is in its handler
    await request(fixture.url).get('/wake-before-middleware?key=early').expect(200, 'woke');
    expect((await parked).text).toBe('woken');
    expect((await eventMatching(suite.receiver(), 'after park early')).user?.id).not.toBe('early-waker');
  });
});

describe('Express + @sentry/node, user data off: a long poll ended by a request that answered itself first', () => {
  const userDataOff = { sendDefaultPii: false, dataCollection: { userInfo: false } };

  async function parkThenWake(url: string, key: string): Promise<void> {
    const parked = request(url).get(`/jwt/park?key=${key}`).set('Authorization', `Bearer ${token({ sub: 'parked' })}`).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the park request is in its handler
    await request(url).get(`/jwt/wake-after-own-finish?key=${key}`).set('Authorization', `Bearer ${token({ sub: 'waker' })}`).expect(200, 'woke');
    expect((await parked).text).toBe('woken');
  }

  // Without mapUser the waker's kept User ({ tenant }) and the answer read in its context ({ username, tenant }) would
  // be sent alike; with mapUser two answers that differ only in a fresh array name the same user.
  it.each<[string, string, FixtureConfig]>([
    ['without an id, with extraKeys', 'no-id', { getUser: 'appContextWithoutId', options: { extraKeys: ['tenant'] } }],
    ['with a fresh array each call, and a mapUser', 'mapped', { getUser: 'appContextWithRoles', mapUser: 'fromUsername' }],
  ])("a getUser that reads the app's own async context (%s) gives the long poll's late event none of the waker's fields", async (_name, key, config) => {
    const fixture = await app({ ...config, sentry: userDataOff });
    await parkThenWake(fixture.url, key);
    const { user } = await eventMatching(suite.receiver(), `after park ${key}`);
    expect(JSON.stringify(user ?? {})).not.toMatch(/waker/);
  });

  it('a getUser that reads the request keeps the id for an event captured after the response', async () => {
    const fixture = await app({ getUser: 'jwtPayload', sentry: userDataOff });
    await parkThenWake(fixture.url, 'by-request');
    expect((await eventMatching(suite.receiver(), 'after park by-request')).user).toEqual({ id: 'parked' });
  });
});

describe('Express + @sentry/node: tracing', () => {
  const traced = SENTRY_MAJOR >= 11 ? it : it.skip;
  const transactions = SENTRY_MAJOR >= 11 ? it.skip : it;

  traced('@sentry/node 11: the streamed segment span carries the user and the trusted address, not the spoofed one', async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, trustProxy: 'loopback' });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'traced' })}`).set('X-Forwarded-For', '6.6.6.6, 198.51.100.9').expect(500);
    await suite.receiver().waitFor(() => suite.receiver().spans().some((span) => span.is_segment && span.attributes?.['user.id']?.value === 'traced'));
    const segment = suite.receiver().spans().find((span) => span.is_segment && span.attributes?.['user.id']?.value === 'traced');
    expect(segment.attributes['user.ip_address'].value).toBe('198.51.100.9');
    expect(segment.attributes['client.address'].value).toBe('198.51.100.9');
  });

  traced('@sentry/node 11: a mapUser that reads req fills the segment span (the SDK ends it after the response finished)', async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, mapUser: 'viaFramework' });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'mapped' })}`).set('X-Tenant', 'acme').expect(500);
    await suite.receiver().waitFor(() => suite.receiver().spans().some((span) => span.is_segment && span.attributes?.['user.id']?.value === 'mapped@acme'));
  });

  traced("@sentry/node 11, without the SDK's HTTP integration (we fork the scope): the app's own segment span carries the user", async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, noHttpIntegration: true });
    await request(fixture.url).get('/jwt/app-span?tag=forked').set('Authorization', `Bearer ${token({ sub: 'spanned' })}`).expect(200, 'spanned');
    const isAppSpan = (span: { is_segment?: boolean; name?: string }) => span.is_segment === true && span.name === 'app-span forked';
    await suite.receiver().waitFor(() => suite.receiver().spans().some(isAppSpan));
    const segment = suite.receiver().spans().find(isAppSpan);
    expect(segment.attributes['user.id']?.value).toBe('spanned');
    expect(segment.attributes['user.ip_address']?.value).toBe('127.0.0.1');
  });

  /**
   * A long poll (/jwt/park, user 'parked') answered by another request: /jwt/wake (user 'waker') ends it before its own
   * response; with `anonymousWakerFirst`, /wake-own-first (no user) sends its own response first.
   */
  async function longPoll(
    fixtureUrl: string,
    { anonymousWakerFirst = false } = {},
  ): Promise<{ park: Record<string, { value?: unknown }>; wake: Record<string, { value?: unknown }> }> {
    suite.receiver().items.length = 0; // the spans and events of an earlier long poll have the same names
    const parked = request(fixtureUrl).get('/jwt/park?key=lp').set('Authorization', `Bearer ${token({ sub: 'parked' })}`).set('X-Forwarded-For', '198.51.100.31');
    const parkedDone = parked.then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the park request is in its handler
    const wakePath = anonymousWakerFirst ? '/wake-own-first' : '/jwt/wake';
    const wake = request(fixtureUrl).get(`${wakePath}?key=lp`).set('X-Forwarded-For', '198.51.100.32');
    if (!anonymousWakerFirst) wake.set('Authorization', `Bearer ${token({ sub: 'waker' })}`);
    await wake.expect(200, 'woke');
    expect((await parkedDone).text).toBe('woken');
    const segment = (path: string) => (span: { is_segment?: boolean; name?: string }) => span.is_segment === true && String(span.name).includes(path);
    await suite.receiver().waitFor(() => suite.receiver().spans().some(segment('/jwt/park')) && suite.receiver().spans().some(segment(wakePath)));
    return {
      park: suite.receiver().spans().find(segment('/jwt/park')).attributes,
      wake: suite.receiver().spans().find(segment(wakePath)).attributes,
    };
  }

  traced("@sentry/node 11: a segment span the app starts in its own withIsolationScope (no tie) carries no spoofed user.ip_address", async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 } });
    await request(fixture.url).get('/own-isolation-scope-span?tag=wis').set(SPOOF).expect(200, 'spanned');
    const isOwn = (span: { is_segment?: boolean; name?: string }) => span.is_segment === true && span.name === 'own scope span wis';
    await suite.receiver().waitFor(() => suite.receiver().spans().some(isOwn));
    const segment = suite.receiver().spans().find(isOwn);
    expect(JSON.stringify(segment.attributes['user.ip_address'] ?? {})).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
  });

  traced.each([
    ["the SDK's HTTP integration", {}],
    ['the fork path', { noHttpIntegration: true }],
  ])("@sentry/node 11 (%s): a background job's segment span ended by a request does not get that request's user", async (_path, config) => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, backgroundSpan: true, ...config });
    await request(fixture.url).get('/jwt/end-background').set('Authorization', `Bearer ${token({ sub: 'ender' })}`).set(SPOOF).expect(200, 'ended');
    const isBackground = (span: { is_segment?: boolean; name?: string }) => span.is_segment === true && span.name === 'background batch';
    await suite.receiver().waitFor(() => suite.receiver().spans().some(isBackground));
    const segment = suite.receiver().spans().find(isBackground);
    suite.receiver().items.length = 0;
    expect(segment.attributes['user.id']).toBeUndefined();
    expect(JSON.stringify(segment.attributes['user.ip_address'] ?? {})).not.toMatch(/6\.6\.6\.6|5\.5\.5\.5|4\.4\.4\.4|3\.3\.3\.3/);
  });

  traced("@sentry/node 11: a long poll ended from another request's context keeps its own user and address on its segment span", async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, trustProxy: 'loopback' });
    const { park } = await longPoll(fixture.url);
    expect(park['user.id']?.value).toBe('parked');
    expect(park['user.ip_address']?.value).toBe('198.51.100.31');
  });

  traced("@sentry/node 11: a getUser that reads the request gives a long poll's segment span its own user, also when another request ends it", async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, getUser: 'jwtPayload' });
    const { park, wake } = await longPoll(fixture.url);
    expect(park['user.id']?.value).toBe('parked');
    expect(wake['user.id']?.value).toBe('waker');
    // Captured after the response, from the request's own timer: what was kept when the waker ended it.
    expect((await eventMatching(suite.receiver(), 'after park lp')).user?.id).toBe('parked');
  });

  traced("@sentry/node 11: a getUser that reads the request keeps a long poll's user when an anonymous request that answered itself first ends it", async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, getUser: 'jwtPayload' });
    const { park, wake } = await longPoll(fixture.url, { anonymousWakerFirst: true });
    expect(wake['user.id']).toBeUndefined();
    expect(park['user.id']?.value).toBe('parked');
    expect((await eventMatching(suite.receiver(), 'after park lp')).user?.id).toBe('parked');
  });

  traced("@sentry/node 11: a getUser that reads the app's own async context never gives a long poll's segment span the user of the request that ended it", async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, getUser: 'appContext' });
    const { park, wake } = await longPoll(fixture.url);
    expect(wake['user.id']?.value).toBe('waker'); // the getUser works in the request's own context
    expect(park['user.id']?.value).not.toBe('waker');
    expect((await eventMatching(suite.receiver(), 'after park lp')).user?.id).not.toBe('waker');
  });

  transactions('@sentry/node 8–10: the transaction event carries the user and the trusted address', async () => {
    const fixture = await app({ sentry: { tracesSampleRate: 1 }, trustProxy: 'loopback' });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'traced' })}`).set('X-Forwarded-For', '6.6.6.6, 198.51.100.9').expect(500);
    const transaction = await suite.receiver()
      .waitFor(() => suite.receiver().events().some((event) => event.type === 'transaction' && event.user?.id === 'traced'))
      .then(() => suite.receiver().events().find((event) => event.type === 'transaction' && event.user?.id === 'traced'));
    expect(transaction.request.env.REMOTE_ADDR).toBe('198.51.100.9');
    expect(transaction.user.ip_address).toBeUndefined();
  });
});

describe('Express + @sentry/node: warnings', () => {
  it.each([
    ['true', true],
    ["'0.0.0.0/1,128.0.0.0/1,::/1,8000::/1' (every address; proxy-addr refuses /0)", '0.0.0.0/1,128.0.0.0/1,::/1,8000::/1'],
  ])('trust proxy %s is honoured but warned about once, with the fix', async (_name, trustProxy) => {
    const fixture = await app({ trustProxy });
    await request(fixture.url).get('/message?tag=trust-all-1').set('X-Forwarded-For', '198.51.100.1, 10.0.0.1').expect(200);
    await request(fixture.url).get('/message?tag=trust-all-2').set('X-Forwarded-For', '198.51.100.2').expect(200);
    const first = await eventMatching(suite.receiver(), 'message trust-all-1');
    await eventMatching(suite.receiver(), 'message trust-all-2');
    expect(first.request.env.REMOTE_ADDR).toBe('198.51.100.1');
    expect(fixture.stderr().match(/trusts every proxy hop/g)).toHaveLength(1);
    expect(fixture.stderr()).toContain("app.set('trust proxy', N)");
  });

  it('a failing getUser is reported once through the SDK debug logger', async () => {
    const fixture = await app({ getUser: 'throws', debug: true });
    await request(fixture.url).get('/message?tag=debug-1').expect(200);
    await request(fixture.url).get('/message?tag=debug-2').expect(200);
    await eventMatching(suite.receiver(), 'message debug-1');
    await eventMatching(suite.receiver(), 'message debug-2');
    const output = fixture.stdout() + fixture.stderr();
    expect(output.match(/sentry-request-user: getUser failed \(Error: getUser exploded\)/g)).toHaveLength(1);
  });
});

describe('Express + @sentry/node: faults never hurt the app', () => {
  it.each(['throws', 'rejects'] as const)('getUser that %s: the response goes out, the event too, without the user', async (getUser) => {
    const fixture = await app({ getUser });
    await request(fixture.url).get(`/message?tag=getuser-${getUser}`).expect(200, 'sent');
    const event = await eventMatching(suite.receiver(), `message getuser-${getUser}`);
    expect(event.user).toBeUndefined();
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });

  it('getUser that never settles: the response is immediate, the event goes out after the bound', async () => {
    const fixture = await app({ getUser: 'hangs' });
    const started = Date.now();
    await request(fixture.url).get('/message?tag=hangs').expect(200);
    expect(Date.now() - started).toBeLessThan(1500);
    const event = await eventMatching(suite.receiver(), 'message hangs', 10000);
    expect(event.user).toBeUndefined();
  });

  it('an odd principal (throwing getter, huge strings, prototype keys) is mapped safely', async () => {
    const fixture = await app({ getUser: 'odd' });
    await request(fixture.url).get('/message?tag=odd').expect(200);
    const event = await eventMatching(suite.receiver(), 'message odd');
    expect(event.user).toEqual({ username: 'x'.repeat(128) });
  });

  it('without Sentry.init the middleware passes requests through', async () => {
    const fixture = await app({ noSentry: true });
    await request(fixture.url).get('/ok').expect(200, 'ok');
    await request(fixture.url).get('/boom').expect(500);
  });

  it('Sentry.init after the framework import still isolates and fills events', async () => {
    const fixture = await app({ initAfterFramework: true, getUser: 'headerAsync' });
    await request(fixture.url).get('/message?tag=late-init').set('X-Test-User', 'late').expect(200);
    const event = await eventMatching(suite.receiver(), 'message late-init');
    expect(event.user.id).toBe('late');
  });

  it('without setupExpressErrorHandler, captured messages still carry the user', async () => {
    const fixture = await app({ errorHandler: false, getUser: 'headerAsync' });
    await request(fixture.url).get('/message?tag=no-handler').set('X-Test-User', 'nh').expect(200);
    const event = await eventMatching(suite.receiver(), 'message no-handler');
    expect(event.user.id).toBe('nh');
  });
});
