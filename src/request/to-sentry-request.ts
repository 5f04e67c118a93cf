import { safeHeaders } from '../headers/read-header.js';
import { ADDRESS_HEADER, headerFlags, PATH_HEADER, SENSITIVE_HEADER } from './header-flags.js';
import { formatIp, normalizeIp, parseIpAddress } from '../ip/parse-ip.js';
import { REQUEST_OPTION_NAMES, type ToSentryRequestOptions } from '../options/options.js';
import { parseCoreOptions } from '../options/parse-options.js';
import { FILTERED, isSensitiveCookieName, isSensitiveName, mentionsSensitiveName } from '../privacy/sensitive-names.js';
import type { RequestLike } from '../request-like.js';
import { defaultPii } from '../sentry/locate-sentry.js';
import { clientIpResolutionFor, resolveWithConfig, type ClientIpResolution } from '../resolve-client-ip.js';
import type { RequestEventData } from '../sentry-types.js';
import { trimmed } from '../util/trim.js';

const MAX_HEADERS = 100;
const MAX_HEADER_VALUE = 8192;
const MAX_COOKIES = 50;
const METHOD = /^[A-Z\-_]{3,32}$/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:(\d{1,5}))?$/;

/** What building the Request interface needs, already compiled. */
export interface RequestDataConfig {
  /** User data: REMOTE_ADDR, cookies, and headers that carry an address. */
  readonly pii: boolean;
  readonly resolution: ClientIpResolution;
  /** The app's data-collection switches (a ceiling): a category that is off is not built at all. Default on. */
  readonly headers?: boolean;
  readonly cookies?: boolean;
  readonly query?: boolean;
}


function safeString(read: () => unknown): string | undefined {
  try {
    const value = read();
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The value of a header as one string (repeated lines joined), or undefined. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((line) => typeof line === 'string').join(', ');
  return undefined;
}

/** Per-header flags of the header map being filtered (reused: no code of anyone else runs while it is in use). */
const flagsOfNames: number[] = [];

/**
 * Filters a header map: sensitive names `[Filtered]`, without user data no header that carries an address, HTTP/2's
 * `:path` under the query's rules. `ours`: a request's own headers, which also become strings (repeated lines joined)
 * within the value and header limits; otherwise a map someone else already put on the event, values kept as they are.
 */
function filterHeaderMap(headers: Readonly<Record<string, unknown>>, pii: boolean, query: boolean, ours: boolean): Record<string, unknown> {
  // One read of the object (its getters or Proxy traps run once, here); everything below works on plain data.
  const copy: Record<string, unknown> = { ...headers };
  const names = Object.keys(copy);
  if (names.length <= MAX_HEADERS && Object.getOwnPropertySymbols(copy).length === 0 && keepsEveryName(copy, names, pii, ours)) {
    // Most requests only need values replaced: the copy keeps the map's shape (one clone instead of a property added
    // per header), and the sensitive values are overwritten in it.
    for (let i = 0; i < names.length; i++) {
      const flags = flagsOfNames[i] as number;
      if (flags & SENSITIVE_HEADER) copy[names[i] as string] = FILTERED;
      else if (flags & PATH_HEADER) copy[names[i] as string] = filterPath(copy[names[i] as string], query);
    }
    return copy;
  }
  const result: Record<string, unknown> = {};
  let count = 0;
  for (const name of names) {
    if (ours && count++ >= MAX_HEADERS) break;
    if (name === '__proto__') continue;
    const flags = headerFlags(name);
    if (!pii && (flags & ADDRESS_HEADER) !== 0) continue;
    let value = copy[name];
    if (ours) {
      const text = headerText(value);
      if (text === undefined) continue;
      value = text.slice(0, MAX_HEADER_VALUE);
    }
    result[name] = flags & SENSITIVE_HEADER ? FILTERED : flags & PATH_HEADER ? filterPath(value, query) : value;
  }
  return result;
}

/**
 * Whether the copy of a header map already holds exactly the names the event keeps (no `__proto__`, and without user
 * data no header that carries an address) and, for a request's own headers, only strings within the value limit.
 * Leaves each name's flags in `flagsOfNames`.
 */
function keepsEveryName(copy: Readonly<Record<string, unknown>>, names: readonly string[], pii: boolean, ours: boolean): boolean {
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const flags = headerFlags(name);
    if (name === '__proto__' || (!pii && (flags & ADDRESS_HEADER) !== 0)) return false;
    if (ours) {
      const value = copy[name];
      if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE) return false;
    }
    flagsOfNames[i] = flags;
  }
  return true;
}

