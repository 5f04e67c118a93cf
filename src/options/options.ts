import type { TrustProxy } from '../ip/trust.js';
import type { User } from '../sentry-types.js';

/** The one header walked right to left for proxy hops. */
export type ForwardedHeaderName = 'x-forwarded-for' | 'forwarded';

/** Options shared by the core functions and the adapters: one vocabulary everywhere. */
export interface CoreOptions {
  /**
   * Which peers are our own proxies: `false` (none), a hop count, addresses / CIDR ranges / the presets `loopback`,
   * `linklocal`, `uniquelocal` (comma list or array), or `(address, hop) => boolean`. `true` is rejected.
   * Core default `false`; the adapters default to the framework's own setting.
   */
  trustProxy?: TrustProxy;
  /** The list header walked right to left. Default `'x-forwarded-for'`. */
  forwardedHeader?: ForwardedHeaderName;
  /** A single-address header set by a trusted proxy (`cf-connecting-ip`, `x-real-ip`, …), believed only from it. */
  clientIpHeader?: string;
  /** Send personal data (username, email, name, geo, IP, cookies). Default: the Sentry client's setting, else `false`. */
  pii?: boolean;
  /** Principal keys copied as extra user data. Keys that look like secrets are never sent. */
  extraKeys?: readonly string[];
  /** Also write the resolved address to `user.ip_address`, for pipelines that do not backfill it from REMOTE_ADDR. */
  setUserIp?: boolean;
  /** `toSentryRequest` only: the client address already resolved, so it is not resolved again. */
  clientIp?: string;
}

/** What the adapters add: where the principal is and how it becomes a User. */
export interface AdapterOptions<GetUserArgs extends unknown[], Req> extends Omit<CoreOptions, 'clientIp'> {
  /** Where the principal is. Sync or async; called only when an event is captured. */
  getUser?: (...args: GetUserArgs) => unknown;
  /** Full control of the mapping from principal to User. The PII setting and Relay's limits still apply. */
  mapUser?: (principal: unknown, req: Req) => User | undefined;
}

export const CORE_OPTION_NAMES = [
  'trustProxy',
  'forwardedHeader',
  'clientIpHeader',
  'pii',
  'extraKeys',
  'setUserIp',
  'clientIp',
] as const;

export const ADAPTER_OPTION_NAMES = ['getUser', 'mapUser', ...CORE_OPTION_NAMES.filter((name) => name !== 'clientIp')] as const;
