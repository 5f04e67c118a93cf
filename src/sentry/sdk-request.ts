import type { RequestLike } from '../request-like.js';
import { readProperty } from '../util/read-property.js';
import type { ProcessingMetadataShape, ScopeShape } from './sdk-shapes.js';

/**
 * The SDK's own copy of a request, from an isolation scope's processing metadata (`normalizedRequest` and the peer
 * `ipAddress`; early 8.x kept the request itself): what is known about a request after it let go of its framework
 * object, and about the request of a scope the app cloned from its own (`withIsolationScope` inside a handler: the
 * clone shares the metadata, not our tie). `peer`: where the SDK keeps none (@sentry/node 8). `addressOnly`: only what
 * the client address is resolved from (headers and peer), for a segment span.
 */
export function sdkRequestOfScope(scope: ScopeShape, peer?: string, addressOnly = false): RequestLike | undefined {
  return requestFromMetadata(scopeMetadata(scope), peer, addressOnly);
}

/**
 * The SDK's own copy of a scope's request, as an identity: a scope the app cloned (`withIsolationScope`) shares it
 * with the scope it was cloned from.
 */
export function sdkRequestIdentityOf(scope: ScopeShape): object | undefined {
  const normalized = readProperty(scopeMetadata(scope), 'normalizedRequest');
  return normalized !== null && typeof normalized === 'object' ? normalized : undefined;
}

/**
 * The SDK's processing metadata of a scope. Read from the scope's field where it is there (every SDK the contract test
 * covers): `getScopeData()` copies the whole scope, and with tracing on this runs for every request's segment span.
 */
function scopeMetadata(scope: ScopeShape): ProcessingMetadataShape | undefined {
  try {
    const own = (scope as { _sdkProcessingMetadata?: unknown })._sdkProcessingMetadata;
    if (own !== null && typeof own === 'object') return own as ProcessingMetadataShape;
    return scope.getScopeData?.().sdkProcessingMetadata as ProcessingMetadataShape | undefined;
  } catch {
    return undefined;
  }
}

/**
 * After the request ended: the SDK's own copy of it on the isolation scope (`normalizedRequest` and the socket peer
 * `ipAddress`; early 8.x kept the request itself).
 */
function requestFromMetadata(metadata: ProcessingMetadataShape | undefined, peer: string | undefined, addressOnly: boolean): RequestLike | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  // `readProperty`: the SDK builds this object anew per request, with a hidden class of its own each time.
  const ipAddress = readProperty(metadata, 'ipAddress');
  const remoteAddress = typeof ipAddress === 'string' ? ipAddress : peer;
  const normalized = readProperty(metadata, 'normalizedRequest') as ProcessingMetadataShape['normalizedRequest'];
  if (normalized !== undefined && normalized !== null && typeof normalized.headers === 'object' && normalized.headers !== null) {
    const headers = normalized.headers as RequestLike['headers'];
    if (addressOnly) return { headers, socket: { remoteAddress } };
    return {
      headers,
      // The SDK took the scheme from the socket unless a client-settable X-Forwarded-Proto was there.
      socket: { remoteAddress, encrypted: headers['x-forwarded-proto'] === undefined && typeof normalized.url === 'string' && normalized.url.startsWith('https:') },
      method: typeof normalized.method === 'string' ? normalized.method : undefined,
      url: pathOf(normalized.url),
    };
  }
  // Early 8.x kept the request itself; its socket may have forgotten the peer by now.
  const request = readProperty(metadata, 'request') as RequestLike | undefined;
  if (request === undefined || request === null || typeof request !== 'object' || typeof request.headers !== 'object') return undefined;
  return { headers: request.headers, socket: { remoteAddress }, method: request.method, url: request.originalUrl ?? request.url };
}

/** `https://host/path?q` → `/path?q`: the SDK keeps an absolute URL; the Request interface is built from the path. */
function pathOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  if (url.startsWith('/')) return url;
  const scheme = url.indexOf('://');
  if (scheme === -1) return undefined;
  const slash = url.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}
