import { readListHeader, readSingleHeader } from './headers/read-header.js';
import { forwardedForEntries, forwardedNodeAddress, MAX_FORWARDED_HOPS } from './ip/forwarded-header.js';
import { formatIp, parseIpAddress, type ParsedIp } from './ip/parse-ip.js';
import { trustNothing, type TrustPredicate } from './ip/trust.js';
import { RESOLVE_OPTION_NAMES, type ResolveClientIpOptions } from './options/options.js';
import { parseCoreOptions, type ParsedOptions } from './options/parse-options.js';
import type { RequestLike } from './request-like.js';

/** What the resolution needs, already compiled. The adapters build one per framework setting. */
export interface ClientIpResolution {
  readonly trust: TrustPredicate;
  /**
   * Lower-case name of the list header walked right to left: `'x-forwarded-for'`, `'forwarded'`, or a framework's
   * own X-Forwarded-For-syntax header (Koa's `proxyIpHeader`). The syntax is RFC 7239 exactly when the name is
   * `'forwarded'`.
   */
  readonly forwardedHeader: string;
  /** Lower-case name of a single-address header believed from a trusted peer, or `undefined`. */
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

const isOws = (code: number): boolean => code === 32 || code === 9;

/**
 * Walks an X-Forwarded-For-syntax list from the right without splitting it: only the entries the walk visits are
 * cut out. Empty elements (`a,, b`, a trailing comma) are skipped, as RFC 9110 §5.6.1 tells recipients to do; they
 * are not hops. The scan is linear in the header's length, and at most `MAX_FORWARDED_HOPS` entries are parsed.
 */
function walkXForwardedFor(header: string, trust: TrustPredicate, peerText: string): string {
  let nearestTrusted = peerText;
  let hop = 0;
  let end = header.length;
  while (end >= 0) {
    let start = end - 1;
    while (start >= 0 && header.charCodeAt(start) !== 44 /* , */) start--;
    const comma = start;
    start++;
    let last = end;
    while (start < last && isOws(header.charCodeAt(start))) start++;
    while (last > start && isOws(header.charCodeAt(last - 1))) last--;
    end = comma;
    if (start === last) continue;
    if (++hop > MAX_FORWARDED_HOPS) return nearestTrusted;
    const parsed = parseIpAddress(header.slice(start, last));
    // An unusable entry means we cannot see past it: stop at the nearest address we trust.
    if (parsed === undefined) return nearestTrusted;
    const text = formatIp(parsed);
    if (!trust(text, hop, parsed)) return text;
    nearestTrusted = text;
  }
  return nearestTrusted;
}

/** The same walk over RFC 7239 elements (already parsed; empty elements are not among them). */
function walkForwarded(header: string, trust: TrustPredicate, peerText: string): string {
  const nodes = forwardedForEntries(header);
  let nearestTrusted = peerText;
  for (let hop = 1; hop <= nodes.length; hop++) {
    if (hop > MAX_FORWARDED_HOPS) return nearestTrusted;
    const node = nodes[hop - 1];
    const addressText = node === undefined ? undefined : forwardedNodeAddress(node);
    const parsed = addressText === undefined ? undefined : parseIpAddress(addressText);
    if (parsed === undefined) return nearestTrusted;
    const text = formatIp(parsed);
    if (!trust(text, hop, parsed)) return text;
    nearestTrusted = text;
  }
  return nearestTrusted;
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

  const header = readListHeader(req, config.forwardedHeader);
  if (header === undefined) return peerText;
  return config.forwardedHeader === 'forwarded'
    ? walkForwarded(header, config.trust, peerText)
    : walkXForwardedFor(header, config.trust, peerText);
}

function compileResolution(parsed: ParsedOptions): ClientIpResolution {
  return {
    trust: parsed.trust ?? trustNothing,
    forwardedHeader: parsed.forwardedHeader ?? 'x-forwarded-for',
    clientIpHeader: parsed.clientIpHeader,
  };
}

const DEFAULT_RESOLUTION: ClientIpResolution = { trust: trustNothing, forwardedHeader: 'x-forwarded-for', clientIpHeader: undefined };
const resolutionCache = new WeakMap<ParsedOptions, ClientIpResolution>();
// Most callers pass the same options object on every call: remember the last one before asking the WeakMaps.
let lastOptions: object | undefined;
let lastNames: readonly string[] | undefined;
let lastResolution: ClientIpResolution = DEFAULT_RESOLUTION;

/**
 * The compiled resolution for a core function's options (validated against that function's option names, once per
 * options object).
 */
export function clientIpResolutionFor(options: object | undefined, names: readonly string[] = RESOLVE_OPTION_NAMES): ClientIpResolution {
  if (options === undefined) return DEFAULT_RESOLUTION;
  if (options === lastOptions && names === lastNames) return lastResolution;
  const parsed = parseCoreOptions(options, names);
  let resolution = resolutionCache.get(parsed);
  if (resolution === undefined) {
    resolution = compileResolution(parsed);
    resolutionCache.set(parsed, resolution);
  }
  if (options !== null && typeof options === 'object') {
    lastOptions = options;
    lastNames = names;
    lastResolution = resolution;
  }
  return resolution;
}

/**
 * The client address of a request, believing forwarding headers only from peers you trust.
 *
 * 1. The socket peer, normalised; no peer → `undefined`.
 * 2. An untrusted peer is the answer: no header from it ever changes the result.
 * 3. With `clientIpHeader`, that header when present exactly once with one valid address, else the peer.
 * 4. Otherwise the forwarding header is walked right to left: the first valid entry that is not trusted wins; an
 *    unusable entry stops the walk at the nearest trusted hop; when every hop is trusted, the farthest. Empty list
 *    elements are ignored (RFC 9110 §5.6.1).
 *
 * Options are validated on first use of an options object (a bad one throws a TypeError saying the fix); requests
 * never make it throw.
 *
 * @example
 * import { resolveClientIp } from 'sentry-request-user';
 * // behind one reverse proxy on the same host:
 * const ip = resolveClientIp(req, { trustProxy: 'loopback' });
 */
export function resolveClientIp(req: RequestLike, options?: ResolveClientIpOptions): string | undefined {
  const config = clientIpResolutionFor(options);
  if (req === null || typeof req !== 'object') return undefined;
  return resolveWithConfig(req, config);
}
