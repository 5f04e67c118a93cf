import { isIP } from 'node:net';
import { safeHeaders } from '../headers/read-header.js';
import { normalizeIp } from '../ip/parse-ip.js';
import type { RequestLike } from '../request-like.js';

/**
 * Headers that carry a client or proxy address: with user data off the address must appear nowhere in the event.
 * Every name on @sentry/core's own list (`ipHeaderNames`: X-Client-IP, X-Forwarded-For, Fly-Client-IP,
 * CF-Connecting-IP, Fastly-Client-Ip, True-Client-Ip, X-Real-IP, X-Cluster-Client-IP, X-Forwarded, Forwarded-For,
 * Forwarded, X-Vercel-Forwarded-For), and by shape: any `*-IP` / `*-IPs` / `*-IPv6` header, `*clientip` /
 * `*socketip` (Azure), `*-addr` / `*-address` (CloudFront-Viewer-Address, X-Remote-Addr, X-Envoy-External-Address),
 * `*forwarded-for`, `Via`.
 */
const ADDRESS_HEADER = /^(?:forwarded|x-forwarded|via|x-appengine-user-ip)$|forwarded-for$|(?:^|-)ip(?:s|v6)?$|clientip$|socketip$|(?:^|-)(?:addr|address)$|(?:^|-)client-ip-address$/;

/** True when a header's value carries an address (lower-case name). */
export function isAddressHeader(lowerName: string): boolean {
  return ADDRESS_HEADER.test(lowerName);
}

const HEADER_ATTRIBUTE_PREFIX = 'http.request.header.';

/**
 * Without user data the client's address appears nowhere on a span either: not as a user or client attribute, not
 * as the peer (which is the client when nothing is in front), not as a request header that carries it.
 */
export function removeAddressAttributes(attributes: Record<string, unknown>): void {
  delete attributes['user.ip_address'];
  delete attributes['client.address'];
  delete attributes['network.peer.address'];
  for (const key of Object.keys(attributes)) {
    if (key.startsWith(HEADER_ATTRIBUTE_PREFIX) && isAddressHeader(key.slice(HEADER_ATTRIBUTE_PREFIX.length).replace(/_/g, '-'))) delete attributes[key];
  }
}

/** Splits a header value into the words an address could be (`for="[2001:db8::1]:80"`, `6.6.6.6, 10.0.0.1`). */
const ADDRESS_TOKEN_SEPARATORS = /[\s,;="]+/;

/**
 * Whether `address` is one that a client could have written into this request's headers: it appears in one of its
 * address headers. The SDK guesses `user.ip_address` from exactly those (@sentry/core's `getClientIPAddress`, and
 * Sentry's Hono integration puts that guess on the isolation scope's user), so such a value is not the app's own
 * choice and never beats the trusted resolution. Event time only.
 */
export function appearsInAddressHeaders(req: RequestLike | undefined, address: unknown): boolean {
  if (req === undefined || typeof address !== 'string') return false;
  // An address we do not normalise but the SDK's own check takes (`::`, `0.0.0.0`) is looked for as written.
  const wanted = normalizeIp(address);
  if (wanted === undefined && isIP(address) === 0) return false;
  const headers = safeHeaders(req);
  if (headers === undefined) return false;
  for (const name of Object.keys(headers)) {
    if (!isAddressHeader(name.toLowerCase())) continue;
    const value = headers[name];
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : '';
    if (!text.includes(address) && (wanted === undefined || !text.includes(wanted))) continue;
    for (const token of text.split(ADDRESS_TOKEN_SEPARATORS)) {
      if (token === '') continue;
      if (wanted === undefined ? token === address : normalizeIp(token) === wanted) return true;
    }
  }
  return false;
}
