import type { TrustPredicate } from '../ip/trust.js';
import type { RequestLike } from '../request-like.js';

/**
 * A framework's own proxy setting, as its adapter reads it (Express `trust proxy`, Koa `app.proxy` +
 * `maxIpsCount` + `proxyIpHeader`, Fastify `trustProxy`).
 */
export interface FrameworkTrust {
  readonly trust: TrustPredicate;
  /** The setting trusts every hop (Express `trust proxy: true`, Koa `proxy` without `maxIpsCount`). */
  readonly trustsEveryHop: boolean;
  /** The framework's list header, lower case (Koa's `proxyIpHeader`). */
  readonly forwardedHeader?: string;
  /** What to write in the one-time warning when `trustsEveryHop`. */
  readonly everyHopFix?: string;
}

/**
 * The Node response behind a framework object. Where Node's finish channel does not tell the binder that a request
 * ended (HTTP/2, a request without a Node socket), it listens once for `close` to let go of the request, so nothing per request
 * outlives it (the SDK keeps each request's isolation scope alive after the response).
 */
export interface ResponseLike {
  on(event: 'close', listener: () => void): unknown;
  /** Node: the whole response was handed to the OS. `false` at `close` means the client went away first. */
  readonly writableFinished?: boolean;
}

/**
 * What an adapter tells the core about its framework: where things are, nothing more. Every method is a few
 * property reads; the core guards each call, so a throwing getter never reaches the app.
 */
export interface FrameworkAccess<Target> {
  readonly name: string;
  /**
   * Sentry's integration for this framework sets its guess from client-settable headers as the isolation scope's
   * `user.ip_address` (Hono), where it looks like an address the app set (see `untiedUserAddress`).
   */
  readonly sdkPutsAddressGuessOnScope?: boolean;
  /**
   * The framework gives every Node request a hidden class of its own (Express sets each one's prototype), so a
   * property added to it misses V8's caches: the release then finds the request's tie in a weak map instead.
   */
  readonly nodeRequestsHaveOwnClass?: boolean;
  /** The Node request behind the framework object; `undefined` where there is none (Hono off Node). */
  request(target: Target): RequestLike | undefined;
  /** The Node response behind the framework object; `undefined` when there is none. */
  response(target: Target): ResponseLike | undefined;
  /** The URL as the client sent it, where the framework rewrites `req.url` (Koa mounts); `undefined` otherwise. */
  originalUrl?(target: Target): string | undefined;
  /**
   * An error the framework caught inside the middleware chain instead of letting it reject (Hono: `c.error`), so an
   * error capture outside our forked scope still finds the request. Only frameworks that catch errors need it.
   */
  caughtError?(target: Target): unknown;
  /** The principal by the framework's detection chain. */
  detectPrincipal(target: Target): unknown;
  /** Calls the `getUser` option with the framework's arguments. */
  callGetUser(getUser: (...args: never[]) => unknown, target: Target): unknown;
  /** What `mapUser` receives as its second argument. */
  mapUserArgument(target: Target): unknown;
  /** The framework's own trust setting, read at event time (settings may change after the middleware is built). */
  frameworkTrust(target: Target): FrameworkTrust;
}
