import { suggestName } from '../options/suggest.js';
import { parseIPv4, parseRangeBase, type ParsedIp } from './parse-ip.js';

/**
 * Which peers are our own proxies, in the forms Express's `trust proxy` accepts (except `true`).
 * A function gets the normalised address and its hop number: 0 is the socket peer, 1 the nearest header entry, …
 */
export type TrustProxy = false | number | string | readonly string[] | ((address: string, hop: number) => boolean);

/** The compiled form: called only with addresses that already parsed. */
export type TrustPredicate = (address: string, hop: number, parsed: ParsedIp) => boolean;

type Range = { kind: 4; base: number; prefix: number } | { kind: 6; groups: readonly number[]; prefix: number };

/** The same presets as Express / proxy-addr, so a setting means the same thing here as there. */
const PRESETS: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** The one message for every setting that trusts every address: `true`, `'0.0.0.0/0, ::/0'`, `'::/0'`, … */
function trustsEveryoneMessage(optionName: string, shown: string): string {
  return (
    `sentry-request-user: ${optionName}: ${shown} would trust every hop, so any client could choose its own address ` +
    'by sending X-Forwarded-For. Pass the number of proxies in front of the app (e.g. trustProxy: 1) or their ' +
    "addresses (e.g. trustProxy: 'loopback' or ['10.0.0.0/8'])."
  );
}

export const trustNothing: TrustPredicate = () => false;

/** Turns a `trustProxy` option into a predicate, once; throws a TypeError that says the fix for a bad value. */
export function compileTrust(trustProxy: unknown, optionName = 'trustProxy'): TrustPredicate {
  if (trustProxy === undefined || trustProxy === false) return trustNothing;
  if (trustProxy === true) throw new TypeError(trustsEveryoneMessage(optionName, 'true'));
  if (typeof trustProxy === 'number') {
    if (!Number.isInteger(trustProxy) || trustProxy < 0) {
      throw new TypeError(
        `sentry-request-user: ${optionName} must be a whole number of proxy hops (0 or more), got ${String(trustProxy)}.`,
      );
    }
    const hops = trustProxy;
    return (_address, hop) => hop < hops;
  }
  if (typeof trustProxy === 'function') {
    const userTrust = trustProxy as (address: string, hop: number) => unknown;
    return (address, hop) => {
      try {
        return userTrust(address, hop) === true;
      } catch {
        // A throwing trust function must not break a request: an address we cannot vouch for is not trusted.
        return false;
      }
    };
  }
  if (typeof trustProxy === 'string' || Array.isArray(trustProxy)) {
    const ranges = parseRangeList(trustProxy, optionName);
    if (coversEveryAddress(ranges)) throw new TypeError(trustsEveryoneMessage(optionName, JSON.stringify(trustProxy)));
    return compileRanges(ranges);
  }
  throw new TypeError(
    `sentry-request-user: ${optionName} must be false, a hop count, an address/CIDR/preset string or array, or a function; got ${typeof trustProxy}.`,
  );
}

/** A comma list or array of addresses, CIDR ranges and presets, as ranges (IPv6 ranges over mapped IPv4 widened). */
function parseRangeList(list: string | readonly unknown[], optionName: string): Range[] {
  const entries = typeof list === 'string' ? list.split(',') : list;
  const ranges: Range[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      throw new TypeError(`sentry-request-user: ${optionName} entries must be strings (addresses, CIDR ranges or presets), got ${typeof entry}.`);
    }
    const name = entry.trim();
    if (name === '') continue;
    const preset = PRESETS[name];
    if (preset) ranges.push(...preset.map((range) => parseRange(range, optionName)));
    else ranges.push(parseRange(name, optionName));
  }
  return withMappedIPv4(ranges);
}

/**
 * True when a trust setting in Express / proxy-addr form trusts every address: `true`, or address lists that cover
 * both families (`'0.0.0.0/0, ::/0'`, `'::/0'`, …). For the adapters' warning about a framework's own setting; a
 * setting that does not parse is not judged here (false).
 */
export function trustsEveryAddress(setting: unknown): boolean {
  if (setting === true) return true;
  if (typeof setting !== 'string' && !Array.isArray(setting)) return false;
  try {
    return coversEveryAddress(parseRangeList(setting, 'trust'));
  } catch {
    return false;
  }
}

