import { readListHeader, readSingleHeader } from './headers/read-header.js';
import { forwardedForEntries, forwardedNodeAddress, MAX_FORWARDED_HOPS, xForwardedForEntries } from './ip/forwarded-header.js';
import { formatIp, parseIpAddress, type ParsedIp } from './ip/parse-ip.js';
import { trustNothing, type TrustPredicate } from './ip/trust.js';
import { CORE_OPTION_NAMES, type CoreOptions } from './options/options.js';
import { parseCoreOptions } from './options/parse-options.js';
import type { RequestLike } from './request-like.js';

/** What the resolution needs, already compiled. The adapters build one per framework setting. */
export interface ClientIpResolution {
  readonly trust: TrustPredicate;
  /** Lower-case name of the list header walked right to left. */
  readonly listHeader: string;
  readonly listFormat: 'x-forwarded-for' | 'forwarded';
  readonly clientIpHeader: string | undefined;
}

function readPeer(req: RequestLike): ParsedIp | undefined {
  let remote: unknown;
  try {
    remote = req.socket?.remoteAddress;
  } catch {
    return undefined;
  }
  return typeof remote === 'string' ? parseIpAddress(remote) : undefined;
}

/**
 * The client address under a compiled configuration. Never throws; `undefined` only when the socket has no usable
 * peer address (a destroyed socket, a test double without one), in which case no header is read either.
 */
export function resolveWithConfig(req: RequestLike, config: ClientIpResolution): string | undefined {
  const peer = readPeer(req);
  if (peer === undefined) return undefined;
  const peerText = formatIp(peer);
  // An untrusted peer is the answer, whatever its headers say: this is what makes the result unspoofable.
  if (config.trust === trustNothing || !config.trust(peerText, 0, peer)) return peerText;

  if (config.clientIpHeader !== undefined) {
    const value = readSingleHeader(req, config.clientIpHeader);
    const parsed = value === undefined ? undefined : parseIpAddress(value);
    return parsed === undefined ? peerText : formatIp(parsed);
  }

  const header = readListHeader(req, config.listHeader);
  if (header === undefined) return peerText;
  const entries = config.listFormat === 'forwarded' ? forwardedForEntries(header) : xForwardedForEntries(header);
  let nearestTrusted = peerText;
  for (let hop = 1; hop <= entries.length; hop++) {
    if (hop > MAX_FORWARDED_HOPS) return nearestTrusted;
    const raw = entries[hop - 1];
    const addressText = raw === undefined ? undefined : config.listFormat === 'forwarded' ? forwardedNodeAddress(raw) : raw;
    const parsed = addressText === undefined ? undefined : parseIpAddress(addressText);
    // An unusable entry means we cannot see past it: stop at the nearest address we trust.
    if (parsed === undefined) return nearestTrusted;
    const text = formatIp(parsed);
    if (!config.trust(text, hop, parsed)) return text;
    nearestTrusted = text;
  }
  return nearestTrusted;
}

const resolutionCache = new WeakMap<object, ClientIpResolution>();

/** Builds the compiled resolution for core options, caching per options object. */
export function clientIpResolutionFor(options: CoreOptions | undefined): ClientIpResolution {
  if (options !== undefined && options !== null && typeof options === 'object') {
    const cached = resolutionCache.get(options);
    if (cached) return cached;
  }
  const parsed = parseCoreOptions(options, CORE_OPTION_NAMES);
  const resolution: ClientIpResolution = {
    trust: parsed.trust ?? trustNothing,
    listHeader: parsed.listFormat ?? 'x-forwarded-for',
    listFormat: parsed.listFormat ?? 'x-forwarded-for',
    clientIpHeader: parsed.clientIpHeader,
  };
  if (options !== undefined && options !== null && typeof options === 'object') resolutionCache.set(options, resolution);
  return resolution;
}

/**
 * The client address of a request, believing forwarding headers only from peers you trust.
 *
 * 1. The socket peer, normalised; no peer → `undefined`.
 * 2. An untrusted peer is the answer: no header from it ever changes the result.
 * 3. With `clientIpHeader`, that header when present exactly once with one valid address, else the peer.
 * 4. Otherwise the forwarding header is walked right to left: the first valid entry that is not trusted wins; an
 *    unusable entry stops the walk at the nearest trusted hop; when every hop is trusted, the farthest.
 *
 * Options are validated on first use of an options object (a bad one throws a TypeError saying the fix); requests
 * never make it throw.
 *
 * @example
 * import { resolveClientIp } from 'sentry-request-user';
 * // behind one reverse proxy on the same host:
 * const ip = resolveClientIp(req, { trustProxy: 'loopback' });
 */
export function resolveClientIp(req: RequestLike, options?: CoreOptions): string | undefined {
  const config = clientIpResolutionFor(options);
  if (req === null || typeof req !== 'object') return undefined;
  return resolveWithConfig(req, config);
}
