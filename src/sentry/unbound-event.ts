import type { RequestLike } from '../request-like.js';
import { appearsInAddressHeaders } from '../request/address-headers.js';
import type { SentryEventShape } from './sdk-shapes.js';

/**
 * An event of a request we hold no tie for, so no trusted resolution (the app's own `withIsolationScope` inside a
 * handler, a route before ours). The SDK puts a guess from client-settable headers (`X-Client-IP`,
 * `X-Forwarded-For`, …) in `user.ip_address`, even over one the app set. Without the app's trust setting no such
 * header is believed: the guess is replaced by the address the app set, or removed. As on bound requests, a value that
 * appears in those headers is not taken for the app's own (Sentry's Hono integration sets its guess on the scope),
 * and `{{auto}}`, which a server must never send, goes too.
 * `appSetIp`: the `ip_address` of the user the app set (scopes, capture context, event), read before the SDK's
 * processors ran.
 *
 * @example
 * withoutClientWrittenAddress({ user: { ip_address: '6.6.6.6' } }, { headers: { 'x-forwarded-for': '6.6.6.6' } }, undefined);
 * // → {} (the SDK's guess from a header the client wrote)
 */
export function withoutClientWrittenAddress(event: SentryEventShape, request: RequestLike, appSetIp: unknown): SentryEventShape {
  const user = event.user;
  const address = user?.ip_address;
  if (user === undefined || address === undefined) return event;
  const appOwnIp = typeof appSetIp === 'string' && appSetIp !== '{{auto}}' && !appearsInAddressHeaders(request, appSetIp) ? appSetIp : undefined;
  if (address === appOwnIp || (address !== '{{auto}}' && !appearsInAddressHeaders(request, address))) return event;
  if (appOwnIp !== undefined) user.ip_address = appOwnIp;
  else delete user.ip_address;
  if (Object.keys(user).length === 0) delete event.user;
  return event;
}
