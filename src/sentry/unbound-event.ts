import type { RequestLike } from '../request-like.js';
import { appearsInAddressHeaders } from '../request/address-headers.js';
import type { SentryEventShape } from './sdk-shapes.js';

/**
 * An event of a request we hold no tie for, so no trusted resolution (the app's own `withIsolationScope` inside a
 * handler, a route before ours). The SDK puts its own guess in `user.ip_address` (@sentry/node 11: from
 * client-settable headers such as `X-Client-IP`, `X-Forwarded-For`; 9: the socket peer), even over one the app set.
 * The address the app set wins. Otherwise, without the app's trust setting no header is believed: a guess taken from
 * one is removed, and so is `{{auto}}`, which a server must never send. As on bound requests, a value that appears in
 * those headers is not taken for the app's own: Sentry's Hono integration puts its header guess on the scope's user,
 * where it cannot be told from one the app set, and a client must never choose the address Sentry records.
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
  if (appOwnIp !== undefined) {
    // @sentry/node 9 puts the socket peer there over the app's value, 11 its header guess: the app's wins.
    user.ip_address = appOwnIp;
    return event;
  }
  if (address !== '{{auto}}' && !appearsInAddressHeaders(request, address)) return event;
  delete user.ip_address;
  if (Object.keys(user).length === 0) delete event.user;
  return event;
}
