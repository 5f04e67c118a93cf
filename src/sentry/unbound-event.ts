import type { RequestLike } from '../request-like.js';
import { appearsInAddressHeaders } from '../request/address-headers.js';
import type { SentryEventShape } from './sdk-shapes.js';

/**
 * What the `user.ip_address` of an event or segment span of a request we hold no tie for (so no trusted resolution:
 * the app's own `withIsolationScope` inside a handler, a route before ours) should be. The SDK puts its own guess there
 * (@sentry/node 11: from client-settable headers such as `X-Client-IP`, `X-Forwarded-For`; 9: the socket peer), even
 * over one the app set. The address the app set wins — unless `scopeMayHoldSdkGuess` (Sentry's Hono integration puts
 * its header guess on the scope's user, where it looks like one the app set) and an address header carries it.
 * Otherwise no header is believed without the app's trust setting: a value one carries goes, and so does `{{auto}}`,
 * which a server must never send. `undefined`: remove it.
 *
 * @example
 * untiedUserAddress('6.6.6.6', { headers: { 'x-forwarded-for': '6.6.6.6' } }, undefined, false); // → undefined
 * untiedUserAddress('6.6.6.6', { headers: { 'x-forwarded-for': '6.6.6.6' } }, '198.51.100.7', false); // → '198.51.100.7'
 */
export function untiedUserAddress(address: unknown, request: RequestLike, appSetIp: unknown, scopeMayHoldSdkGuess: boolean): unknown {
  const appOwn = typeof appSetIp === 'string' && appSetIp !== '{{auto}}' && !(scopeMayHoldSdkGuess && appearsInAddressHeaders(request, appSetIp));
  if (appOwn) return appSetIp;
  return address !== '{{auto}}' && !appearsInAddressHeaders(request, address) ? address : undefined;
}

/**
 * An event of a request we hold no tie for: its `user.ip_address` as `untiedUserAddress` says. Never adds an address
 * where the event has none (a switched-off category stays off); an emptied user goes.
 */
export function withoutClientWrittenAddress(event: SentryEventShape, request: RequestLike, appSetIp: unknown, scopeMayHoldSdkGuess: boolean): SentryEventShape {
  const user = event.user;
  const address = user?.ip_address;
  if (user === undefined || address === undefined) return event;
  const kept = untiedUserAddress(address, request, appSetIp, scopeMayHoldSdkGuess);
  if (kept !== undefined) {
    user.ip_address = kept;
    return event;
  }
  delete user.ip_address;
  if (Object.keys(user).length === 0) delete event.user;
  return event;
}
