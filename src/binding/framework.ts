import type { TrustPredicate } from '../ip/trust.js';
import type { RequestLike } from '../request-like.js';

/**
 * A framework's own proxy setting, as its adapter reads it (Express `trust proxy`, Koa `app.proxy` +
 * `maxIpsCount` + `proxyIpHeader`).
 */
export interface FrameworkTrust {
  readonly trust: TrustPredicate;
  /** The setting trusts every hop (Express `trust proxy: true`, Koa `proxy` without `maxIpsCount`). */
  readonly trustsEveryHop: boolean;
  /** The framework's list header, lower case. */
  readonly listHeader?: string;
  /** What to write in the one-time warning when `trustsEveryHop`. */
  readonly everyHopFix?: string;
}

/** What an adapter tells the core about its framework: where things are, nothing more. */
export interface FrameworkAccess<Target> {
  readonly name: string;
  /** The Node request behind the framework object. */
  request(target: Target): RequestLike;
  /** The principal by the framework's detection chain. */
  detectPrincipal(target: Target): unknown;
  /** Calls the `getUser` option with the framework's arguments. */
  callGetUser(getUser: (...args: never[]) => unknown, target: Target): unknown;
  /** What `mapUser` receives as its second argument. */
  mapUserArgument(target: Target): unknown;
  /** The framework's own trust setting, read at event time (settings may change after the middleware is built). */
  frameworkTrust(target: Target): FrameworkTrust;
}