/** HTTP/2's `:path` with its query filtered as `query_string` is, or cut off where queries are switched off. */
function filterPath(value: unknown, query: boolean): unknown {
  if (typeof value !== 'string') return FILTERED;
  const question = value.indexOf('?');
  if (question === -1) return value;
  return query ? `${value.slice(0, question + 1)}${filterQueryString(value.slice(question + 1))}` : value.slice(0, question);
}

function filterHeaders(headers: RequestLike['headers'], pii: boolean, query: boolean): Record<string, string> {
  return filterHeaderMap(headers, pii, query, true) as Record<string, string>;
}

/**
 * Filters a header map another producer (the SDK, the application) already put on an event, so the event is never
 * weaker than our own filter: sensitive names `[Filtered]`, without user data no header that carries an address, and
 * HTTP/2's `:path` under the query's rules (`query`: the app collects query strings).
 */
export function filterEventHeaders(headers: Record<string, unknown>, pii: boolean, query: boolean): Record<string, unknown> {
  return filterHeaderMap(headers, pii, query, false);
}

/** Filters sensitive cookie values in a cookie map another producer already put on an event (SDK 8 sends them raw). */
export function filterEventCookies(cookies: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of Object.keys(cookies)) result[name] = isSensitiveCookieName(name) ? FILTERED : cookies[name];
  return result;
}

/** `text.slice(start, end)` without the spaces at either end (`; name=value`). */
function sliceWithoutSpaces(text: string, start: number, end: number): string {
  while (start < end && text.charCodeAt(start) === 32) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  return text.slice(start, end);
}

/** Scans the header in place (no split into parts): only names and kept values are cut out. */
function parseCookies(header: string): Record<string, string> {
  const cookies: Record<string, string> = {};
  let count = 0;
  let start = 0;
  let eq = -1;
  while (start < header.length && count < MAX_COOKIES) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    // The next '=' is looked for again only once the scan has passed the last one found: linear in the header.
    if (eq < start) eq = header.indexOf('=', start);
    if (eq === -1) break;
    if (eq > start && eq < end) {
      const name = trimmed(sliceWithoutSpaces(header, start, eq));
      if (name !== '' && name !== '__proto__' && !Object.prototype.hasOwnProperty.call(cookies, name)) {
        count++;
        cookies[name] = isSensitiveCookieName(name) ? FILTERED : trimmed(sliceWithoutSpaces(header, eq + 1, end)).slice(0, MAX_HEADER_VALUE);
      }
    }
    start = end + 1;
  }
  return cookies;
}

/** A query parameter name as the application reads it: `+` is a space, `%XX` escapes decoded (when well-formed). */
function decodeQueryName(rawName: string): string {
  if (!rawName.includes('%') && !rawName.includes('+')) return rawName;
  try {
    return decodeURIComponent(rawName.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: judge the name as written.
    return rawName;
  }
}

/** Keeps the query string as a string, with the values of sensitive parameter names filtered. */
function filterQueryString(query: string): string {
  // Most query strings mention nothing sensitive anywhere: then there is nothing to filter.
  if (!mentionsSensitiveName(query) && !query.includes('%')) return query;
  let filtered = '';
  let copiedUpTo = 0;
  let start = 0;
  let eq = query.indexOf('=');
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    // As with cookies: the next '=' is looked for again only past the last one found.
    if (eq !== -1 && eq < start) eq = query.indexOf('=', start);
    if (eq !== -1 && eq < end && isSensitiveName(decodeQueryName(query.slice(start, eq)))) {
      // Copy what came before unchanged, then the name with its value filtered.
      filtered += `${query.slice(copiedUpTo, eq + 1)}${FILTERED}`;
      copiedUpTo = end;
    }
    start = end + 1;
  }
  return copiedUpTo === 0 ? query : filtered + query.slice(copiedUpTo);
}

/** The first value of a trusted proxy's list header (`X-Forwarded-Proto: https, http` → `https`). */
function firstListValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  return trimmed(comma === -1 ? value : value.slice(0, comma));
}

