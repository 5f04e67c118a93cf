import { trimmed } from '../util/trim.js';

/**
 * A parsed address. IPv4 is kept as an unsigned 32-bit number and IPv6 as eight 16-bit groups, so that range checks
 * are integer comparisons instead of string work.
 */
export type ParsedIp =
  | { readonly kind: 4; readonly value: number; text?: string }
  | { readonly kind: 6; readonly groups: readonly number[]; text?: string };

/** No real address form (bracketed IPv6 with zone id and port) is longer; anything longer is rejected unread. */
const MAX_ADDRESS_LENGTH = 64;

const CODE_0 = 48;
const CODE_9 = 57;

/**
 * Parses a dotted-quad IPv4 address strictly: four decimal octets, no leading zeros, no other characters.
 * Leading zeros are refused because some parsers read them as octal, so `010.0.0.1` means different hosts to
 * different programs.
 */
export function parseIPv4(text: string): number | undefined {
  const length = text.length;
  if (length < 7 || length > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= CODE_0 && code <= CODE_9) {
      if (digits === 1 && octet === 0) return undefined;
      octet = octet * 10 + (code - CODE_0);
      digits++;
      if (octet > 255) return undefined;
    } else if (code === 46 /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || dots !== 3) return undefined;
  return value * 256 + octet;
}


function hexDigit(code: number): number {
  if (code >= CODE_0 && code <= CODE_9) return code - CODE_0;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * Parses an IPv6 address without brackets, zone id or port; accepts `::` compression and a dotted IPv4 tail.
 * One pass over the characters, no splitting: this runs on every forwarded hop.
 */
function parseIPv6(text: string): number[] | undefined {
  const length = text.length;
  if (length < 2 || length > 45) return undefined;
  const groups: number[] = [];
  let compressAt = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58 /* : */) {
    if (text.charCodeAt(1) !== 58) return undefined;
    compressAt = 0;
    i = 2;
  }
  while (i < length) {
    const start = i;
    let value = 0;
    let digits = 0;
    let digit: number;
    while (i < length && (digit = hexDigit(text.charCodeAt(i))) !== -1) {
      value = value * 16 + digit;
      digits++;
      i++;
    }
    if (i < length && text.charCodeAt(i) === 46 /* . */) {
      if (groups.length > 6) return undefined;
      const v4 = parseIPv4(text.slice(start));
      if (v4 === undefined) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
      i = length;
      break;
    }
    if (digits === 0 || digits > 4 || groups.length === 8) return undefined;
    groups.push(value);
    if (i === length) break;
    if (text.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < length && text.charCodeAt(i) === 58) {
      if (compressAt !== -1) return undefined;
      compressAt = groups.length;
      i++;
    } else if (i === length) {
      return undefined;
    }
  }
  if (compressAt === -1) return groups.length === 8 ? groups : undefined;
  if (groups.length > 7) return undefined;
  const result = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let j = 0; j < compressAt; j++) result[j] = groups[j] as number;
  const tail = groups.length - compressAt;
  for (let j = 0; j < tail; j++) result[8 - tail + j] = groups[compressAt + j] as number;
  return result;
}

function isValidPort(text: string): boolean {
  if (text.length === 0 || text.length > 5) return false;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < CODE_0 || code > CODE_9) return false;
    value = value * 10 + (code - CODE_0);
  }
  return value <= 65535;
}

function isIPv4Mapped(groups: readonly number[]): boolean {
  return groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff;
}

/**
 * Reads an address as it appears on a socket or in a proxy header: IPv4, IPv4:port, IPv6, [IPv6], [IPv6]:port, with
 * an optional zone id. Returns undefined for anything else, including the unspecified addresses `0.0.0.0` and `::`,
 * which no client can have.
 */
export function parseIpAddress(input: string): ParsedIp | undefined {
  const cached = recentAddresses.get(input);
  if (cached !== undefined) return cached;
  const parsed = parseUncached(input);
  if (parsed !== undefined) {
    // Clear rather than evict one by one: simple, and a flood of distinct addresses costs one rebuild per 512.
    if (recentAddresses.size >= RECENT_ADDRESS_LIMIT) recentAddresses.clear();
    recentAddresses.set(input, parsed);
  }
  return parsed;
}

/**
 * The same few addresses (your proxies, returning clients) arrive again and again, so parsed addresses are kept in a
 * small bounded map. Only valid addresses are kept, and entries are immutable once their text is computed.
 */
const RECENT_ADDRESS_LIMIT = 512;
const recentAddresses = new Map<string, ParsedIp>();

/**
 * Reads the base address of a CIDR range, where the unspecified addresses are legitimate (`0.0.0.0/0`, `::/0`,
 * `::ffff:0.0.0.0/96`). Not cached: it runs at configuration time only.
 */
export function parseRangeBase(input: string): ParsedIp | undefined {
  return parseUncached(input, true);
}

function parseUncached(input: string, allowUnspecified = false): ParsedIp | undefined {
  let text = input.length > MAX_ADDRESS_LENGTH ? '' : trimmed(input);
  if (text === '') return undefined;
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']');
    if (close === -1) return undefined;
    const rest = text.slice(close + 1);
    if (rest !== '' && !(rest.charCodeAt(0) === 58 /* : */ && isValidPort(rest.slice(1)))) return undefined;
    text = text.slice(1, close);
    if (!text.includes(':')) return undefined;
  } else {
    const firstColon = text.indexOf(':');
    if (firstColon !== -1 && firstColon === text.lastIndexOf(':')) {
      // Exactly one colon can only be IPv4 with a port: IPv6 always has at least two.
      if (!isValidPort(text.slice(firstColon + 1))) return undefined;
      text = text.slice(0, firstColon);
    }
  }
  const zone = text.indexOf('%');
  if (zone !== -1) {
    if (zone === text.length - 1 || !text.includes(':')) return undefined;
    text = text.slice(0, zone);
  }
  if (!text.includes(':')) {
    const value = parseIPv4(text);
    // parseIPv4 accepts only the canonical dotted form, so the text is already what formatIp would write.
    return value === undefined || (value === 0 && !allowUnspecified) ? undefined : { kind: 4, value, text };
  }
  const groups = parseIPv6(text);
  if (groups === undefined) return undefined;
  if (isIPv4Mapped(groups)) {
    const value = (groups[6] as number) * 65536 + (groups[7] as number);
    return value === 0 && !allowUnspecified ? undefined : { kind: 4, value };
  }
  if (!allowUnspecified && groups.every((group) => group === 0)) return undefined;
  return { kind: 6, groups };
}

/** Writes a parsed address in its canonical form: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: ParsedIp): string {
  if (ip.text !== undefined) return ip.text;
  const text = formatUncached(ip);
  ip.text = text;
  return text;
}

function formatUncached(ip: ParsedIp): string {
  if (ip.kind === 4) {
    const v = ip.value;
    return `${Math.floor(v / 16777216)}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
  }
  const groups = ip.groups;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    text += (groups[i] as number).toString(16);
    if (i < 7) text += ':';
  }
  return text;
}

/**
 * The canonical text of an address, or undefined when the input is not a usable client address.
 *
 * @example
 * normalizeIp('[2001:DB8::1]:443'); // '2001:db8::1'
 * normalizeIp('::ffff:203.0.113.9'); // '203.0.113.9'
 * normalizeIp('unknown'); // undefined
 */
export function normalizeIp(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const parsed = parseIpAddress(input);
  return parsed === undefined ? undefined : formatIp(parsed);
}