function parseRange(text: string, optionName: string): Range {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const maskText = slash === -1 ? undefined : text.slice(slash + 1);
  const address = parseRangeBase(addressText);
  const colon = addressText.indexOf(':');
  const hasPortOrZone = addressText.includes('[') || addressText.includes('%') || (colon !== -1 && colon === addressText.lastIndexOf(':'));
  if (address === undefined || hasPortOrZone) {
    const suggestion = suggestName(text, Object.keys(PRESETS));
    throw new TypeError(
      `sentry-request-user: ${optionName} entry ${JSON.stringify(text)} is not an IP address, a CIDR range or one of the presets ` +
        `${Object.keys(PRESETS).join(', ')}${suggestion ? ` (did you mean '${suggestion}'?)` : ''}.`,
    );
  }
  // A mapped IPv4 base (`::ffff:10.0.0.0/104`) is written with an IPv6 prefix.
  const maxPrefix = address.kind === 4 && !addressText.includes(':') ? 32 : 128;
  let prefix = maxPrefix;
  if (maskText !== undefined) {
    if (/^\d{1,3}$/.test(maskText)) {
      prefix = Number(maskText);
    } else if (address.kind === 4 && parseIPv4(maskText) !== undefined) {
      prefix = netmaskToPrefix(parseIPv4(maskText) as number) ?? -1;
    } else {
      prefix = -1;
    }
    if (prefix < 0 || prefix > maxPrefix) {
      throw new TypeError(
        `sentry-request-user: ${optionName} entry ${JSON.stringify(text)} has an invalid prefix; use /0 to /${maxPrefix}` +
          `${maxPrefix === 32 ? ' or a contiguous netmask like 255.255.0.0' : ''}.`,
      );
    }
  }
  if (address.kind === 4) {
    // parseIpAddress already turned an IPv4-mapped IPv6 base into IPv4; its prefix counts from bit 96.
    if (addressText.includes(':') && maskText !== undefined) {
      prefix -= 96;
      if (prefix < 0) {
        throw new TypeError(`sentry-request-user: ${optionName} entry ${JSON.stringify(text)}: an IPv4-mapped range needs a prefix of /96 or more.`);
      }
    }
    return { kind: 4, base: maskIPv4(address.value, prefix), prefix };
  }
  return { kind: 6, groups: address.groups, prefix };
}

function netmaskToPrefix(mask: number): number | undefined {
  for (let prefix = 0; prefix <= 32; prefix++) {
    if (maskIPv4(0xffffffff, prefix) === mask) return prefix;
  }
  return undefined;
}

function maskIPv4(value: number, prefix: number): number {
  if (prefix === 0) return 0;
  return ((value >>> (32 - prefix)) << (32 - prefix)) >>> 0;
}

function matchesIPv6(groups: readonly number[], range: readonly number[], prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; i < 8 && bits > 0; i++) {
    const take = bits >= 16 ? 16 : bits;
    const shift = 16 - take;
    if ((groups[i] as number) >>> shift !== (range[i] as number) >>> shift) return false;
    bits -= take;
  }
  return true;
}

/** `::ffff:0:0/96`: where IPv4 lives inside IPv6. IPv4 clients are matched as IPv4, so ranges here need translating. */
const MAPPED_IPV4_GROUPS: readonly number[] = [0, 0, 0, 0, 0, 0xffff, 0, 0];

/**
 * An IPv6 range that contains the whole IPv4-mapped block (`::/0`, `::/1`, `::ffff:0:0/96`) also trusts every IPv4
 * client, as it does in Express (proxy-addr compares an IPv4 address with an IPv6 range in its mapped form). Parsed
 * addresses are IPv4 whenever they are mapped, so that coverage is added as the IPv4 range `0.0.0.0/0`.
 */
function withMappedIPv4(ranges: readonly Range[]): Range[] {
  const result = [...ranges];
  for (const range of ranges) {
    if (range.kind === 6 && range.prefix <= 96 && matchesIPv6(MAPPED_IPV4_GROUPS, range.groups, range.prefix)) {
      result.push({ kind: 4, base: 0, prefix: 0 });
      break;
    }
  }
  return result;
}

/** True when the union of the ranges is every address clients can have, IPv4 and IPv6: the same as `true`. */
function coversEveryAddress(ranges: readonly Range[]): boolean {
  const v4: [bigint, bigint][] = [];
  // The mapped block counts as covered on the IPv6 side: its addresses are matched as IPv4.
  const v6: [bigint, bigint][] = [[0xffffn << 32n, (0xffffn << 32n) + (1n << 32n)]];
  for (const range of ranges) {
    if (range.kind === 4) {
      const start = BigInt(range.base);
      v4.push([start, start + (1n << BigInt(32 - range.prefix))]);
    } else {
      let start = 0n;
      for (const group of range.groups) start = (start << 16n) | BigInt(group);
      const size = 1n << BigInt(128 - range.prefix);
      start -= start % size;
      v6.push([start, start + size]);
    }
  }
  return coversWhole(v4, 1n << 32n) && coversWhole(v6, 1n << 128n);
}

function coversWhole(intervals: [bigint, bigint][], end: bigint): boolean {
  intervals.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let reached = 0n;
  for (const [start, stop] of intervals) {
    if (start > reached) return false;
    if (stop > reached) reached = stop;
  }
  return reached >= end;
}

function compileRanges(ranges: readonly Range[]): TrustPredicate {
  if (ranges.length === 0) return trustNothing;
  const v4 = ranges.filter((range): range is Extract<Range, { kind: 4 }> => range.kind === 4);
  const v6 = ranges.filter((range): range is Extract<Range, { kind: 6 }> => range.kind === 6);
  return (_address, _hop, parsed) => {
    if (parsed.kind === 4) {
      const value = parsed.value;
      for (const range of v4) if (maskIPv4(value, range.prefix) === range.base) return true;
      return false;
    }
    for (const range of v6) if (matchesIPv6(parsed.groups, range.groups, range.prefix)) return true;
    return false;
  };
}