/** Scheme and host as the client addressed them; forwarded values only when the peer is a trusted proxy. */
function readOrigin(req: RequestLike, resolution: ClientIpResolution): { scheme: string; host?: string; port?: string } {
  const headers = safeHeaders(req) ?? {};
  let encrypted = false;
  try {
    encrypted = req.socket?.encrypted === true;
  } catch {
    encrypted = false;
  }
  let scheme = encrypted ? 'https' : 'http';
  let hostHeader = headerText(headers.host) ?? headerText(headers[':authority']);

  const peer = safeString(() => req.socket?.remoteAddress);
  const parsedPeer = peer === undefined ? undefined : parseIpAddress(peer);
  const peerText = parsedPeer === undefined ? undefined : formatIp(parsedPeer);
  if (parsedPeer !== undefined && peerText !== undefined && resolution.trust(peerText, 0, parsedPeer)) {
    const proto = firstListValue(headerText(headers['x-forwarded-proto']))?.toLowerCase();
    if (proto === 'http' || proto === 'https') scheme = proto;
    const forwardedHost = firstListValue(headerText(headers['x-forwarded-host']));
    if (forwardedHost) hostHeader = forwardedHost;
  }

  const match = hostHeader === undefined ? null : HOST.exec(trimmed(hostHeader));
  if (!match || (hostHeader as string).length > 255) return { scheme };
  const host = match[1] as string;
  const port = match[3];
  if (port !== undefined && Number(port) > 65535) return { scheme };
  return { scheme, host: host.toLowerCase(), port: port ?? (scheme === 'https' ? '443' : '80') };
}

/**
 * Builds the Request interface under a compiled config. Never throws. `clientIp`: the client's address already
 * resolved and normalised, `null` for none, or `undefined` to resolve it here.
 */
export function buildRequestData(req: RequestLike, config: RequestDataConfig, clientIp?: string | null): RequestEventData {
  const data: RequestEventData = {};
  if (req === null || typeof req !== 'object') return data;
  try {
    const method = safeString(() => req.method)?.toUpperCase();
    if (method !== undefined && METHOD.test(method)) data.method = method;

    const target = safeString(() => req.originalUrl) ?? safeString(() => req.url) ?? '';
    const hash = target.indexOf('#');
    const withoutHash = hash === -1 ? target : target.slice(0, hash);
    const question = withoutHash.indexOf('?');
    const path = question === -1 ? withoutHash : withoutHash.slice(0, question);
    const query = question === -1 ? '' : withoutHash.slice(question + 1);
    const origin = readOrigin(req, config.resolution);
    if (path.startsWith('/')) {
      const defaultPort = origin.scheme === 'https' ? '443' : '80';
      const authority = origin.host === undefined ? undefined : origin.port === defaultPort ? origin.host : `${origin.host}:${origin.port}`;
      data.url = authority === undefined ? path : `${origin.scheme}://${authority}${path}`;
    }
    if (query !== '' && config.query !== false) data.query_string = filterQueryString(query);

    const headers = safeHeaders(req);
    if (headers) {
      if (config.headers !== false) data.headers = filterHeaders(headers, config.pii, config.query !== false);
      const cookieHeader = headerText(headers.cookie);
      if (config.pii && config.cookies !== false && cookieHeader !== undefined) data.cookies = parseCookies(cookieHeader);
    }

    const env: Record<string, string> = {};
    if (config.pii) {
      const address = clientIp === undefined ? resolveWithConfig(req, config.resolution) : clientIp;
      if (typeof address === 'string') env.REMOTE_ADDR = address;
    }
    if (origin.host !== undefined) env.SERVER_NAME = origin.host.charCodeAt(0) === 91 ? origin.host.slice(1, -1) : origin.host;
    if (origin.port !== undefined) env.SERVER_PORT = origin.port;
    if (Object.keys(env).length > 0) data.env = env;
  } catch {
    // Never let an odd request object break event capture: return what was built so far.
  }
  return data;
}

/**
 * Builds Sentry's Request interface from a Node request: `method`, absolute `url` without the query, filtered
 * `query_string` and `headers` (credentials always `[Filtered]`), `cookies` (PII only) and
 * `env { REMOTE_ADDR (PII only), SERVER_NAME, SERVER_PORT }`. PII defaults to the initialised Sentry client's setting,
 * off without one. `REMOTE_ADDR` is `options.clientIp` when given,
 * otherwise resolved with the same options as `resolveClientIp`. Never throws for any request.
 *
 * @example
 * import { toSentryRequest } from 'sentry-request-user';
 * const request = toSentryRequest(req, { trustProxy: 'loopback', pii: true });
 * // request.env.REMOTE_ADDR is the trusted client address; Sentry backfills user.ip_address from it.
 * Sentry.captureException(err, (scope) => scope.addEventProcessor((event) => ({ ...event, request })));
 */
export function toSentryRequest(req: RequestLike, options?: ToSentryRequestOptions): RequestEventData {
  const parsed = parseCoreOptions(options, REQUEST_OPTION_NAMES);
  const clientIp = options?.clientIp;
  return buildRequestData(
    req,
    { pii: defaultPii(parsed.pii), resolution: clientIpResolutionFor(options, REQUEST_OPTION_NAMES) },
    typeof clientIp === 'string' ? (normalizeIp(clientIp) ?? null) : undefined,
  );
}

