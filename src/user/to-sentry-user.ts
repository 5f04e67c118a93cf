import { normalizeIp } from '../ip/parse-ip.js';
import { USER_OPTION_NAMES, type ToSentryUserOptions } from '../options/options.js';
import { parseCoreOptions } from '../options/parse-options.js';
import { looksLikeSecretKey } from '../privacy/sensitive-names.js';
import { defaultPii } from '../sentry/locate-sentry.js';
import type { Geo, User } from '../sentry-types.js';
import { readProperty } from '../util/read-property.js';
import { trimmed } from '../util/trim.js';

/** Relay's limits: longer values are trimmed by Relay anyway; we trim first so what we send is what is stored. */
const MAX_ID_LENGTH = 128;
const MAX_EMAIL_LENGTH = 75;
const MAX_GEO_LENGTH = 128;
const MAX_EXTRA_STRING_LENGTH = 1024;
const MAX_EXTRA_ARRAY_LENGTH = 50;

const ID_KEYS = ['id', '_id', 'sub', 'userId', 'user_id', 'uid'] as const;
const USERNAME_KEYS = ['username', 'preferred_username', 'login', 'nickname'] as const;
const NAME_KEYS = ['displayName', 'name'] as const;

/** What the mapping needs from the options. */
export interface UserMappingConfig {
  readonly pii: boolean;
  readonly extraKeys: readonly string[];
}

function truncate(text: string, max: number): string {
  // Trimmed after the cut too, so that mapping a mapped User again changes nothing (a released request keeps one).
  return text.length > max ? trimmed(text.slice(0, max)) : text;
}

/** A usable identifier: a non-empty string, a finite number or a bigint (as decimal), or a BSON ObjectId (as hex). */
function toId(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const text = trimmed(value);
    return text === '' ? undefined : truncate(text, MAX_ID_LENGTH);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'bigint') return truncate(value.toString(10), MAX_ID_LENGTH);
  if (value !== null && typeof value === 'object') {
    const toHexString = readProperty(value, 'toHexString');
    if (typeof toHexString === 'function') {
      try {
        const hex: unknown = toHexString.call(value);
        if (typeof hex === 'string' && /^[0-9a-f]{24}$/i.test(hex)) return hex.toLowerCase();
      } catch {
        // Not an ObjectId after all.
      }
    }
  }
  return undefined;
}

function toText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = trimmed(value);
  return text === '' ? undefined : truncate(text, max);
}

/** `username` and `name`: Relay's 128-character limit. One function, not a closure per call. */
const toShortText = (value: unknown): string | undefined => toText(value, MAX_ID_LENGTH);

/** A cut email address is a wrong address, so an over-long one is dropped rather than trimmed. */
function toEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = trimmed(value);
  return text === '' || text.length > MAX_EMAIL_LENGTH || !text.includes('@') ? undefined : text;
}

function firstOf<T>(principal: unknown, keys: readonly string[], convert: (value: unknown) => T | undefined): T | undefined {
  for (const key of keys) {
    const converted = convert(readProperty(principal, key));
    if (converted !== undefined) return converted;
  }
  return undefined;
}

function toGeo(value: unknown): Geo | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const geo: Geo = {};
  const city = toText(readProperty(value, 'city'), MAX_GEO_LENGTH);
  const region = toText(readProperty(value, 'region'), MAX_GEO_LENGTH);
  const country = readProperty(value, 'country_code');
  if (city !== undefined) geo.city = city;
  if (typeof country === 'string' && /^[A-Za-z]{2}$/.test(country.trim())) geo.country_code = country.trim().toUpperCase();
  if (region !== undefined) geo.region = region;
  return Object.keys(geo).length > 0 ? geo : undefined;
}

/** Extra data is copied only as JSON-safe primitives (or short arrays of them), so nothing can drag a graph along. */
function toExtraValue(value: unknown): unknown {
  if (typeof value === 'string') return truncate(value, MAX_EXTRA_STRING_LENGTH);
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString(10);
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    let length = 0;
    try {
      length = Math.min(value.length, MAX_EXTRA_ARRAY_LENGTH);
    } catch {
      return undefined;
    }
    for (let i = 0; i < length; i++) {
      const item = toExtraValue(readProperty(value, String(i)));
      if (item !== undefined && !Array.isArray(item)) items.push(item);
    }
    return items;
  }
  return undefined;
}

const RESERVED_KEYS = new Set(['id', 'username', 'email', 'name', 'ip_address', 'geo', 'prototype']);

/**
 * User fields the mapping owns, and every name Object.prototype has (`__proto__`, `constructor`, `toString`, …):
 * copying those would change the user's prototype or shadow a method the SDK may call (`String(user)`).
 */
