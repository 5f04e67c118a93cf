import { EventFiller, type RequestFacts } from '../../src/binding/event-filler.js';
import type { FrameworkAccess } from '../../src/binding/framework.js';
import { ADAPTER_OPTION_NAMES } from '../../src/options/options.js';
import { parseOptions } from '../../src/options/parse-options.js';
import type { RequestLike } from '../../src/request-like.js';
import { RequestTie } from '../../src/binding/request-tie.js';
import type { SentryHandle } from '../../src/sentry/locate-sentry.js';
import type { ClientShape, ScopeShape, SentryEventShape } from '../../src/sentry/sdk-shapes.js';

// EventFiller.fillEvent on its own: what an event of a live request gets, with and without the SDK's request data on
// the event already, with and without a user the app set. (The end-to-end suites check the same through the SDK.)

const request = (): RequestLike => ({
  method: 'POST',
  url: '/checkout?step=2&token=abc',
  headers: { host: 'shop.example.com', accept: 'application/json', cookie: 'theme=dark; connect.sid=s%3Aabc', authorization: 'Bearer x', 'x-forwarded-for': '6.6.6.6, 198.51.100.7' },
  socket: { remoteAddress: '127.0.0.1' },
});
const principal = { id: 42, username: 'ada', email: 'ada@example.com' };
const access: FrameworkAccess<RequestLike> = {
  name: 'test',
  request: (req) => req,
  response: () => undefined,
  detectPrincipal: () => principal,
  callGetUser: () => principal,
  mapUserArgument: (req) => req,
  frameworkTrust: () => ({ trust: () => false, trustsEveryHop: false }),
};
const client = (sendDefaultPii: boolean): ClientShape => ({ getOptions: () => ({ sendDefaultPii }) }) as ClientShape;
const filler = new EventFiller(parseOptions({ trustProxy: 'loopback' }, ADAPTER_OPTION_NAMES, true), access);
const facts = (req = request()): RequestFacts => ({ principal, request: req, resolution: filler.resolutionFor(req), mapUserArgument: req });
const fill = (event: SentryEventShape, pii: boolean, appSetUser: Record<string, unknown> = {}): SentryEventShape => filler.fillEvent(event, facts(), appSetUser, client(pii));

const OURS_WITH_PII = {
  method: 'POST',
  url: 'http://shop.example.com/checkout',
  query_string: 'step=2&token=[Filtered]',
  headers: { host: 'shop.example.com', accept: 'application/json', cookie: '[Filtered]', authorization: '[Filtered]', 'x-forwarded-for': '6.6.6.6, 198.51.100.7' },
  cookies: { theme: 'dark', 'connect.sid': '[Filtered]' },
  env: { REMOTE_ADDR: '198.51.100.7', SERVER_NAME: 'shop.example.com', SERVER_PORT: '80' },
};

