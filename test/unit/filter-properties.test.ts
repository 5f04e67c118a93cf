import fc from 'fast-check';
import { isAddressHeader } from '../../src/request/address-headers.js';
import { filterEventCookies, filterEventHeaders, toSentryRequest } from '../../src/request/to-sentry-request.js';
import { FILTERED, isSensitiveCookieName, isSensitiveName } from '../../src/privacy/sensitive-names.js';
import { trimmed } from '../../src/util/trim.js';

// The filters take shortcuts for speed (a clone of the header map with sensitive values overwritten, an in-place
// cookie scan, a trim that skips the builtin): each is checked here against the plain definition it replaces.

const ALWAYS_FILTERED = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key', 'set-cookie']);
const sensitive = (name: string): boolean => name.toLowerCase() !== ':authority' && name.toLowerCase() !== ':path' && (ALWAYS_FILTERED.has(name.toLowerCase()) || isSensitiveName(name.toLowerCase()));
const address = (name: string): boolean => name.toLowerCase() !== ':path' && name.toLowerCase() !== ':authority' && isAddressHeader(name.toLowerCase());

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** The plain definition of the query filter: every `name=value` part whose decoded name is sensitive gets `[Filtered]`. */
function referenceQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq !== -1 && isSensitiveName(decodeName(part.slice(0, eq))) ? `${part.slice(0, eq + 1)}${FILTERED}` : part;
    })
    .join('&');
}

/** HTTP/2's :path follows the query's rules. */
function referencePath(value: unknown, query: boolean): unknown {
  if (typeof value !== 'string') return FILTERED;
  const question = value.indexOf('?');
  if (question === -1) return value;
  return query ? `${value.slice(0, question + 1)}${referenceQuery(value.slice(question + 1))}` : value.slice(0, question);
}
const isPath = (name: string): boolean => name.toLowerCase() === ':path';

/** The plain definition of the request's header filter: one header at a time. */
function referenceHeaders(headers: Record<string, unknown>, pii: boolean, query = true): Record<string, string> {
  const result: Record<string, string> = {};
  let count = 0;
  for (const name of Object.keys(headers)) {
    if (count++ >= 100) break;
    if (name === '__proto__' || (!pii && address(name))) continue;
    const value = headers[name];
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.filter((line) => typeof line === 'string').join(', ') : undefined;
    if (text === undefined) continue;
    const kept = sensitive(name) ? FILTERED : isPath(name) ? referencePath(text.slice(0, 8192), query) : text.slice(0, 8192);
    Object.defineProperty(result, name, { value: kept, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** The plain definition of the filter for a header map someone else put on the event. */
function referenceEventHeaders(headers: Record<string, unknown>, pii: boolean, query = true): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of Object.keys(headers)) {
    if (name === '__proto__' || (!pii && address(name))) continue;
    result[name] = sensitive(name) ? FILTERED : isPath(name) ? referencePath(headers[name], query) : headers[name];
  }
  return result;
}

/** The plain definition of cookie parsing: split on `;`, trim, first one of a name wins, at most 50. */
function referenceCookies(header: string): Record<string, string> {
  const cookies: Record<string, string> = {};
  let count = 0;
  for (const part of header.split(';')) {
    if (count >= 50) break;
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || name === '__proto__' || Object.prototype.hasOwnProperty.call(cookies, name)) continue;
    count++;
    cookies[name] = isSensitiveCookieName(name) ? FILTERED : part.slice(eq + 1).trim().slice(0, 8192);
  }
  return cookies;
}

const headerName = fc.oneof(
  fc.constantFrom('host', 'accept', 'user-agent', 'authorization', 'Authorization', 'cookie', 'x-forwarded-for', 'X-Real-IP', 'via', 'x-api-key', 'x-session-id', 'forwarded', 'x-request-id', '__proto__', 'constructor', 'toString', ':path', ':authority', ':method'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('/x?token=1&a=2', '/x?a=1', '/x', '/x?', '/x?%74oken=s&sid=3'),
  fc.constant('x'.repeat(8193)),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.constant(7 as unknown as string)), { maxLength: 3 }),
  fc.constantFrom(undefined, 42, null),
);
const headerMap = fc.oneof(
  fc.dictionary(headerName, headerValue, { maxKeys: 12 }),
  // Past the 100-header limit.
  fc.integer({ min: 95, max: 110 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, `v${i}`]))),
);