function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key) || key in Object.prototype;
}

/**
 * Maps a principal with a compiled config. Never throws, whatever the principal is.
 */
export function mapPrincipal(principal: unknown, config: UserMappingConfig): User | undefined {
  if (principal === null || principal === undefined) return undefined;
  if (typeof principal === 'string' || typeof principal === 'number' || typeof principal === 'bigint') {
    const id = toId(principal);
    return id === undefined ? undefined : { id };
  }
  if (typeof principal !== 'object' && typeof principal !== 'function') return undefined;

  const user: User = {};
  let empty = true;
  const id = firstOf(principal, ID_KEYS, toId);
  if (id !== undefined) {
    user.id = id;
    empty = false;
  }
  if (config.pii) {
    const username = firstOf(principal, USERNAME_KEYS, toShortText);
    if (username !== undefined) user.username = username;
    const email =
      toEmail(readProperty(principal, 'email')) ??
      toEmail(readProperty(readProperty(readProperty(principal, 'emails'), '0'), 'value')) ??
      toEmail(readProperty(principal, 'mail'));
    if (email !== undefined) user.email = email;
    const name = firstOf(principal, NAME_KEYS, toShortText);
    if (name !== undefined) user.name = name;
    const ip = normalizeIp(readProperty(principal, 'ip_address'));
    if (ip !== undefined) user.ip_address = ip;
    const geo = toGeo(readProperty(principal, 'geo'));
    if (geo !== undefined) user.geo = geo;
    if (username !== undefined || email !== undefined || name !== undefined || ip !== undefined || geo !== undefined) empty = false;
  }
  for (const key of config.extraKeys) {
    if (isReservedKey(key) || looksLikeSecretKey(key)) continue;
    const value = toExtraValue(readProperty(principal, key));
    if (value === undefined) continue;
    // Plain assignment is safe: no key Object.prototype has (`__proto__`, `toString`, …) gets here.
    (user as Record<string, unknown>)[key] = value;
    empty = false;
  }
  return empty ? undefined : user;
}

/**
 * Sanitises a User that application code built (`mapUser`): the same types, limits and PII rule as the built-in
 * mapping, with other keys kept only when they are JSON-safe primitives and do not look like secrets.
 */
export function sanitizeUser(candidate: unknown, pii: boolean): User | undefined {
  if (candidate === null || typeof candidate !== 'object') return undefined;
  const keys: string[] = [];
  try {
    keys.push(...Object.keys(candidate).slice(0, 100));
  } catch {
    return undefined;
  }
  const extraKeys = keys.filter((key) => !isReservedKey(key));
  const user = mapPrincipal(candidate, { pii, extraKeys }) ?? {};
  // mapUser is explicit, so only its own `id` counts, not the fallbacks (`sub`, `uid`, …) of the built-in mapping.
  const explicitId = toId(readProperty(candidate, 'id'));
  if (explicitId === undefined) delete user.id;
  else user.id = explicitId;
  if (pii) {
    const username = toText(readProperty(candidate, 'username'), MAX_ID_LENGTH);
    if (username === undefined) delete user.username;
    else user.username = username;
    const email = toEmail(readProperty(candidate, 'email'));
    if (email === undefined) delete user.email;
    else user.email = email;
    const name = toText(readProperty(candidate, 'name'), MAX_ID_LENGTH);
    if (name === undefined) delete user.name;
    else user.name = name;
  }
  return Object.keys(user).length > 0 ? user : undefined;
}

/**
 * Maps an authenticated principal (passport user, JWT payload, session user, an id) to a Relay-conformant Sentry User.
 *
 * `id` always goes (and `extraKeys`); `username`, `email`, `name`, `ip_address`, `geo` only with PII on: `pii`, or
 * by default the initialised Sentry client's setting (`dataCollection.userInfo`, else `sendDefaultPii`), or off.
 * Returns `undefined` when nothing usable is left. Never throws for any principal.
 *
 * @example
 * import { toSentryUser } from 'sentry-request-user';
 * toSentryUser({ _id: 42, username: 'ada', email: 'ada@example.com', password: 'x' }, { pii: true });
 * // → { id: '42', username: 'ada', email: 'ada@example.com' }
 */
export function toSentryUser(principal: unknown, options?: ToSentryUserOptions): User | undefined {
  const parsed = parseCoreOptions(options, USER_OPTION_NAMES);
  return mapPrincipal(principal, { pii: parsed.pii ?? defaultPii(), extraKeys: parsed.extraKeys });
}
