import fc from 'fast-check';
import { toSentryUser } from '../../src/index.js';
import { sanitizeUser } from '../../src/user/to-sentry-user.js';
import { looksLikeSecretKey } from '../../src/privacy/sensitive-names.js';

const SECRET_KEYS = ['password', 'passwordHash', 'salt', 'hash', 'token', 'accessToken', 'refresh_token', 'apiKey', 'api_key', 'secret', 'clientSecret', 'cookie', 'session', 'sessionId', 'privateKey', 'otp', 'mfaSecret', 'credentials'];
const ORDINARY_KEYS = ['plan', 'orgId', 'role', 'author', 'tier', 'locale', 'hashtag', 'inside', 'keyboardLayout'];
/** Keys that name something on Object.prototype: writing them carelessly changes an object's prototype or methods.
 * The PAYLOAD below only ever sits under `__proto__`, so any of its values in a user came through that key. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'];
const USER_KEYS = ['id', '_id', 'sub', 'uid', 'email', 'emails', 'mail', 'username', 'login', 'name', 'displayName', 'geo', 'ip_address'];

const HUGE = 'z'.repeat(1024 * 1024);
const PAYLOAD = { isAdmin: true, id: 'evil', email: 'evil@example.com', polluted: 'yes' };

/**
 * Principals as other people's code makes them: deep, circular, Proxies, throwing getters, odd keys, huge values.
 * The arbitrary yields recipes; `build` makes the hostile objects inside the property, where fast-check never reads
 * them (its own printing and cloning would trip the traps).
 */
type Recipe = { readonly recipe: { entries: Record<string, unknown>; throwing: string[]; shape: string } };
const hostileRecipe = fc.letrec((tie) => ({
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
    fc.constant(HUGE),
    fc.constant(() => 'a function'),
    fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.constant(HUGE), fc.constant({ nested: true })), { maxLength: 80 }),
    tie('object'),
  ),
  object: fc
    .record({
      entries: fc.dictionary(fc.constantFrom(...USER_KEYS, ...PROTOTYPE_KEYS, ...SECRET_KEYS, ...ORDINARY_KEYS), tie('value'), { maxKeys: 10 }),
      throwing: fc.subarray([...USER_KEYS, ...ORDINARY_KEYS, 'geo']),
      shape: fc.constantFrom('plain', 'json', 'proxy', 'circular', 'nullProto', 'classWithGetters'),
    })
    .map((recipe): Recipe => ({ recipe })),
})).value;

function build(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('recipe' in value)) return value;
  const { entries, throwing, shape } = (value as Recipe).recipe;
  if (shape === 'json') {
    // JSON.parse makes `__proto__` an own data property: the classic prototype-pollution carrier.
    const json = JSON.stringify(entries, (_key, item: unknown) => (typeof item === 'bigint' || typeof item === 'symbol' ? String(item) : item));
    return JSON.parse(`{"__proto__":${JSON.stringify(PAYLOAD)}${json === '{}' ? '' : `,${json.slice(1, -1)}`}}`) as unknown;
  }
  const base: Record<string, unknown> =
    shape === 'nullProto' ? Object.create(null) : shape === 'classWithGetters' ? Object.create({ get id(): string { return 'from-prototype'; } }) : {};
  for (const [key, item] of Object.entries(entries)) Object.defineProperty(base, key, { value: build(item), enumerable: true, configurable: true, writable: true });
  // Getters that throw on chosen keys (ORM documents, lazy relations).
  for (const key of throwing) Object.defineProperty(base, key, { get() { throw new Error(`getter ${key}`); }, enumerable: true, configurable: true });
  if (shape === 'circular') {
    Object.defineProperty(base, 'self', { value: base, enumerable: true, configurable: true });
    Object.defineProperty(base, 'plan', { value: [base, base], enumerable: true, configurable: true });
  }
  if (shape === 'proxy') {
    return new Proxy(base, {
      get(target, key) {
        if (key === 'username' || key === 'email') throw new Error('trap');
        return Reflect.get(target, key);
      },
      ownKeys() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
      has() {
        throw new Error('trap');
      },
    });
  }
  return base;
}