const asPlain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

describe('filter shortcuts agree with their plain definitions', () => {
  it.each([true, false])('request headers (pii %s): same names, same order, same values', (pii) => {
    fc.assert(
      fc.property(headerMap, (headers) => {
        const built = toSentryRequest({ method: 'GET', url: '/', headers: headers as never, socket: { remoteAddress: '203.0.113.9' } }, { pii }).headers ?? {};
        const expected = referenceHeaders(headers, pii, true);
        expect(Object.keys(built)).toEqual(Object.keys(expected));
        expect(asPlain(built)).toEqual(asPlain(expected));
        for (const name of Object.keys(built)) expect(typeof built[name]).toBe('string');
      }),
      { numRuns: 600 },
    );
  });

  it.each([true, false])('event headers set by someone else (pii %s)', (pii) => {
    fc.assert(
      fc.property(headerMap, fc.boolean(), (headers, query) => {
        const filtered = filterEventHeaders(headers, pii, query);
        expect(Object.keys(filtered)).toEqual(Object.keys(referenceEventHeaders(headers, pii, query)));
        expect(asPlain(filtered)).toEqual(asPlain(referenceEventHeaders(headers, pii, query)));
        // Never the caller's object: the SDK's copy on the scope stays as it was.
        expect(filtered).not.toBe(headers);
      }),
      { numRuns: 600 },
    );
  });

  it('cookies: the in-place scan parses as split-and-trim does', () => {
    const part = fc.oneof(
      fc.tuple(fc.constantFrom('', ' ', '  ', '\t', '\u00a0'), fc.constantFrom('theme', 'connect.sid', 'a', '__proto__', 'session', 'x y'), fc.constantFrom('', ' ', '\u2028'), fc.string({ maxLength: 12 })).map(
        ([lead, name, trail, value]) => `${lead}${name}${trail}=${value}`,
      ),
      fc.string({ maxLength: 15 }),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 60 }), fc.constantFrom(';', '; ', ' ;'), (parts, separator) => {
        const header = parts.join(separator);
        const cookies = toSentryRequest({ method: 'GET', url: '/', headers: { cookie: header }, socket: { remoteAddress: '203.0.113.9' } }, { pii: true }).cookies ?? {};
        expect(cookies).toEqual(referenceCookies(header));
      }),
      { numRuns: 1500 },
    );
  });

  it('cookies set by someone else keep their names, sensitive values filtered', () => {
    expect(filterEventCookies({ theme: 'dark', 'connect.sid': 's%3Aabc', __Host_x: '1' })).toEqual({ theme: 'dark', 'connect.sid': FILTERED, __Host_x: '1' });
  });

  it('trimmed() is String.prototype.trim for any text, Unicode whitespace included', () => {
    const whitespace = fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff');
    fc.assert(
      fc.property(fc.array(whitespace, { maxLength: 2 }), fc.string({ maxLength: 10 }), fc.array(whitespace, { maxLength: 2 }), (lead, body, trail) => {
        const text = `${lead.join('')}${body}${trail.join('')}`;
        expect(trimmed(text)).toBe(text.trim());
      }),
      { numRuns: 3000 },
    );
    expect(trimmed('')).toBe('');
    expect(trimmed('ada')).toBe('ada');
  });

  it("HTTP/2's :path carries the query only as query_string would, and :authority is the host, not a credential", () => {
    const req = (headers: Record<string, string>) => ({ method: 'GET', url: '/x?token=1&a=2', headers, socket: { remoteAddress: '203.0.113.9' } });
    const h2 = { ':method': 'GET', ':path': '/x?token=1&a=2', ':authority': 'shop.example.com', ':scheme': 'https' };
    expect(toSentryRequest(req(h2), { pii: true }).headers).toEqual({ ':method': 'GET', ':path': '/x?token=[Filtered]&a=2', ':authority': 'shop.example.com', ':scheme': 'https' });
    expect(filterEventHeaders(h2, true, false)).toEqual({ ':method': 'GET', ':path': '/x', ':authority': 'shop.example.com', ':scheme': 'https' });
  });

  it('reads a hostile header object once: getters that change, re-enter the filter, or a Proxy whose keys grow never get past it', () => {
    let reads = 0;
    const changing = {
      accept: 'a',
      get authorization() {
        // Filters another request's headers from inside ours.
        toSentryRequest({ method: 'GET', url: '/', headers: { accept: 'b', 'x-api-key': 'KEY' }, socket: { remoteAddress: '203.0.113.9' } }, { pii: true });
        return 'Bearer SECRET';
      },
      get big() {
        return reads++ === 0 ? 'small' : 'y'.repeat(100_000);
      },
    };
    let ownKeysCalls = 0;
    const growing = new Proxy({ accept: 'a' } as Record<string, string>, {
      ownKeys: (target) => (ownKeysCalls++ === 0 ? Reflect.ownKeys(target) : ['accept', 'authorization', 'x-forwarded-for']),
      getOwnPropertyDescriptor: (_target, key) => ({ value: key === 'accept' ? 'a' : key === 'authorization' ? 'Bearer SECRET' : '6.6.6.6', enumerable: true, configurable: true, writable: true }),
      get: (_target, key) => (key === 'accept' ? 'a' : key === 'authorization' ? 'Bearer SECRET' : '6.6.6.6'),
    });
    for (const headers of [changing, growing]) {
      for (const pii of [true, false]) {
        const built = toSentryRequest({ method: 'GET', url: '/', headers: headers as never, socket: { remoteAddress: '203.0.113.9' } }, { pii }).headers ?? {};
        const text = JSON.stringify(built);
        expect(text).not.toContain('SECRET');
        expect(text).not.toContain('KEY');
        if (!pii) expect(text).not.toContain('6.6.6.6');
        for (const value of Object.values(built)) {
          expect(typeof value).toBe('string');
          expect(value.length).toBeLessThanOrEqual(8192);
        }
      }
    }
  });

  it('copies no symbol-keyed property of the header map (HTTP/2 keeps Symbol(sensitiveHeaders) on it)', () => {
    const headers = { accept: 'a', [Symbol('sensitiveHeaders')]: ['authorization'] };
    const built = toSentryRequest({ method: 'GET', url: '/', headers: headers as never, socket: { remoteAddress: '203.0.113.9' } }, { pii: true }).headers ?? {};
    expect(Object.getOwnPropertySymbols(built)).toEqual([]);
    expect(Object.getOwnPropertySymbols(filterEventHeaders(headers, true, true))).toEqual([]);
  });

  it.each<[string, string, (header: string) => unknown]>([
    ['cookies', 'a;'.repeat(20_000), (header) => toSentryRequest({ method: 'GET', url: '/', headers: { cookie: header }, socket: { remoteAddress: '203.0.113.9' } }, { pii: true })],
    ['cookies with a late =', `${'a;'.repeat(20_000)}b=1`, (header) => toSentryRequest({ method: 'GET', url: '/', headers: { cookie: header }, socket: { remoteAddress: '203.0.113.9' } }, { pii: true })],
    ['the query string', `token${'&'.repeat(20_000)}=1`, (query) => toSentryRequest({ method: 'GET', url: `/?${query}`, headers: {}, socket: { remoteAddress: '203.0.113.9' } }, { pii: true })],
  ])('scans %s in one pass: indexOf calls grow with the parts, not with parts × length', (_, text, run) => {
    // A count, not a timing: a client-chosen header of n parts must not cost n searches to the end of the header.
    const indexOf = String.prototype.indexOf;
    let searched = 0;
    String.prototype.indexOf = function (this: string, ...args: Parameters<string['indexOf']>) {
      const from = args[1] ?? 0;
      const found = indexOf.apply(this, args);
      if (this.length === text.length) searched += (found === -1 ? this.length : found) - from;
      return found;
    };
    try {
      run(text);
    } finally {
      String.prototype.indexOf = indexOf;
    }
    // The probe saw the scan (a rewrite without indexOf needs a new probe, not a silent pass) and it stayed linear.
    expect(searched).toBeGreaterThan(0);
    expect(searched).toBeLessThan(4 * text.length);
  });
});
