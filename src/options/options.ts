import type { TrustProxy } from '../ip/trust.js';
import type { User } from '../sentry-types.js';

/** The one header walked right to left for proxy hops. */
export type ForwardedHeaderName = 'x-forwarded-for' | 'forwarded';

/** What `resolveClientIp` reads: which peers are proxies and which headers they write. */
export interface ResolveClientIpOptions {
  /**
   * Which peers are our own proxies: `false` (none), a hop count, addresses / CIDR ranges / the presets `loopback`,
   * `linklocal`, `uniquelocal` (comma list or array), or `(address, hop) => boolean`. `true`, and any list that covers
   * every address (`'0.0.0.0/0, ::/0'`), is rejected. Core default `false`; the adapters default to the framework's
   * own setting.
   */
  trustProxy?: TrustProxy;
  /** The list header walked right to left. Default `'x-forwarded-for'`. */
  forwardedHeader?: ForwardedHeaderName;
  /** A single-address header set by a trusted proxy (`cf-connecting-ip`, `x-real-ip`, …), believed only from it. */
  clientIpHeader?: string;
}

/** What `toSentryUser` reads: the PII switch and the extra principal keys. */
export interface ToSentryUserOptions {
  /** Send personal data (username, email, name, geo, IP). Default: the Sentry client's setting, else `false`. */
  pii?: boolean;
  /** Principal keys copied as extra user data. Keys that look like secrets are never sent. */
  extraKeys?: readonly string[];
}

/** What `toSentryRequest` reads: the address resolution, the PII switch, and optionally an address already resolved. */
export interface ToSentryRequestOptions extends ResolveClientIpOptions {
  /** Send personal data (`REMOTE_ADDR`, cookies). Default: the Sentry client's setting, else `false`. */
  pii?: boolean;
  /** The client address already resolved, so it is not resolved again. */
  clientIp?: string;
}

/** What the adapters read: everything the core reads for a user and an address, plus where the principal is. */
export interface AdapterOptions<GetUserArgs extends unknown[], Req> extends ResolveClientIpOptions, ToSentryUserOptions {
  /** Where the principal is. Sync or async; called only when an event is captured. */
  getUser?: (...args: GetUserArgs) => unknown;
  /** Full control of the mapping from principal to User. The PII setting and Relay's limits still apply. */
  mapUser?: (principal: unknown, req: Req) => User | undefined;
  /** Also write the resolved address to `user.ip_address`, for pipelines that do not backfill it from REMOTE_ADDR. */
  setUserIp?: boolean;
}

/**
 * @deprecated Every core option in one type, as 0.1.0 exported it. Use the type of the function you call:
 * `ResolveClientIpOptions`, `ToSentryUserOptions` or `ToSentryRequestOptions` — each function rejects options it
 * does not read.
 */
export type CoreOptions = ResolveClientIpOptions & ToSentryUserOptions & ToSentryRequestOptions;

// The runtime lists of option names are written as objects keyed by the option types (express-rate-limit's
// `KeysEnum`): adding an option to a type without adding it here, or the reverse, does not compile.
const RESOLVE_OPTION_KEYS = {
  trustProxy: true,
  forwardedHeader: true,
  clientIpHeader: true,
} as const satisfies Record<keyof ResolveClientIpOptions, true>;

const USER_OPTION_KEYS = { pii: true, extraKeys: true } as const satisfies Record<keyof ToSentryUserOptions, true>;

const REQUEST_OPTION_KEYS = {
  ...RESOLVE_OPTION_KEYS,
  pii: true,
  clientIp: true,
} as const satisfies Record<keyof ToSentryRequestOptions, true>;

const ADAPTER_OPTION_KEYS = {
  getUser: true,
  mapUser: true,
  ...RESOLVE_OPTION_KEYS,
  ...USER_OPTION_KEYS,
  setUserIp: true,
} as const satisfies Record<keyof AdapterOptions<unknown[], unknown>, true>;

function namesOf<Keys extends object>(keys: Keys): readonly (keyof Keys & string)[] {
  return Object.freeze(Object.keys(keys)) as readonly (keyof Keys & string)[];
}

/** The options each entry point accepts; anything else is an unknown option with a "did you mean" message. */
export const RESOLVE_OPTION_NAMES = namesOf(RESOLVE_OPTION_KEYS);
export const USER_OPTION_NAMES = namesOf(USER_OPTION_KEYS);
export const REQUEST_OPTION_NAMES = namesOf(REQUEST_OPTION_KEYS);
export const ADAPTER_OPTION_NAMES = namesOf(ADAPTER_OPTION_KEYS);