/** What Object.prototype looks like now: names and the identity of every value. */
function prototypeSnapshot(): Map<string | symbol, unknown> {
  return new Map(Reflect.ownKeys(Object.prototype).map((key) => [key, Object.getOwnPropertyDescriptor(Object.prototype, key)?.value]));
}

/** Every reason a produced user is unsafe to hand to the SDK, empty when it is fine. */
function problemsOf(user: unknown, pii: boolean): string[] {
  if (user === undefined) return [];
  const problems: string[] = [];
  if (user === null || typeof user !== 'object') return ['not an object'];
  if (Object.getPrototypeOf(user) !== Object.prototype) problems.push('prototype replaced');
  for (const key of Reflect.ownKeys(user)) {
    const descriptor = Object.getOwnPropertyDescriptor(user, key);
    if (typeof key !== 'string') problems.push('symbol key');
    else if (PROTOTYPE_KEYS.includes(key)) problems.push(`own key ${key}`);
    else if (looksLikeSecretKey(key)) problems.push(`secret-looking key ${key}`);
    if (descriptor === undefined || !('value' in descriptor)) problems.push(`accessor ${String(key)}`);
  }
  const record = user as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (key === 'geo') {
      const geo = value as Record<string, unknown>;
      if (Object.getPrototypeOf(geo) !== Object.prototype) problems.push('geo prototype');
      for (const [geoKey, geoValue] of Object.entries(geo)) {
        if (!['city', 'region', 'country_code'].includes(geoKey) || typeof geoValue !== 'string' || geoValue.length > 128) problems.push(`geo.${geoKey}`);
      }
    } else if (Array.isArray(value)) {
      if (value.length > 50 || value.some((item) => item !== null && typeof item === 'object')) problems.push(`array ${key}`);
      if (value.some((item) => typeof item === 'string' && item.length > 1024)) problems.push(`long item in ${key}`);
    } else if (value === null || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) {
      problems.push(`non-primitive ${key}`);
    } else if (typeof value === 'string' && value.length > 1024) {
      problems.push(`long ${key}`);
    }
  }
  if (record.id !== undefined && (typeof record.id !== 'string' || record.id.length > 128)) problems.push('id');
  for (const key of ['username', 'name']) if (typeof record[key] === 'string' && (record[key] as string).length > 128) problems.push(key);
  if (typeof record.email === 'string' && record.email.length > 75) problems.push('email');
  if (!pii && ['username', 'email', 'name', 'ip_address', 'geo'].some((key) => key in record)) problems.push('PII without pii');
  if (record.id === 'evil' || record.email === 'evil@example.com' || 'isAdmin' in record || 'polluted' in record) problems.push('took a value from a __proto__ payload');
  try {
    JSON.stringify(user);
  } catch {
    problems.push('not serialisable');
  }
  return problems;
}

