import { toSentryUser, type ToSentryUserOptions } from '../../src/index.js';

const objectId = (hex: string) => ({ _bsontype: 'ObjectId', toHexString: () => hex });
const PII: ToSentryUserOptions = { pii: true };

describe('toSentryUser: the mapping table', () => {
  it.each<[string, unknown, ToSentryUserOptions | undefined, unknown]>([
    ['string principal is an id', 'user-1', undefined, { id: 'user-1' }],
    ['number principal is its decimal string', 42, undefined, { id: '42' }],
    ['bigint principal is its decimal string', 12345678901234567890n, undefined, { id: '12345678901234567890' }],
    ['id first', { id: 1, _id: 2, sub: 'x' }, undefined, { id: '1' }],
    ['_id ObjectId becomes hex', { _id: objectId('507F1F77BCF86CD799439011') }, undefined, { id: '507f1f77bcf86cd799439011' }],
    ['sub (JWT)', { sub: 'auth0|abc' }, undefined, { id: 'auth0|abc' }],
    ['userId', { userId: 'u' }, undefined, { id: 'u' }],
    ['user_id', { user_id: 'u' }, undefined, { id: 'u' }],
    ['uid', { uid: 9 }, undefined, { id: '9' }],
    ['non-primitive id skipped for the next key', { id: { nested: 1 }, sub: 's' }, undefined, { id: 's' }],
    ['NaN id dropped', { id: Number.NaN }, undefined, undefined],
    ['username with pii', { id: 1, username: 'ada' }, PII, { id: '1', username: 'ada' }],
    ['preferred_username (OIDC)', { sub: 's', preferred_username: 'ada' }, PII, { id: 's', username: 'ada' }],
    ['login (GitHub)', { id: 1, login: 'ada' }, PII, { id: '1', username: 'ada' }],
    ['nickname (Auth0)', { id: 1, nickname: 'ada' }, PII, { id: '1', username: 'ada' }],
    ['email', { id: 1, email: 'a@example.com' }, PII, { id: '1', email: 'a@example.com' }],
    ['passport profile emails[0].value', { id: 1, emails: [{ value: 'p@example.com' }] }, PII, { id: '1', email: 'p@example.com' }],
    ['mail (LDAP)', { id: 1, mail: 'l@example.com' }, PII, { id: '1', email: 'l@example.com' }],
    ['displayName becomes name', { id: 1, displayName: 'Ada Lovelace', name: 'ignored' }, PII, { id: '1', name: 'Ada Lovelace' }],
    ['string name', { id: 1, name: 'Ada' }, PII, { id: '1', name: 'Ada' }],
    ['object name is ignored', { id: 1, name: { givenName: 'Ada' } }, PII, { id: '1' }],
    ['valid ip_address normalised', { id: 1, ip_address: '::ffff:198.51.100.7' }, PII, { id: '1', ip_address: '198.51.100.7' }],
    ['invalid ip_address dropped', { id: 1, ip_address: '{{auto}}' }, PII, { id: '1' }],
    ['geo with upper-cased country', { id: 1, geo: { city: 'Vienna', country_code: 'at', region: 'W' } }, PII, { id: '1', geo: { city: 'Vienna', country_code: 'AT', region: 'W' } }],
    ['geo with a bad country code keeps the rest', { id: 1, geo: { city: 'X', country_code: 'AUT' } }, PII, { id: '1', geo: { city: 'X' } }],
    ['nothing usable: undefined', { foo: 'bar' }, PII, undefined],
    ['null: undefined', null, PII, undefined],
    ['boolean: undefined', true, PII, undefined],
    ['symbol: undefined', Symbol('x'), PII, undefined],
    ['empty string: undefined', '   ', PII, undefined],
  ])('%s', (_name, principal, options, expected) => {
    expect(toSentryUser(principal, options)).toEqual(expected);
  });
});

describe('toSentryUser: Relay limits', () => {
  it('trims id, username and name to 128 characters', () => {
    const long = 'x'.repeat(500);
    expect(toSentryUser({ id: long, username: long, name: long }, PII)).toEqual({ id: 'x'.repeat(128), username: 'x'.repeat(128), name: 'x'.repeat(128) });
  });

  it('drops an email longer than 75 characters instead of cutting it', () => {
    const email = `${'a'.repeat(70)}@example.com`;
    expect(toSentryUser({ id: 1, email }, PII)).toEqual({ id: '1' });
  });
});

