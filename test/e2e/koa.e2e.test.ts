import jwt from 'jsonwebtoken';
import request from 'supertest';
import { e2eSuite, eventMatching, KOA_ROUTE_ERRORS_WORK, piiOptions } from './harness.js';

const describeKoa = KOA_ROUTE_ERRORS_WORK ? describe : describe.skip;

// Real Koa in its own process, registered as Sentry's guide says: setupKoaErrorHandler first, then sentryUser().
const suite = e2eSuite('koa');
const app = suite.app;

const token = (claims: object) => jwt.sign(claims, 'jwt-secret', { algorithm: 'HS256' });

describeKoa('Koa + @sentry/node', () => {
  it('an untrusted client cannot choose its address', async () => {
    const fixture = await app();
    await request(fixture.url).get('/boom').set('X-Forwarded-For', '6.6.6.6').set('X-Client-IP', '5.5.5.5').expect(500);
    const event = await eventMatching(suite.receiver(), 'boom');
    suite.receiver().items.length = 0;
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
    expect(event.user?.ip_address).toBeUndefined();
  });

  it('follows app.proxy with maxIpsCount', async () => {
    const fixture = await app({ proxy: true, maxIpsCount: 1 });
    await request(fixture.url).get('/message?tag=koa-proxied').set('X-Forwarded-For', '6.6.6.6, 198.51.100.7').expect(200);
    const event = await eventMatching(suite.receiver(), 'message koa-proxied');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.7');
  });

  it('app.proxy without maxIpsCount is honoured but warned about once, with the fix', async () => {
    const fixture = await app({ proxy: true });
    await request(fixture.url).get('/message?tag=koa-every-hop-1').set('X-Forwarded-For', '198.51.100.1, 198.51.100.2').expect(200);
    await request(fixture.url).get('/message?tag=koa-every-hop-2').set('X-Forwarded-For', '198.51.100.1').expect(200);
    const event = await eventMatching(suite.receiver(), 'message koa-every-hop-1');
    await eventMatching(suite.receiver(), 'message koa-every-hop-2');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.1');
    expect(fixture.stderr().match(/trusts every proxy hop/g)).toHaveLength(1);
    expect(fixture.stderr()).toContain('maxIpsCount');
  });

  it.each(['before', 'after'] as const)('koa-session user, middleware registered %s auth', async (middleware) => {
    const fixture = await app({ middleware });
    const agent = request.agent(fixture.url);
    await agent.post('/login').expect(200);
    await agent.get('/me/boom').expect(500);
    const event = await eventMatching(suite.receiver(), 'signed-in boom');
    suite.receiver().items.length = 0;
    expect(event.user).toEqual({ id: '11', username: 'grace', email: 'grace@example.test' });
  });

  it('an app that replaced ctx.req with its own stream: the trusted address still comes from the Node request', async () => {
    const fixture = await app({ replaceRequest: true, proxy: true, maxIpsCount: 1 });
    await request(fixture.url).get('/message?tag=koa-replaced-req').set('X-Forwarded-For', '6.6.6.6, 198.51.100.7').expect(200);
    const event = await eventMatching(suite.receiver(), 'message koa-replaced-req');
    suite.receiver().items.length = 0;
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.7');
  });

  it('koa-jwt user (ctx.state.user)', async () => {
    const fixture = await app();
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'koa-jwt-1', nickname: 'kj' })}`).expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    suite.receiver().items.length = 0;
    expect(event.user).toEqual({ id: 'koa-jwt-1', username: 'kj' });
  });

  it('an error captured by a middleware outside ours still carries the user, also when we forked the scope', async () => {
    const fixture = await app({ noHttpIntegration: true, errorHandler: false, outerCapture: true });
    await request(fixture.url).get('/jwt/boom').set('Authorization', `Bearer ${token({ sub: 'outer-1' })}`).expect(500);
    const event = await eventMatching(suite.receiver(), 'jwt boom');
    suite.receiver().items.length = 0;
    expect(event.user).toEqual({ id: 'outer-1' });
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });

  it('a custom async getUser(ctx)', async () => {
    const fixture = await app({ getUser: 'headerAsync' });
    await request(fixture.url).get('/message?tag=koa-custom').set('X-Test-User', 'kc').expect(200);
    const event = await eventMatching(suite.receiver(), 'message koa-custom');
    expect(event.user).toEqual({ id: 'kc', username: 'user-kc', email: 'kc@example.test' });
  });

  it("the application's own Sentry.setUser wins, ip_address included, and REMOTE_ADDR is still the trusted address", async () => {
    const fixture = await app({ proxy: true, maxIpsCount: 1 });
    await request(fixture.url).get('/set-user').set('X-Forwarded-For', '198.51.100.7').expect(500);
    const event = await eventMatching(suite.receiver(), 'with app user');
    expect(event.user.id).toBe('app-set');
    expect(event.user.ip_address).toBe('192.0.2.55');
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.7');
  });

  it('PII off: only the id', async () => {
    const fixture = await app({ sentry: piiOptions(false), getUser: 'headerAsync' });
    await request(fixture.url).get('/message?tag=koa-nopii').set('X-Test-User', 'np').expect(200);
    const event = await eventMatching(suite.receiver(), 'message koa-nopii');
    expect(event.user).toEqual({ id: 'np' });
    expect(event.request.env?.REMOTE_ADDR).toBeUndefined();
  });

  it('getUser that throws: response and event still go out', async () => {
    const fixture = await app({ getUser: 'throws' });
    await request(fixture.url).get('/message?tag=koa-throws').expect(200, 'sent');
    const event = await eventMatching(suite.receiver(), 'message koa-throws');
    expect(event.user).toBeUndefined();
  });

  it('without Sentry.init the middleware passes requests through', async () => {
    const fixture = await app({ noSentry: true });
    await request(fixture.url).get('/ok').expect(200, 'ok');
  });
});
