import fc from 'fast-check';
import proxyAddr from 'proxy-addr';
import requestIp from 'request-ip';
import { normalizeIp, resolveClientIp, toSentryRequest, toSentryUser, type ResolveClientIpOptions, type RequestLike } from '../../src/index.js';
import { mapPrincipal } from '../../src/user/to-sentry-user.js';

const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const anyIp = fc.oneof(ipv4, ipv6);
/** Header values a client can send: addresses, lists, garbage, Forwarded syntax, long strings. */
const headerValue = fc.oneof(
  anyIp,
  fc.array(fc.oneof(anyIp, fc.constantFrom('unknown', '_obf', '0.0.0.0', '::', '[::1]:80', '')), { maxLength: 12 }).map((list) => list.join(', ')),
  fc.string({ maxLength: 200 }),
  fc.array(anyIp, { maxLength: 5 }).map((list) => list.map((ip) => `for="${ip.includes(':') ? `[${ip}]` : ip}"`).join(', ')),
);
const SPOOFABLE = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-client-ip', 'cf-connecting-ip', 'true-client-ip', 'x-cluster-client-ip', 'fastly-client-ip'];
const headers = fc.dictionary(fc.constantFrom(...SPOOFABLE), fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })));
const trustConfig: fc.Arbitrary<ResolveClientIpOptions> = fc.record(
  {
    trustProxy: fc.oneof(fc.constant(false as const), fc.nat(4), fc.constantFrom('loopback', 'uniquelocal', 'loopback, uniquelocal', '10.0.0.0/8')),
    forwardedHeader: fc.constantFrom('x-forwarded-for' as const, 'forwarded' as const),
    clientIpHeader: fc.constantFrom('x-real-ip', 'cf-connecting-ip'),
  },
  { requiredKeys: [] },
);

