import { existsSync } from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import request from 'supertest';
import jwt from 'jsonwebtoken';
import { e2eSuite, eventMatching, KOA_ROUTE_ERRORS_WORK, piiOptions, SENTRY_MAJOR, type FixtureConfig } from './harness';


/**
 * What the app switched off in the SDK stays off; what the app set itself wins; logs and metrics get the user too.
 * Everything is asserted on what arrives at the envelope receiver, for Express and Koa.
 */
const ROOT = process.env.SRU_FIXTURE_ROOT ? path.resolve(process.env.SRU_FIXTURE_ROOT) : path.resolve(__dirname, '../..');
/** The SDK resolves `dataCollection` (11, and late 10.x where the query switch is called `queryParams`). */
const HAS_DATA_COLLECTION = existsSync(path.join(ROOT, 'node_modules/@sentry/core/build/cjs/utils/data-collection/resolveDataCollectionOptions.js'));
const QUERY_SWITCH = SENTRY_MAJOR >= 11 ? 'urlQueryParams' : 'queryParams';
const withSwitches = HAS_DATA_COLLECTION ? it : it.skip;
/** Trace metrics (`Sentry.metrics.count` → `trace_metric` items) came in a later 10.x than 10.0. */
const HAS_METRICS = existsSync(path.join(ROOT, 'node_modules/@sentry/core/build/cjs/metrics/internal.js'));
const CLIENT = '203.0.113.9';

const token = (claims: Record<string, unknown>): string => jwt.sign(claims, 'jwt-secret', { algorithm: 'HS256' });