describe('hostile principals', () => {
  it('never throw, and the user is plain data: no prototype change, no accessors, no secrets, Relay limits, no payload', () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(hostileRecipe, fc.boolean(), fc.subarray([...ORDINARY_KEYS, ...PROTOTYPE_KEYS, ...USER_KEYS, 'self', 'isAdmin', 'polluted']), (recipe, pii, extraKeys) => {
        const principal = build(recipe);
        const user = toSentryUser(principal, { pii, extraKeys });
        const mapped = sanitizeUser(principal, pii);
        const problems = [...problemsOf(user, pii), ...problemsOf(mapped, pii)];
        if (problems.length > 0) throw new Error(problems.join('; '));
      }),
      { numRuns: 1500 },
    );
    // Nothing reached Object.prototype, and ordinary objects are unaffected.
    expect(prototypeSnapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('the checks above can fail: a user built by plain assignment from the same keys is caught', () => {
    // What a careless mapping would do: copy `__proto__` by assignment, which replaces the output's prototype.
    const principal = JSON.parse('{"id":"1","__proto__":{"isAdmin":true,"id":"evil"}}') as Record<string, unknown>;
    const careless: Record<string, unknown> = {};
    for (const key of Object.keys(principal)) careless[key] = principal[key];
    expect(problemsOf(careless, false)).toEqual(expect.arrayContaining(['prototype replaced']));
    expect(problemsOf({ id: '1', get plan() { return 'x'; } }, false)).toEqual(['accessor plan']);
    expect(problemsOf({ id: 'x'.repeat(129) }, false)).toEqual(['id']);
    expect(problemsOf({ id: '1', apiKey: 'k' }, false)).toEqual(['secret-looking key apiKey']);
  });

  it.each(PROTOTYPE_KEYS)('an extraKeys entry %s never changes the output user or Object.prototype', (key) => {
    const principal = JSON.parse(`{"id":"1","${key}":{"isAdmin":true},"plan":"pro"}`) as unknown;
    const user = toSentryUser(principal, { extraKeys: [key, 'plan'] });
    expect(user).toEqual({ id: '1', plan: 'pro' });
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(user, key)).toBe(false);
  });

  it('extra keys named like Object.prototype members are not copied (a string toString would break String(user))', () => {
    const principal = { id: 1, valueOf: 'v', toString: 's', plan: 'pro' };
    const user = toSentryUser(principal, { extraKeys: ['valueOf', 'toString', 'plan'] });
    expect(user).toEqual({ id: '1', plan: 'pro' });
    expect(String(user)).toBe('[object Object]');
    expect(sanitizeUser(principal, false)).toEqual({ id: '1', plan: 'pro' });
  });

  it('throwing getters on every field leave the fields that can be read', () => {
    const principal: Record<string, unknown> = { sub: 'fallback', plan: 'pro' };
    for (const key of ['id', '_id', 'username', 'email', 'emails', 'name', 'displayName', 'geo', 'ip_address', 'tier']) {
      Object.defineProperty(principal, key, { get() { throw new Error(key); }, enumerable: true });
    }
    expect(toSentryUser(principal, { pii: true, extraKeys: ['plan', 'tier'] })).toEqual({ id: 'fallback', plan: 'pro' });
    // A mapUser result keeps its other readable keys as extra data; its own `id` is unreadable, so there is none.
    expect(sanitizeUser(principal, true)).toEqual({ sub: 'fallback', plan: 'pro' });
  });

  it('a getter is read at most once per field, so a lying getter cannot make the output inconsistent', () => {
    let reads = 0;
    const principal = { get id(): string { reads++; return reads === 1 ? 'first' : 'second'; } };
    expect(toSentryUser(principal)).toEqual({ id: 'first' });
    expect(reads).toBe(1);
  });

  it('huge strings and arrays are cut to Relay-size data', () => {
    const user = toSentryUser({ id: HUGE, username: HUGE, name: HUGE, email: `${HUGE}@example.com`, plan: HUGE, roles: Array.from({ length: 10000 }, () => HUGE) }, { pii: true, extraKeys: ['plan', 'roles'] });
    expect(problemsOf(user, true)).toEqual([]);
    expect(user).toMatchObject({ id: 'z'.repeat(128), username: 'z'.repeat(128), name: 'z'.repeat(128) });
    expect(user?.email).toBeUndefined();
    expect((user?.roles as unknown[]).length).toBe(50);
  });

  it.each(SECRET_KEYS)('%s looks like a secret', (key) => expect(looksLikeSecretKey(key)).toBe(true));
  it.each(ORDINARY_KEYS)('%s does not look like a secret', (key) => expect(looksLikeSecretKey(key)).toBe(false));

  it('a mapUser result keeps the same rules: limits, PII and no secrets', () => {
    expect(sanitizeUser({ id: 9, email: 'x@example.com', password: 'p', plan: 'gold', nested: { a: 1 } }, false)).toEqual({ id: '9', plan: 'gold' });
    expect(sanitizeUser({ id: 'i', username: 'u'.repeat(300), ip_address: '{{auto}}' }, true)).toEqual({ id: 'i', username: 'u'.repeat(128) });
  });
});