/** A peer no trust configuration below covers. */
const untrustedPeer = fc.oneof(
  fc.tuple(fc.integer({ min: 11, max: 126 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((parts) => parts.join('.')),
  fc.constant('2001:db8::42'),
);

describe('resolveClientIp properties', () => {
  it('a client from an untrusted peer never chooses its address, whatever it sends', () => {
    fc.assert(
      fc.property(untrustedPeer, headers, trustConfig, (peer, sent, options) => {
        const opts = { ...options, trustProxy: typeof options.trustProxy === 'number' ? 0 : options.trustProxy };
        const result = resolveClientIp({ headers: sent, socket: { remoteAddress: peer } }, opts);
        return result === resolveClientIp({ headers: {}, socket: { remoteAddress: peer } });
      }),
      { numRuns: 2000 },
    );
  });

  it('the result is always the peer, an address from the header, or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(anyIp, fc.constant('127.0.0.1')), headers, trustConfig, (peer, sent, options) => {
        const result = resolveClientIp({ headers: sent, socket: { remoteAddress: peer } }, options);
        if (result === undefined) return true;
        // Every token of the input that is an address, canonicalised: the result must be one of them.
        const tokens = `${peer} ${Object.values(sent).flat().join(' ')}`.split(/[\s,;"=]+/);
        return tokens.some((token) => normalizeIp(token) === result);
      }),
      { numRuns: 1000 },
    );
  });

  it('empty list elements change nothing: inserting them anywhere gives the same result (RFC 9110 §5.6.1)', () => {
    const emptyRun = fc.array(fc.constantFrom('', ' ', '\t', '  '), { minLength: 1, maxLength: 3 }).map((blanks) => blanks.join(','));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(anyIp, fc.constantFrom('unknown', '10.0.0.1', '127.0.0.1', '_obf', 'garbage')), { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.nat(), emptyRun), { maxLength: 5 }),
        trustConfig,
        (entries, insertions, options) => {
          const opts = { ...options, clientIpHeader: undefined, forwardedHeader: 'x-forwarded-for' as const };
          const clean = entries.join(', ');
          const parts = [...entries];
          for (const [position, blanks] of insertions) parts.splice(position % (parts.length + 1), 0, blanks);
          const padded = parts.join(',');
          const forwardedClean = entries.map((entry) => `for="${entry.includes(':') ? `[${entry}]` : entry}"`);
          const forwardedPadded = [...forwardedClean];
          for (const [position, blanks] of insertions) forwardedPadded.splice(position % (forwardedPadded.length + 1), 0, blanks);
          const at = (headers: Record<string, string | string[]>, forwardedHeader: 'x-forwarded-for' | 'forwarded') =>
            resolveClientIp({ headers, socket: { remoteAddress: '127.0.0.1' } }, { ...opts, forwardedHeader });
          return (
            at({ 'x-forwarded-for': padded }, 'x-forwarded-for') === at({ 'x-forwarded-for': clean }, 'x-forwarded-for') &&
            at({ 'x-forwarded-for': [padded, ' '] }, 'x-forwarded-for') === at({ 'x-forwarded-for': clean }, 'x-forwarded-for') &&
            at({ forwarded: forwardedPadded.join(',') }, 'forwarded') === at({ forwarded: forwardedClean.join(', ') }, 'forwarded')
          );
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('agrees with Express req.ip (proxy-addr) on X-Forwarded-For lists of usable IPv4 addresses, empty elements included', () => {
    const usable = ipv4.filter((address) => address !== '0.0.0.0');
    fc.assert(
      fc.property(
        fc.array(fc.oneof(usable, fc.constantFrom('10.0.0.1', '192.168.1.2', '127.0.0.1', '', ' ')), { maxLength: 20 }),
        fc.constantFrom('loopback', 'loopback, uniquelocal', '10.0.0.0/8, 127.0.0.1'),
        fc.constantFrom('127.0.0.1', '10.1.2.3', '203.0.113.9'),
        (entries, trustProxy, peer) => {
          const header = entries.join(',');
          const expected = proxyAddr({ headers: { 'x-forwarded-for': header }, socket: { remoteAddress: peer } } as never, proxyAddr.compile(trustProxy.split(', ')));
          return resolveClientIp({ headers: { 'x-forwarded-for': header }, socket: { remoteAddress: peer } }, { trustProxy }) === expected;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('request-ip, by contrast, lets the same untrusted client choose (why the default ignores its header order)', () => {
    const req = { headers: { 'x-client-ip': '6.6.6.6' }, socket: { remoteAddress: '203.0.113.9' } };
    expect(requestIp.getClientIp(req as never)).toBe('6.6.6.6');
    expect(resolveClientIp(req)).toBe('203.0.113.9');
  });
});

describe('no input makes a core function throw', () => {
  const anything = fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withDate: true, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true });

  it('resolveClientIp and toSentryRequest accept any request-shaped value', () => {
    fc.assert(
      fc.property(anything, anything, fc.oneof(anything, anyIp), (headerBag, url, peer) => {
        const req = { headers: headerBag, url, method: url, socket: { remoteAddress: peer } } as unknown as RequestLike;
        resolveClientIp(req, { trustProxy: 'loopback' });
        toSentryRequest(req, { pii: true, trustProxy: 1 });
        return true;
      }),
      { numRuns: 1000 },
    );
  });

  it('toSentryUser accepts any principal and keeps Relay limits', () => {
    fc.assert(
      fc.property(anything, (principal) => {
        const user = toSentryUser(principal, { pii: true, extraKeys: ['plan', 'roles'] });
        if (user === undefined) return true;
        return (
          (user.id === undefined || user.id.length <= 128) &&
          (user.username === undefined || user.username.length <= 128) &&
          (user.email === undefined || user.email.length <= 75)
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the User a request keeps once it ended', () => {
  // A released request keeps `mapPrincipal(principal, { pii: true, … })`, not the app's object, and later fills map
  // that again with the client's setting: it must give what mapping the principal itself would have.
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ minLength: 120, maxLength: 300 }), fc.emailAddress(), fc.constantFrom('', ' ', 'not an email', '10.0.0.1', '::ffff:10.0.0.1'));
  const value = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt(), fc.array(text, { maxLength: 2 }));
  const userLike = fc.record(
    {
      id: value, _id: value, sub: value, userId: value, user_id: value, uid: value,
      username: value, preferred_username: value, login: value, nickname: value, displayName: value, name: value,
      email: value, mail: value, emails: fc.array(fc.record({ value }), { maxLength: 2 }),
      ip_address: fc.oneof(value, fc.ipV4(), fc.ipV6()),
      geo: fc.oneof(value, fc.record({ city: value, country_code: value, region: value, extra: value }, { requiredKeys: [] })),
      plan: value, tenant: value, passwordHash: value, roles: value,
    },
    { requiredKeys: [] },
  );
  const principal = fc.oneof(userLike, text, fc.integer(), fc.bigInt(), fc.anything());
  const extraKeys = fc.subarray(['plan', 'tenant', 'roles', 'name', 'email']);

  // A kept User is mapped with the client's user data setting; a fill maps it again with that setting or a narrower one.
  it('mapping the kept User again gives the same User as mapping the principal, at the kept setting or a narrower one', () => {
    fc.assert(
      fc.property(principal, extraKeys, fc.boolean(), fc.boolean(), (p, keys, keptPii, narrower) => {
        const pii = keptPii && !narrower;
        const kept = mapPrincipal(p, { pii: keptPii, extraKeys: keys });
        expect(mapPrincipal(kept, { pii, extraKeys: keys })).toEqual(mapPrincipal(p, { pii, extraKeys: keys }));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('normalizeIp properties', () => {
  it('IPv6 output is the canonical RFC 5952 form (WHATWG URL as the oracle) and idempotent', () => {
    fc.assert(
      fc.property(ipv6, (address) => {
        const normalized = normalizeIp(address);
        const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
        if (canonical === '::' || canonical.startsWith('::ffff:')) return true; // rejected or mapped to IPv4 by design
        return normalized === canonical && normalizeIp(normalized) === normalized;
      }),
      { numRuns: 3000 },
    );
  });

  it('IPv4 text round-trips and IPv4-mapped IPv6 becomes it', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        if (address === '0.0.0.0') return normalizeIp(address) === undefined;
        return normalizeIp(address) === address && normalizeIp(`::ffff:${address}`) === address && normalizeIp(`[::ffff:${address}]:8080`) === address;
      }),
      { numRuns: 2000 },
    );
  });
});