describe.each(KOA_ROUTE_ERRORS_WORK ? (['express', 'koa'] as const) : (['express'] as const))('%s: privacy ceiling, app precedence, logs and metrics', (framework) => {
  const suite = e2eSuite(framework);
  /** Express authenticates JWTs under /jwt only; Koa everywhere (passthrough). */
  const authed = framework === 'express' ? '/jwt' : '';
  let counter = 0;

  /**
   * A signed-in request from a client behind our (trusted, loopback) proxy, with cookies, a query and address
   * headers. The principal's id is unique per call: it is the one thing every variant sends, so it finds the event.
   */
  async function captureBehindProxy(sentry: Record<string, unknown>): Promise<any> {
    const fixture = await suite.app({ sentry, options: { trustProxy: 'loopback' } });
    const id = `${framework}-c${++counter}`;
    await request(fixture.url)
      .get('/jwt/boom?q=visible')
      .set('Authorization', `Bearer ${token({ sub: id, email: `${id}@example.test` })}`)
      .set('X-Forwarded-For', CLIENT)
      .set('X-Real-IP', CLIENT)
      .set('True-Client-IP', CLIENT)
      .set('Forwarded', `for=${CLIENT}`)
      .set('Cookie', 'theme=dark')
      .expect(500);
    const receiver = suite.receiver();
    await receiver.waitFor(() => receiver.events().some((event) => event.user?.id === id));
    const event = receiver.events().find((candidate) => candidate.user?.id === id);
    expect(event.user.id).toBe(id);
    return event;
  }

  it('with every switch on, headers, cookies, query and the trusted REMOTE_ADDR arrive (the baseline the switches remove)', async () => {
    const event = await captureBehindProxy(piiOptions(true));
    expect(event.user.email).toBe(`${event.user.id}@example.test`);
    expect(event.request.env.REMOTE_ADDR).toBe(CLIENT);
    expect(event.request.headers).toBeDefined();
    expect(event.request.cookies).toEqual({ theme: 'dark' });
    expect(event.request.query_string).toContain('q=visible');
  });

  it('user data off: the client address appears nowhere in the event, the user is the id only', async () => {
    const event = await captureBehindProxy(piiOptions(false));
    expect(JSON.stringify(event)).not.toContain(CLIENT);
    expect(Object.keys(event.user)).toEqual(['id']);
    expect(event.request.env?.REMOTE_ADDR).toBeUndefined();
  });

  (SENTRY_MAJOR >= 11 ? it : it.skip)('@sentry/node 11 with sendDefaultPii: false (which 11 ignores): user data off all the same', async () => {
    // No dataCollection at all (the harness's default sets one): only the old switch.
    const event = await captureBehindProxy({ sendDefaultPii: false, dataCollection: undefined });
    expect(JSON.stringify(event)).not.toContain(CLIENT);
    expect(Object.keys(event.user)).toEqual(['id']);
    expect(event.request.env?.REMOTE_ADDR).toBeUndefined();
  });

  /**
   * The same request with tracing on: the streamed segment span (@sentry/node 11) that carries the principal's id. The
   * SDK adds its request-header attributes to it after our fill, in its own `processSegmentSpan` hook.
   */
  async function segmentBehindProxy(sentry: Record<string, unknown>, options: Record<string, unknown> = {}): Promise<any> {
    const fixture = await suite.app({ sentry: { tracesSampleRate: 1, ...sentry }, options: { trustProxy: 'loopback', ...options } });
    const id = `${framework}-s${++counter}`;
    await request(fixture.url)
      .get('/jwt/boom')
      .set('Authorization', `Bearer ${token({ sub: id, email: `${id}@example.test` })}`)
      .set('X-Forwarded-For', `6.6.6.6, ${CLIENT}`)
      .set('X-Real-IP', CLIENT)
      .expect(500);
    const receiver = suite.receiver();
    const isOurs = (span: any) => span.is_segment === true && span.attributes?.['user.id']?.value === id;
    await receiver.waitFor(() => receiver.spans().some(isOurs));
    return receiver.spans().find(isOurs);
  }

  // Streamed segment spans exist from @sentry/node 11 on.
  (SENTRY_MAJOR >= 11 ? it : it.skip).each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['sendDefaultPii: false (which @sentry/node 11 ignores)', { sendDefaultPii: false, dataCollection: undefined }, {}],
    ['the pii: false option (the SDK collects user data)', piiOptions(true), { pii: false }],
  ])('user data off for us by %s: no client address on the segment span, not even in the header attributes the SDK adds', async (_name, sentry, options) => {
    const segment = await segmentBehindProxy(sentry, options);
    expect(JSON.stringify(segment)).not.toContain(CLIENT);
    expect(JSON.stringify(segment)).not.toContain('6.6.6.6');
  });

  withSwitches('httpHeaders off: no request headers from us', async () => {
    const event = await captureBehindProxy({ dataCollection: { userInfo: true, httpHeaders: false } });
    expect(event.request.headers ?? {}).toEqual({});
    expect(event.request.env.REMOTE_ADDR).toBe(CLIENT);
  });

  withSwitches('cookies off: no cookies', async () => {
    const event = await captureBehindProxy({ dataCollection: { userInfo: true, cookies: false } });
    expect(event.request.cookies).toBeUndefined();
    expect(JSON.stringify(event.request)).not.toContain('dark');
  });

  withSwitches(`${QUERY_SWITCH} off: no query string and no query in the url`, async () => {
    const event = await captureBehindProxy({ dataCollection: { userInfo: true, [QUERY_SWITCH]: false } });
    expect(event.request.query_string).toBeUndefined();
    expect(JSON.stringify(event.request)).not.toContain('q=visible');
  });

  withSwitches('every switch off: no headers, cookies, query or address anywhere', async () => {
    const event = await captureBehindProxy({ dataCollection: { userInfo: false, httpHeaders: false, cookies: false, [QUERY_SWITCH]: false } });
    const text = JSON.stringify(event);
    expect(text).not.toContain(CLIENT);
    expect(text).not.toContain('dark');
    expect(text).not.toContain('q=visible');
    expect(event.request.headers ?? {}).toEqual({});
    expect(Object.keys(event.user)).toEqual(['id']);
  });

  it.each(['object', 'scope', 'callback'])('a user set in captureException’s captureContext (%s) wins over the principal', async (form) => {
    const fixture = await suite.app({});
    await request(fixture.url)
      .get(`${authed}/capture-context?form=${form}`)
      .set('Authorization', `Bearer ${token({ sub: 'principal-1' })}`)
      .expect(200);
    const event = await eventMatching(suite.receiver(), `capture context ${form}`);
    expect(event.user.id).toBe(`from-${form}`);
    expect(event.user.id).not.toBe('principal-1');
    // The principal only fills what the app left out; the trusted address still goes to REMOTE_ADDR.
    expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
  });

  it('an event captured after the response, by work the request started, still carries the user and the address', async () => {
    const fixture = await suite.app({ options: { trustProxy: 'loopback' } });
    await request(fixture.url)
      .get(`${authed}/after-response?tag=${framework}-late&ms=100`)
      .set('Authorization', `Bearer ${token({ sub: 'late-user', email: 'late@example.test' })}`)
      .set('X-Forwarded-For', '198.51.100.23')
      .expect(200, 'later');
    const event = await eventMatching(suite.receiver(), `after response ${framework}-late`);
    expect(event.user).toMatchObject({ id: 'late-user', email: 'late@example.test' });
    expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.23');
  });

  it.each<[string, FixtureConfig, string]>([
    ['an async getUser', { getUser: 'headerAsync' }, 'finisher'],
    ['a mapUser that reads the framework object', { mapUser: 'viaFramework' }, 'fin-user@acme'],
  ])('an event captured in the app’s own finish listener gets the user from %s (the request is let go of after those listeners)', async (_name, config, id) => {
    const fixture = await suite.app(config);
    const tag = `${framework}-${id}`;
    await request(fixture.url)
      .get(`${authed}/in-finish?tag=${tag}`)
      .set('Authorization', `Bearer ${token({ sub: 'fin-user' })}`)
      .set('X-Test-User', 'finisher')
      .set('X-Tenant', 'acme')
      .expect(200, 'finishing');
    const event = await eventMatching(suite.receiver(), `in finish ${tag}`);
    expect(event.user?.id).toBe(id);
  });

  it('an async getUser that settles after the response still gives the user to a later event of the request', async () => {
    const fixture = await suite.app({ getUser: 'headerAsync' });
    await request(fixture.url).get(`/twice?tag=${framework}-settle&ms=300`).set('X-Test-User', 'late-settler').set('X-Lookup-Delay', '100').expect(200);
    const first = await eventMatching(suite.receiver(), `first ${framework}-settle`);
    const second = await eventMatching(suite.receiver(), `second ${framework}-settle`);
    expect(first.user?.id).toBe('late-settler');
    expect(second.user?.id).toBe('late-settler');
  });

  it('a user the app set (even only its id) is not mixed with the principal’s fields', async () => {
    const fixture = await suite.app({});
    await request(fixture.url)
      .get(`${authed}/set-user`)
      .set('Authorization', `Bearer ${token({ sub: 'principal-2', email: 'principal2@example.test', preferred_username: 'p2' })}`)
      .expect(500);
    const event = await eventMatching(suite.receiver(), 'with app user');
    expect(event.user).toEqual({ id: 'app-set', ip_address: '192.0.2.55' });
  });

  const withLogs = SENTRY_MAJOR >= 10 ? it : it.skip;
  withLogs('logs (and metrics, where the SDK has them) captured in a request carry user.id, email and name (set only where the app did not)', async () => {
    const fixture = await suite.app({ sentry: { enableLogs: true } });
    await request(fixture.url)
      .get(`${authed}/telemetry?tag=${framework}_t1`)
      .set('Authorization', `Bearer ${token({ sub: 'logger-1', email: 'logger@example.test', preferred_username: 'logger' })}`)
      .expect(200);
    const receiver = suite.receiver();
    await receiver.waitFor(() => receiver.logs().some((log) => String(log.body).includes(`log line ${framework}_t1`)), 15000);
    const log = receiver.logs().find((candidate) => String(candidate.body).includes(`log line ${framework}_t1`));
    expect(log.attributes['user.id'].value).toBe('logger-1');
    expect(log.attributes['user.email'].value).toBe('logger@example.test');
    expect(log.attributes['user.name'].value).toBe('logger');
    if (!HAS_METRICS) return;
    await receiver.waitFor(() => receiver.metrics().some((metric) => metric.name === `metric_${framework}_t1`), 15000);
    const metric = receiver.metrics().find((candidate) => candidate.name === `metric_${framework}_t1`);
    expect(metric.attributes['user.id'].value).toBe('logger-1');
  });

  withLogs('with user data off, logs carry user.id only', async () => {
    const fixture = await suite.app({ sentry: { enableLogs: true, ...piiOptions(false) } });
    await request(fixture.url)
      .get(`${authed}/telemetry?tag=${framework}_t2`)
      .set('Authorization', `Bearer ${token({ sub: 'logger-2', email: 'logger2@example.test' })}`)
      .expect(200);
    const receiver = suite.receiver();
    await receiver.waitFor(() => receiver.logs().some((log) => String(log.body).includes(`log line ${framework}_t2`)), 15000);
    const log = receiver.logs().find((candidate) => String(candidate.body).includes(`log line ${framework}_t2`));
    expect(log.attributes['user.id'].value).toBe('logger-2');
    expect(log.attributes['user.email']).toBeUndefined();
  });
});

