import { compileTrust, type TrustPredicate } from '../ip/trust.js';
import { looksLikeSecretKey } from '../privacy/sensitive-names.js';
import type { ForwardedHeaderName } from './options.js';
import { suggestName } from './suggest.js';

/** Options after validation: what the hot code reads. */
export interface ParsedOptions {
  /** `undefined` when the option was not given, so an adapter can fall back to its framework's setting. */
  readonly trust: TrustPredicate | undefined;
  /** Lower case; `undefined` when not given: the adapters then use the framework's header (Koa's `proxyIpHeader`). */
  readonly forwardedHeader: ForwardedHeaderName | undefined;
  readonly clientIpHeader: string | undefined;
  readonly pii: boolean | undefined;
  /** Listed keys minus the secret-looking ones. */
  readonly extraKeys: readonly string[];
  readonly setUserIp: boolean;
  readonly getUser: ((...args: never[]) => unknown) | undefined;
  readonly mapUser: ((principal: unknown, req: never) => unknown) | undefined;
}

const FORWARDED_HEADERS = ['x-forwarded-for', 'forwarded'] as const;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function fail(message: string): never {
  throw new TypeError(`sentry-request-user: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Validates options once, at construction. Every message names the option and the fix. `rejectSecretExtraKeys`
 * makes a secret-looking `extraKeys` entry an error (the adapters) instead of silently dropping it (core calls).
 */
export function parseOptions(
  options: unknown,
  allowedNames: readonly string[],
  rejectSecretExtraKeys: boolean,
): ParsedOptions {
  if (options === undefined || options === null) options = {};
  if (!isPlainObject(options)) fail(`options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}.`);
  for (const key of Object.keys(options)) {
    if (!allowedNames.includes(key)) {
      const suggestion = suggestName(key, allowedNames);
      fail(
        `unknown option '${key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}. ` +
          `Known options: ${allowedNames.join(', ')}.`,
      );
    }
  }

  const trust = options.trustProxy === undefined ? undefined : compileTrust(options.trustProxy);

  let forwardedHeader: ParsedOptions['forwardedHeader'];
  if (options.forwardedHeader !== undefined) {
    const value = options.forwardedHeader;
    const lower = typeof value === 'string' ? value.toLowerCase() : '';
    if (lower !== 'x-forwarded-for' && lower !== 'forwarded') {
      const suggestion = typeof value === 'string' ? suggestName(value, FORWARDED_HEADERS) : undefined;
      fail(
        `forwardedHeader must be 'x-forwarded-for' or 'forwarded', got ${JSON.stringify(value)}` +
          `${suggestion ? ` (did you mean '${suggestion}'?)` : ''}. For a single-address header such as ` +
          `cf-connecting-ip or x-real-ip use clientIpHeader.`,
      );
    }
    forwardedHeader = lower;
  }

  let clientIpHeader: string | undefined;
  if (options.clientIpHeader !== undefined) {
    const value = options.clientIpHeader;
    if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
      fail(`clientIpHeader must be a header name such as 'cf-connecting-ip' or 'x-real-ip', got ${JSON.stringify(value)}.`);
    }
    clientIpHeader = value.toLowerCase();
    if (clientIpHeader === 'x-forwarded-for' || clientIpHeader === 'forwarded') {
      fail(
        `clientIpHeader '${value}' is a list of hops, not a single address: leave clientIpHeader unset and use ` +
          `forwardedHeader: '${clientIpHeader}' with trustProxy instead.`,
      );
    }
  }

  const pii = options.pii;
  if (pii !== undefined && typeof pii !== 'boolean') fail(`pii must be true or false, got ${JSON.stringify(pii)}.`);
  const setUserIp = options.setUserIp;
  if (setUserIp !== undefined && typeof setUserIp !== 'boolean') {
    fail(`setUserIp must be true or false, got ${JSON.stringify(setUserIp)}.`);
  }

  const extraKeys: string[] = [];
  if (options.extraKeys !== undefined) {
    const value = options.extraKeys;
    if (!Array.isArray(value) || value.some((key) => typeof key !== 'string' || key === '')) {
      fail(`extraKeys must be an array of principal key names, e.g. ['plan', 'orgId'].`);
    }
    for (const key of value as string[]) {
      if (!looksLikeSecretKey(key)) {
        if (!extraKeys.includes(key)) extraKeys.push(key);
      } else if (rejectSecretExtraKeys) {
        fail(`extraKeys entry '${key}' looks like a secret and is never sent to Sentry; remove it from extraKeys.`);
      }
    }
  }

  for (const name of ['getUser', 'mapUser'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      fail(`${name} must be a function, got ${typeof options[name]}.`);
    }
  }

  return {
    trust,
    forwardedHeader,
    clientIpHeader,
    pii: pii as boolean | undefined,
    extraKeys,
    setUserIp: setUserIp === true,
    getUser: options.getUser as ParsedOptions['getUser'],
    mapUser: options.mapUser as ParsedOptions['mapUser'],
  };
}

/** One cache per list of accepted names: the same options object can be fine for one function and wrong for another. */
const coreCaches = new Map<readonly string[], WeakMap<object, ParsedOptions>>();

/**
 * Core functions take options per call; parse each options object once per entry point and reuse the result.
 * `allowedNames` must be one of the constant lists in `options.ts` (it is a cache key).
 */
export function parseCoreOptions(options: unknown, allowedNames: readonly string[]): ParsedOptions {
  if (options !== null && typeof options === 'object') {
    let cache = coreCaches.get(allowedNames);
    if (cache === undefined) {
      cache = new WeakMap();
      coreCaches.set(allowedNames, cache);
    }
    const cached = cache.get(options);
    if (cached) return cached;
    const parsed = parseOptions(options, allowedNames, false);
    cache.set(options, parsed);
    return parsed;
  }
  return parseOptions(options, allowedNames, false);
}
