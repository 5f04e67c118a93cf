import fc from 'fast-check';
import { isAddressHeader } from '../../src/request/address-headers.js';
import { filterEventCookies, filterEventHeaders, toSentryRequest } from '../../src/request/to-sentry-request.js';
import { FILTERED, isSensitiveCookieName, isSensitiveName } from '../../src/privacy/sensitive-names.js';
import { trimmed } from '../../src/util/trim.js';

// The filters take shortcuts for speed (a clone of the header map with sensitive values overwritten, an in-place
// cookie scan, a trim that skips the builtin): each is checked here against the plain definition it replaces.

const ALWAYS_FILTERED = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key', 'set-cookie']);
const sensitive = (name: string): boolean => ALWAYS_FILTERED.has(name.toLowerCase()) || isSensitiveName(name.toLowerCase());
const address = (name: string): boolean => isAddressHeader(name.toLowerCase());

/** The plain definition of the request's header filter: one header at a time. */
function referenceHeaders(headers: Record<string, unknown>, pii: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  let count = 0;
  for (const name of Object.keys(headers)) {
    if (count++ >= 100) break;
    if (name === '__proto__' || (!pii && address(name))) continue;
    const value = headers[name];
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.filter((line) => typeof line === 'string').join(', ') : undefined;
    if (text === undefined) continue;
    Object.defineProperty(result, name, { value: sensitive(name) ? FILTERED : text.slice(0, 8192), enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** The plain definition of the filter for a header map someone else put on the event. */
function referenceEventHeaders(headers: Record<string, unknown>, pii: boolean): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of Object.keys(headers)) {
    if (!pii && address(name)) continue;
    result[name] = sensitive(name) ? FILTERED : headers[name];
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
  fc.constantFrom('host', 'accept', 'user-agent', 'authorization', 'Authorization', 'cookie', 'x-forwarded-for', 'X-Real-IP', 'via', 'x-api-key', 'x-session-id', 'forwarded', 'x-request-id', '__proto__', 'constructor', 'toString'),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
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
        const expected = referenceHeaders(headers, pii);
        expect(Object.keys(built)).toEqual(Object.keys(expected));
        expect(asPlain(built)).toEqual(asPlain(expected));
        for (const name of Object.keys(built)) expect(typeof built[name]).toBe('string');
      }),
      { numRuns: 600 },
    );
  });

  it.each([true, false])('event headers set by someone else (pii %s)', (pii) => {
    fc.assert(
      fc.property(headerMap, (headers) => {
        const filtered = filterEventHeaders(headers, pii);
        expect(Object.keys(filtered)).toEqual(Object.keys(referenceEventHeaders(headers, pii)));
        expect(asPlain(filtered)).toEqual(asPlain(referenceEventHeaders(headers, pii)));
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
});