/** One GET over cleartext HTTP/2; resolves with the status once the response has ended. */
function http2Get(url: string, pathWithQuery: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', reject);
    const stream = session.request({ ':method': 'GET', ':path': pathWithQuery, ...headers });
    let status = 0;
    stream.on('response', (response) => {
      status = Number(response[':status']);
    });
    stream.on('error', reject);
    stream.resume();
    stream.on('end', () => {
      session.close();
      resolve(status);
    });
  });
}

describe('koa over HTTP/2: the :path header is the request target, query included', () => {
  const suite = e2eSuite('koa');

  // Without dataCollection (SDK 8 to early 10) queries cannot be switched off: only the "on" case exists there.
  it.each(HAS_DATA_COLLECTION ? [true, false] : [true])(`with query strings collected: %s, :path carries the query only as query_string does`, async (queryOn) => {
    const fixture = await suite.app({ http2: true, sentry: HAS_DATA_COLLECTION ? { dataCollection: { userInfo: true, [QUERY_SWITCH]: queryOn } } : piiOptions(true) });
    const tag = `h2-${queryOn}`;
    expect(await http2Get(fixture.url, `/message?tag=${tag}&token=s3cret`, { authorization: 'Bearer raw-credential' })).toBe(200);
    const event = await eventMatching(suite.receiver(), `message ${tag}`);
    const text = JSON.stringify(event);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('raw-credential');
    expect(event.request.headers[':path']).toBe(queryOn ? `/message?tag=${tag}&token=[Filtered]` : '/message');
    // HTTP/2's Host is not a credential.
    expect(event.request.headers[':authority']).toBe(new URL(fixture.url).host);
  });
});