describe('toSentryUser: the PII table', () => {
  const principal = { id: 7, username: 'ada', email: 'ada@example.com', displayName: 'Ada', ip_address: '198.51.100.7', geo: { city: 'London' }, plan: 'pro' };
  it('pii false sends only id and extraKeys', () => {
    expect(toSentryUser(principal, { pii: false, extraKeys: ['plan'] })).toEqual({ id: '7', plan: 'pro' });
  });
  it('pii defaults to false without a Sentry client', () => {
    expect(toSentryUser(principal)).toEqual({ id: '7' });
  });
  it('pii true sends username, email, name, ip_address and geo', () => {
    expect(toSentryUser(principal, { pii: true })).toEqual({ id: '7', username: 'ada', email: 'ada@example.com', name: 'Ada', ip_address: '198.51.100.7', geo: { city: 'London' } });
  });
});

describe('toSentryUser: extraKeys', () => {
  it.each<[string, unknown, readonly string[], unknown]>([
    ['copies listed primitives', { id: 1, plan: 'pro', seats: 3, active: true }, ['plan', 'seats', 'active'], { id: '1', plan: 'pro', seats: 3, active: true }],
    ['copies short arrays of primitives', { id: 1, roles: ['admin', 'dev', { x: 1 }] }, ['roles'], { id: '1', roles: ['admin', 'dev'] }],
    ['drops objects', { id: 1, org: { id: 2 } }, ['org'], { id: '1' }],
    ['never sends secret-looking keys even when listed', { id: 1, password: 'p', passwordHash: 'h', apiKey: 'k', refresh_token: 't', salt: 's' }, ['password', 'passwordHash', 'apiKey', 'refresh_token', 'salt'], { id: '1' }],
    ['does not touch reserved or prototype keys', { id: 1 }, ['__proto__', 'constructor'], { id: '1' }],
    ['missing listed keys are skipped', { id: 1 }, ['plan'], { id: '1' }],
  ])('%s', (_name, principal, extraKeys, expected) => {
    expect(toSentryUser(principal, { extraKeys })).toEqual(expected);
  });
});

describe('toSentryUser: hostile principals', () => {
  it('survives throwing getters', () => {
    const principal = { get id(): string { throw new Error('boom'); }, sub: 'fallback' };
    expect(toSentryUser(principal)).toEqual({ id: 'fallback' });
  });

  it('survives a Proxy that throws on every trap', () => {
    const principal = new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); }, has() { throw new Error('trap'); } });
    expect(toSentryUser(principal, { pii: true, extraKeys: ['plan'] })).toBeUndefined();
  });

  it('survives circular structures', () => {
    const principal: Record<string, unknown> = { id: 1 };
    principal.self = principal;
    principal.geo = principal;
    expect(toSentryUser(principal, { pii: true, extraKeys: ['self'] })).toEqual({ id: '1' });
  });

  it('does not pollute Object.prototype through __proto__ or constructor keys', () => {
    const principal = JSON.parse('{"id":1,"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}');
    toSentryUser(principal, { pii: true, extraKeys: ['__proto__', 'constructor', 'polluted'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('handles a 1 MB string quickly and within limits', () => {
    const huge = 'y'.repeat(1024 * 1024);
    const user = toSentryUser({ id: huge, username: huge, email: huge, plan: huge }, { pii: true, extraKeys: ['plan'] });
    expect(user?.id).toHaveLength(128);
    expect(user?.username).toHaveLength(128);
    expect(user?.email).toBeUndefined();
    expect(String(user?.plan).length).toBeLessThanOrEqual(1024);
  });
});

describe('the PII default follows the initialised Sentry client', () => {
  const principal = { id: 7, email: 'ada@example.com' };
  function withFakeSentry(userInfo: boolean, run: () => void): void {
    // The shape @sentry/core keeps in its global carrier: what the package reads instead of importing the SDK.
    const client = { getOptions: () => ({}), getDataCollectionOptions: () => ({ userInfo }) };
    const scope = { getClient: () => client, getUser: () => undefined };
    const carrier = globalThis as { __SENTRY__?: unknown };
    carrier.__SENTRY__ = { version: '0.0.0-test', '0.0.0-test': { acs: { getCurrentScope: () => scope, getIsolationScope: () => scope, withIsolationScope: (callback: (s: unknown) => unknown) => callback(scope) } } };
    try {
      run();
    } finally {
      delete carrier.__SENTRY__;
    }
  }

  it('userInfo on: PII fields are sent without a pii option', () => {
    withFakeSentry(true, () => expect(toSentryUser(principal)).toEqual({ id: '7', email: 'ada@example.com' }));
  });
  it('userInfo off: only the id', () => {
    withFakeSentry(false, () => expect(toSentryUser(principal)).toEqual({ id: '7' }));
  });
  it('an explicit pii option wins over the client', () => {
    withFakeSentry(true, () => expect(toSentryUser(principal, { pii: false })).toEqual({ id: '7' }));
  });
});