describe('EventFiller.fillEvent', () => {
  it.each<[string, boolean, Record<string, unknown>]>([
    ['with pii: the whole Request interface, filtered, with REMOTE_ADDR', true, OURS_WITH_PII],
    [
      'without pii: no cookies, no REMOTE_ADDR, no header that carries an address',
      false,
      { ...OURS_WITH_PII, headers: { host: 'shop.example.com', accept: 'application/json', cookie: '[Filtered]', authorization: '[Filtered]' }, cookies: undefined, env: { SERVER_NAME: 'shop.example.com', SERVER_PORT: '80' } },
    ],
  ])('an event nobody else gave request data gets ours: %s', (_, pii, expected) => {
    const event = fill({ event_id: 'x' }, pii);
    expect(JSON.parse(JSON.stringify(event.request))).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it("keeps what the SDK put on the event, filters it, and adds only what is missing", () => {
    const sdkHeaders = { host: 'shop.example.com', 'x-api-key': 'k', 'x-real-ip': '6.6.6.6' };
    const sdkRequest = { url: 'http://sdk.example/checkout', headers: sdkHeaders, cookies: { sid: 'raw', theme: 'dark' } };
    const event = fill({ event_id: 'x', request: sdkRequest }, false);
    expect(event.request).toEqual({
      url: 'http://sdk.example/checkout',
      method: 'POST',
      query_string: 'step=2&token=[Filtered]',
      // The SDK's header map, filtered: not ours (which would also hold accept, cookie, authorization).
      headers: { host: 'shop.example.com', 'x-api-key': '[Filtered]' },
      cookies: { sid: '[Filtered]', theme: 'dark' },
      env: { SERVER_NAME: 'shop.example.com', SERVER_PORT: '80' },
    });
    // Someone else's objects (the SDK's copy on the scope, an app's own) are not changed in place.
    expect(sdkRequest).toEqual({ url: 'http://sdk.example/checkout', headers: { host: 'shop.example.com', 'x-api-key': 'k', 'x-real-ip': '6.6.6.6' }, cookies: { sid: 'raw', theme: 'dark' } });
  });

  it('without pii drops a REMOTE_ADDR someone else set, and with pii keeps theirs', () => {
    expect(fill({ event_id: 'x', request: { env: { REMOTE_ADDR: '6.6.6.6' } } }, false).request?.env).toEqual({ SERVER_NAME: 'shop.example.com', SERVER_PORT: '80' });
    expect(fill({ event_id: 'x', request: { env: { REMOTE_ADDR: '6.6.6.6' } } }, true).request?.env).toEqual({ REMOTE_ADDR: '6.6.6.6', SERVER_NAME: 'shop.example.com', SERVER_PORT: '80' });
  });

  it.each<[string, boolean, Record<string, unknown>, Record<string, unknown> | undefined]>([
    // No ip_address of our own by default: Relay takes it from REMOTE_ADDR (setUserIp puts it on the user as well).
    ['the app set nothing, pii: the principal', true, {}, { id: '42', username: 'ada', email: 'ada@example.com' }],
    ['the app set nothing, no pii: the id only', false, {}, { id: '42' }],
    ['the app set an identity: theirs alone', true, { id: 'app-7' }, { id: 'app-7' }],
    ['the app set "{{auto}}": dropped, the principal added', true, { ip_address: '{{auto}}' }, { id: '42', username: 'ada', email: 'ada@example.com' }],
    ['the app set an address a client wrote: dropped, its other fields kept', true, { ip_address: '6.6.6.6', segment: 'b' }, { id: '42', username: 'ada', email: 'ada@example.com', segment: 'b' }],
    ['the app set the trusted address: kept', true, { ip_address: '198.51.100.7' }, { id: '42', username: 'ada', email: 'ada@example.com', ip_address: '198.51.100.7' }],
  ])('event.user: %s', (_, pii, appSetUser, expected) => {
    expect(fill({ event_id: 'x' }, pii, appSetUser).user).toEqual(expected);
  });

  it('setUserIp puts the trusted address on a user the app did not give one, with pii only', () => {
    const withIp = new EventFiller(parseOptions({ trustProxy: 'loopback', setUserIp: true }, ADAPTER_OPTION_NAMES, true), access);
    const run = (pii: boolean, appSetUser: Record<string, unknown>) => withIp.fillEvent({ event_id: 'x' }, facts(), appSetUser, client(pii)).user;
    expect(run(true, {})).toEqual({ id: '42', username: 'ada', email: 'ada@example.com', ip_address: '198.51.100.7' });
    expect(run(true, { id: 'app-7' })).toEqual({ id: 'app-7', ip_address: '198.51.100.7' });
    expect(run(false, {})).toEqual({ id: '42' });
  });

  it('an event without a principal and without user data has no user', () => {
    const anonymous = filler.fillEvent({ event_id: 'x', user: { ip_address: '{{auto}}' } }, { ...facts(), principal: undefined }, {}, client(false));
    expect(anonymous.user).toBeUndefined();
  });
});

describe('EventFiller.fillSegmentSpan', () => {
  // The address attributes @sentry/node 11 puts on an http.server segment span (a spoofed X-Forwarded-For among them).
  const sdkAttributes = (): Record<string, unknown> => ({
    'sentry.op': 'http.server',
    'url.path': '/checkout',
    'http.request.header.x-forwarded-for': '6.6.6.6, 198.51.100.7',
    'http.request.header.host': 'shop.example.com',
    'client.address': '6.6.6.6',
    'network.peer.address': '127.0.0.1',
    'user.ip_address': '6.6.6.6',
  });
  const fillSpan = (pii: boolean, withRequest: boolean): Record<string, unknown> => {
    const span = { span_id: 's', is_segment: true, attributes: sdkAttributes() };
    filler.fillSegmentSpan(span, withRequest ? facts() : { ...facts(), request: undefined }, client(pii));
    return span.attributes;
  };

  it('with pii: the principal and the trusted address, in place of the SDK’s header guess', () => {
    expect(fillSpan(true, true)).toEqual({
      ...sdkAttributes(),
      'user.id': '42',
      'user.name': 'ada',
      'user.email': 'ada@example.com',
      'user.ip_address': '198.51.100.7',
      'client.address': '198.51.100.7',
    });
  });

  it('without pii: the id, and no address anywhere — the same whether or not the request was built', () => {
    const expected = { 'sentry.op': 'http.server', 'url.path': '/checkout', 'http.request.header.host': 'shop.example.com', 'user.id': '42' };
    expect(fillSpan(false, true)).toEqual(expected);
    expect(fillSpan(false, false)).toEqual(expected);
  });

  it('with pii, only the headers and the peer give the same attributes as the whole request', () => {
    const whole = request();
    const span = { span_id: 's', is_segment: true, attributes: sdkAttributes() };
    const addressOnly: RequestLike = { headers: whole.headers, socket: { remoteAddress: whole.socket?.remoteAddress } };
    filler.fillSegmentSpan(span, { ...facts(), request: addressOnly }, client(true));
    expect(span.attributes).toEqual(fillSpan(true, true));
  });

  // The SDK's copy of a request, as @sentry/node keeps it on the isolation scope, recording which of its parts are read.
  const recordingScope = (reads: string[]): ScopeShape => {
    const whole = request();
    const normalizedRequest = {
      get headers() {
        reads.push('headers');
        return whole.headers;
      },
      get url() {
        reads.push('url');
        return `http://shop.example.com${whole.url}`;
      },
      get method() {
        reads.push('method');
        return whole.method;
      },
    };
    const metadata = {
      ipAddress: '127.0.0.1',
      get normalizedRequest() {
        reads.push('normalizedRequest');
        return normalizedRequest;
      },
    };
    return { _sdkProcessingMetadata: metadata } as ScopeShape;
  };

  it.each([
    ['no pii, no mapUser: not even looked up', false, false, [], undefined],
    ['pii: its headers only (no URL, no method)', true, false, ['normalizedRequest', 'headers'], '198.51.100.7'],
    ['mapUser: all of it', false, true, ['normalizedRequest', 'headers', 'url', 'method'], undefined],
  ] as const)('a request that ended: its segment span fill reads of the SDK’s copy only what it needs, %s', (_, pii, mapUser, expectedReads, address) => {
    const segmentFiller = mapUser ? new EventFiller(parseOptions({ trustProxy: 'loopback', mapUser: (p: unknown) => p }, ADAPTER_OPTION_NAMES, true), access) : filler;
    const tie = new RequestTie(segmentFiller, request(), false, false);
    tie.keep();
    tie.letGo();
    const reads: string[] = [];
    const span = { span_id: 's', is_segment: true, attributes: sdkAttributes() };
    tie.fillSegmentSpan(span, recordingScope(reads), client(pii), {} as SentryHandle);
    expect([...new Set(reads)].sort()).toEqual([...expectedReads].sort());
    expect(span.attributes['user.id']).toBe('42');
    expect(span.attributes['user.ip_address']).toBe(address);
  });

  it('a live request whose URL the framework rewrote (a Koa mount): its segment span, a log and an event never make Node build headersDistinct', () => {
    const reads: string[] = [];
    const whole = request();
    const rawHeaders = Object.entries(whole.headers).flatMap(([name, value]) => [name, String(value)]);
    const live = {
      ...whole,
      rawHeaders,
      get headersDistinct() {
        reads.push('headersDistinct');
        return {};
      },
    } as RequestLike;
    const mounted: FrameworkAccess<RequestLike> = { ...access, originalUrl: () => '/mounted/checkout' };
    const tie = new RequestTie(new EventFiller(parseOptions({ trustProxy: 'loopback' }, ADAPTER_OPTION_NAMES, true), mounted), live, false, false);
    const span = { span_id: 's', is_segment: true, attributes: sdkAttributes() };
    const handle = {} as SentryHandle;
    tie.fillSegmentSpan(span, {} as ScopeShape, client(true), handle);
    const attributes: Record<string, unknown> = {};
    tie.fillUserAttributes(attributes, {} as ScopeShape, client(true), handle);
    tie.captureFacts({} as ScopeShape, handle);
    expect(reads).toEqual([]);
    expect(span.attributes['user.ip_address']).toBe('198.51.100.7');
    expect(attributes['user.id']).toBe('42');
  });

  it.each([
    ['no pii, no mapUser: nothing (not built per traced request)', false, false, 'none'],
    ['pii: what the trusted address is resolved from', true, false, 'address'],
    ['mapUser: all of it (mapUser gets it)', false, true, 'whole'],
  ] as const)('segmentRequestNeed, %s', (_, pii, mapUser, expected) => {
    const segmentFiller = mapUser ? new EventFiller(parseOptions({ mapUser: (p: unknown) => p }, ADAPTER_OPTION_NAMES, true), access) : filler;
    expect(segmentFiller.segmentRequestNeed(client(pii))).toBe(expected);
  });
});

describe('EventFiller.keptPrincipal: what a finished request keeps of its principal', () => {
  const full = { id: '42', username: 'ada', email: 'ada@example.com' };
  it.each<[string, Record<string, unknown>, boolean | undefined, unknown]>([
    ['before any client is known: every field the mapping could send', {}, undefined, full],
    ['under a client that allows user data', {}, true, full],
    ['under a client that does not: the id only (nothing held that could not be sent)', {}, false, { id: '42' }],
    ['with the pii option off under a client that allows it: the id only', { pii: false }, true, { id: '42' }],
    ['with the pii option on under a client that switched user data off: the id only', { pii: true }, false, { id: '42' }],
  ])('%s', (_, options, clientAllows, expected) => {
    const keeping = new EventFiller(parseOptions(options, ADAPTER_OPTION_NAMES, true), access);
    if (clientAllows !== undefined) keeping.noteClient(client(clientAllows));
    expect(keeping.keptPrincipal(principal)).toEqual(expected);
  });

  it('with mapUser: the app’s own object (mapUser gets it)', () => {
    const keeping = new EventFiller(parseOptions({ mapUser: (p: unknown) => p }, ADAPTER_OPTION_NAMES, true), access);
    keeping.noteClient(client(false));
    expect(keeping.keptPrincipal(principal)).toBe(principal);
  });
});
