import { toSentryRequest, type ToSentryRequestOptions, type RequestLike } from '../../src/index.js';

function request(fields: Partial<RequestLike> & { peer?: string; encrypted?: boolean } = {}): RequestLike {
  const { peer = '203.0.113.9', encrypted, ...rest } = fields;
  return { method: 'GET', url: '/', headers: { host: 'example.com' }, socket: { remoteAddress: peer, encrypted }, ...rest };
}

describe('toSentryRequest', () => {
  it('builds method, absolute url without the query, and query_string', () => {
    const data = toSentryRequest(request({ method: 'post', url: '/checkout?step=2#frag', headers: { host: 'Example.com' } }));
    expect(data).toMatchObject({ method: 'POST', url: 'http://example.com/checkout', query_string: 'step=2' });
  });

  it('prefers originalUrl (Express mounted routers rewrite url)', () => {
    expect(toSentryRequest(request({ url: '/inner', originalUrl: '/outer/inner' })).url).toBe('http://example.com/outer/inner');
  });

  it('uses https for TLS sockets and keeps a non-default port', () => {
    expect(toSentryRequest(request({ encrypted: true, headers: { host: 'example.com:8443' } })).url).toBe('https://example.com:8443/');
  });

  it.each<[string, string, Record<string, string>, ToSentryRequestOptions, string]>([
    ['forwarded proto/host from a trusted proxy', '127.0.0.1', { host: 'internal:3000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example.com' }, { trustProxy: 'loopback' }, 'https://shop.example.com/'],
    ['forwarded proto/host ignored from an untrusted peer', '203.0.113.9', { host: 'internal:3000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }, {}, 'http://internal:3000/'],
    ['first value of a forwarded list', '127.0.0.1', { host: 'a', 'x-forwarded-proto': 'https, http' }, { trustProxy: 'loopback' }, 'https://a/'],
    ['invalid host falls back to the path', '203.0.113.9', { host: 'bad host/<script>' }, {}, '/'],
  ])('%s', (_name, peer, headers, options, url) => {
    expect(toSentryRequest(request({ peer, headers }), options).url).toBe(url);
  });

  it('drops a method Relay would reject', () => {
    expect(toSentryRequest(request({ method: 'G3T!' })).method).toBeUndefined();
  });

  it.each(['authorization', 'cookie', 'proxy-authorization', 'x-api-key', 'set-cookie', 'x-auth-token', 'x-csrf-token', 'x-session-id'])(
    'filters the %s header with and without pii',
    (name) => {
      for (const pii of [true, false]) {
        const data = toSentryRequest(request({ headers: { host: 'h', [name]: 'secret-value' } }), { pii });
        expect(data.headers?.[name]).toBe('[Filtered]');
      }
    },
  );

  it('keeps ordinary headers and joins repeated ones', () => {
    const data = toSentryRequest(request({ headers: { host: 'h', accept: 'text/html', 'accept-language': ['en', 'fr'] } }));
    expect(data.headers).toMatchObject({ accept: 'text/html', 'accept-language': 'en, fr' });
  });

  it('sends a header that carries an address (Via) only with pii', () => {
    const req = request({ headers: { host: 'h', via: ['1.1 a', '1.1 b'] } });
    expect(toSentryRequest(req, { pii: true }).headers).toMatchObject({ via: '1.1 a, 1.1 b' });
    expect(toSentryRequest(req, { pii: false }).headers).not.toHaveProperty('via');
  });

  it('filters sensitive query parameter values, keeping the rest', () => {
    expect(toSentryRequest(request({ url: '/?q=shoes&access_token=abc&api%5Fkey=k' })).query_string).toBe('q=shoes&access_token=[Filtered]&api%5Fkey=[Filtered]');
  });

  it.each<[string, string]>([
    ['a=1&token=abc&b=2', 'a=1&token=[Filtered]&b=2'],
    ['token=abc', 'token=[Filtered]'],
    ['token=1&token=2', 'token=[Filtered]&token=[Filtered]'],
    ['a=1&token', 'a=1&token'],
    ['&&token=1&', '&&token=[Filtered]&'],
    ['x=a=b&api%5Fkey=k', 'x=a=b&api%5Fkey=[Filtered]'],
    ['access+token=z&q=1', 'access+token=[Filtered]&q=1'],
    ['q=%ZZ&page=2', 'q=%ZZ&page=2'],
    ['%ZZtoken=1', '%ZZtoken=[Filtered]'],
    ['q=token', 'q=token'],
    ['=token&session=', '=token&session=[Filtered]'],
  ])('query %s is sent as %s', (query, expected) => {
    expect(toSentryRequest(request({ url: `/p?${query}` })).query_string).toBe(expected);
  });

  it('sends cookies only with pii, sensitive names filtered', () => {
    const req = request({ headers: { host: 'h', cookie: 'theme=dark; connect.sid=s%3Aabc; csrftoken=x' } });
    expect(toSentryRequest(req, { pii: false }).cookies).toBeUndefined();
    expect(toSentryRequest(req, { pii: true }).cookies).toEqual({ theme: 'dark', 'connect.sid': '[Filtered]', csrftoken: '[Filtered]' });
  });

  it('sets REMOTE_ADDR only with pii, from the trusted resolution', () => {
    const req = request({ peer: '127.0.0.1', headers: { host: 'example.com', 'x-forwarded-for': '198.51.100.7' } });
    expect(toSentryRequest(req, { trustProxy: 'loopback', pii: true }).env).toEqual({ REMOTE_ADDR: '198.51.100.7', SERVER_NAME: 'example.com', SERVER_PORT: '80' });
    expect(toSentryRequest(req, { trustProxy: 'loopback', pii: false }).env).toEqual({ SERVER_NAME: 'example.com', SERVER_PORT: '80' });
  });

  it('takes REMOTE_ADDR from options.clientIp when given', () => {
    expect(toSentryRequest(request(), { pii: true, clientIp: '::ffff:192.0.2.1' }).env?.REMOTE_ADDR).toBe('192.0.2.1');
  });

  it('never lets a spoofed header into REMOTE_ADDR from an untrusted peer', () => {
    const req = request({ peer: '203.0.113.9', headers: { host: 'h', 'x-forwarded-for': '6.6.6.6', 'x-client-ip': '5.5.5.5', 'x-real-ip': '4.4.4.4' } });
    expect(toSentryRequest(req, { pii: true }).env?.REMOTE_ADDR).toBe('203.0.113.9');
  });

  it('SERVER_NAME strips IPv6 brackets', () => {
    expect(toSentryRequest(request({ headers: { host: '[::1]:8080' } })).env).toEqual({ SERVER_NAME: '::1', SERVER_PORT: '8080' });
  });

  it('never throws on a hostile request object', () => {
    const hostile = new Proxy({}, { get() { throw new Error('trap'); } }) as RequestLike;
    expect(() => toSentryRequest(hostile, { pii: true })).not.toThrow();
    expect(toSentryRequest(null as unknown as RequestLike)).toEqual({});
  });
});
