import { isSensitiveName, memoized } from '../privacy/sensitive-names.js';
import { isAddressHeader } from './address-headers.js';

/** Headers Sentry should never see in clear, whatever their name patterns say. */
const ALWAYS_FILTERED = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key', 'set-cookie']);

/** The header's value is `[Filtered]` in any event. */
export const SENSITIVE_HEADER = 1;
/** The header carries a client or proxy address: dropped without user data. */
export const ADDRESS_HEADER = 2;
/** HTTP/2's `:path`: the request target, query string included, so it follows the query's rules. */
export const PATH_HEADER = 4;

/**
 * What a header name means for an event, as `SENSITIVE_HEADER | ADDRESS_HEADER | PATH_HEADER` flags, whatever its
 * case. An app sends the same few header names on every request, so each name is judged once: one map lookup per
 * header per event instead of a lower-casing, a set lookup and two regular expressions.
 */
export const headerFlags: (name: string) => number = memoized((name) => {
  const lower = name.toLowerCase();
  if (lower === ':path') return PATH_HEADER;
  // HTTP/2's Host: "auth" in its name is not a credential (and it never carries userinfo for http and https).
  if (lower === ':authority') return 0;
  return (ALWAYS_FILTERED.has(lower) || isSensitiveName(lower) ? SENSITIVE_HEADER : 0) | (isAddressHeader(lower) ? ADDRESS_HEADER : 0);
});
