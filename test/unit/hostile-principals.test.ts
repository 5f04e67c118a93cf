import fc from 'fast-check';
import { toSentryUser } from '../../src/index.js';
import { sanitizeUser } from '../../src/user/to-sentry-user.js';
import { looksLikeSecretKey } from '../../src/privacy/sensitive-names.js';

const SECRET_KEYS = ['password', 'passwordHash', 'salt', 'hash', 'token', 'accessToken', 'refresh_token', 'apiKey', 'api_key', 'secret', 'clientSecret', 'cookie', 'session', 'sessionId', 'privateKey', 'otp', 'mfaSecret', 'credentials'];
const ORDINARY_KEYS = ['plan', 'orgId', 'role', 'author', 'tier', 'locale', 'hashtag', 'inside', 'keyboardLayout'];

/** Principals as other people's code makes them: deep, circular, Proxies, throwing getters, odd keys, huge values. */
const hostilePrincipal = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.bigInt(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(Symbol('s')),
    fc.constant('z'.repeat(1024 * 1024)),
    tie('object'),
  ),
  object: fc
    .record({
      entries: fc.dictionary(fc.constantFrom('id', '_id', 'sub', 'email', 'username', 'name', 'displayName', 'geo', 'ip_address', 'emails', '__proto__', 'constructor', 'prototype', ...SECRET_KEYS, ...ORDINARY_KEYS), tie('value'), { maxKeys: 8 }),
      shape: fc.constantFrom('plain', 'proxy', 'throwing', 'circular', 'nullProto'),
    })
    .map(({ entries, shape }) => {
      const base: Record<string, unknown> = shape === 'nullProto' ? Object.create(null) : {};
      for (const [key, value] of Object.entries(entries)) Object.defineProperty(base, key, { value, enumerable: true, configurable: true, writable: true });
      if (shape === 'circular') base.self = base;
      if (shape === 'throwing') {
        Object.defineProperty(base, 'id', { get() { throw new Error('getter'); }, enumerable: true });
        Object.defineProperty(base, 'email', { get() { throw new Error('getter'); }, enumerable: true });
      }
      if (shape === 'proxy') {
        return new Proxy(base, {
          get(target, key) {
            if (key === 'username') throw new Error('trap');
            return Reflect.get(target, key);
          },
          ownKeys() {
            throw new Error('trap');
          },
        });
      }
      return base;
    }),
})).value;

describe('hostile principals', () => {
  it('never throw, keep Relay limits, never send a secret-looking key, never pollute prototypes', () => {
    fc.assert(
      fc.property(hostilePrincipal, fc.boolean(), (principal, pii) => {
        const user = toSentryUser(principal, { pii, extraKeys: [...ORDINARY_KEYS, ...SECRET_KEYS] });
        const mapped = sanitizeUser(principal, pii);
        for (const candidate of [user, mapped]) {
          if (candidate === undefined) continue;
          for (const key of Object.keys(candidate)) if (looksLikeSecretKey(key)) return false;
          if (candidate.id !== undefined && (typeof candidate.id !== 'string' || candidate.id.length > 128)) return false;
          if (candidate.username !== undefined && candidate.username.length > 128) return false;
          if (candidate.email !== undefined && candidate.email.length > 75) return false;
          if (!pii && (candidate.email !== undefined || candidate.username !== undefined || candidate.ip_address !== undefined || candidate.geo !== undefined)) return false;
          JSON.stringify(candidate); // serialisable: no cycles, no BigInt left
        }
        const probe = {} as Record<string, unknown>;
        return probe.polluted === undefined && probe.self === undefined && Object.getPrototypeOf(probe) === Object.prototype;
      }),
      { numRuns: 1500 },
    );
  });

  it.each(SECRET_KEYS)('%s looks like a secret', (key) => expect(looksLikeSecretKey(key)).toBe(true));
  it.each(ORDINARY_KEYS)('%s does not look like a secret', (key) => expect(looksLikeSecretKey(key)).toBe(false));

  it('a mapUser result keeps the same rules: limits, PII and no secrets', () => {
    expect(sanitizeUser({ id: 9, email: 'x@example.com', password: 'p', plan: 'gold', nested: { a: 1 } }, false)).toEqual({ id: '9', plan: 'gold' });
    expect(sanitizeUser({ id: 'i', username: 'u'.repeat(300), ip_address: '{{auto}}' }, true)).toEqual({ id: 'i', username: 'u'.repeat(128) });
  });
});
