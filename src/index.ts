export { resolveClientIp } from './resolve-client-ip.js';
export { toSentryUser } from './user/to-sentry-user.js';
export { toSentryRequest } from './request/to-sentry-request.js';
export { normalizeIp } from './ip/parse-ip.js';
export { MAX_FORWARDED_HOPS } from './ip/forwarded-header.js';
export type { TrustProxy } from './ip/trust.js';
export type {
  ResolveClientIpOptions,
  ToSentryUserOptions,
  ToSentryRequestOptions,
  AdapterOptions,
  ForwardedHeaderName,
  CoreOptions,
} from './options/options.js';
export type { RequestLike } from './request-like.js';
export type { User, Geo, RequestEventData } from './sentry-types.js';
