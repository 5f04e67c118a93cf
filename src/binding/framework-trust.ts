import { normalizeIp } from '../ip/parse-ip.js';
import { compileTrust, trustNothing, trustsEveryAddress } from '../ip/trust.js';
import type { FrameworkTrust } from './framework.js';

const trustEverything = (): boolean => true;
const expressSettings = new WeakMap<object, FrameworkTrust>();
let lastKoa: { proxy: unknown; maxIpsCount: unknown; proxyIpHeader: unknown; setting: FrameworkTrust } | undefined;

/**
 * Express's setting: its compiled `trust proxy fn` (proxy-addr semantics: the same hop numbers we use) and the raw
 * `trust proxy` value, to warn when it trusts every address.
 */
export function expressFrameworkTrust(trustFn: unknown, rawSetting: unknown): FrameworkTrust {
  // Read per request when the response closes: the compiled setting is cached per `trust proxy fn`, which Express
  // replaces whenever the setting changes.
  const key = typeof trustFn === 'function' ? (trustFn as object) : undefined;
  const cached = key === undefined ? undefined : expressSettings.get(key);
  if (cached !== undefined) return cached;
  const setting: FrameworkTrust = {
    trust: typeof trustFn === 'function' ? compileTrust(trustFn) : trustNothing,
    // `true`, or a list that covers every address (`'0.0.0.0/0,::/0'`): any client chooses its address.
    trustsEveryHop: trustsEveryAddress(rawSetting),
    everyHopFix: "Set app.set('trust proxy', N) with N the number of proxies in front of the app, or their addresses, instead of true.",
  };
  if (key !== undefined) expressSettings.set(key, setting);
  return setting;
}

/**
 * Koa's setting: `app.proxy` turns X-Forwarded-For on; `maxIpsCount` N keeps the last N entries, which is exactly
 * "trust N hops"; without it Koa believes the whole header.
 */
export function koaFrameworkTrust(proxy: unknown, maxIpsCount: unknown, proxyIpHeader: unknown): FrameworkTrust {
  // One-entry cache: an app's settings rarely change, and this runs once per request.
  if (lastKoa !== undefined && lastKoa.proxy === proxy && lastKoa.maxIpsCount === maxIpsCount && lastKoa.proxyIpHeader === proxyIpHeader) {
    return lastKoa.setting;
  }
  const setting = compileKoaTrust(proxy, maxIpsCount, proxyIpHeader);
  lastKoa = { proxy, maxIpsCount, proxyIpHeader, setting };
  return setting;
}

function compileKoaTrust(proxy: unknown, maxIpsCount: unknown, proxyIpHeader: unknown): FrameworkTrust {
  const forwardedHeader = typeof proxyIpHeader === 'string' && proxyIpHeader !== '' ? proxyIpHeader.toLowerCase() : 'x-forwarded-for';
  if (proxy !== true) return { trust: trustNothing, trustsEveryHop: false, forwardedHeader };
  if (typeof maxIpsCount === 'number' && Number.isInteger(maxIpsCount) && maxIpsCount > 0) {
    return { trust: compileTrust(maxIpsCount), trustsEveryHop: false, forwardedHeader };
  }
  return {
    trust: trustEverything,
    trustsEveryHop: true,
    forwardedHeader,
    everyHopFix: 'Set app.maxIpsCount to the number of proxies in front of the app.',
  };
}

/** For frameworks without a proxy setting (Hono): only the `trustProxy` option makes a peer a proxy. */
export const NO_FRAMEWORK_TRUST: FrameworkTrust = Object.freeze({ trust: trustNothing, trustsEveryHop: false });

const FASTIFY_EVERY_HOP_FIX =
  "Set Fastify's trustProxy to your proxies' addresses or CIDR ranges (e.g. trustProxy: '10.0.0.0/8'), instead of true.";

/**
 * Fastify's setting, as Fastify itself applied it to this request. Fastify keeps its compiled trust function private,
 * but publishes its verdict: `request.ips` is the peer followed by the X-Forwarded-For entries, right to left, cut
 * after the first hop it does not trust (proxy-addr's `all`). So hop N is trusted exactly when Fastify checked it and
 * moved past it: N < ips.length - 1, and only for the very address Fastify saw there. This follows whatever the
 * installed Fastify means by its option (hop counts were dropped in 5.12.1; functions get raw addresses), and it
 * trusts nothing where Fastify did not look (no X-Forwarded-For, or a different list header).
 *
 * `rawSetting` is the app's option as given, when it could be read, only to warn about `true` (or a list covering
 * every address).
 */
export function fastifyFrameworkTrust(ips: unknown, rawSetting: unknown): FrameworkTrust {
  const trustsEveryHop = trustsEveryAddress(rawSetting);
  if (!Array.isArray(ips) || ips.length < 2) return { trust: trustNothing, trustsEveryHop, everyHopFix: FASTIFY_EVERY_HOP_FIX };
  const trusted: (string | undefined)[] = [];
  for (let hop = 0; hop < ips.length - 1; hop++) trusted.push(normalizeIp(ips[hop]));
  return {
    trust: (address, hop) => hop < trusted.length && trusted[hop] === address,
    trustsEveryHop,
    everyHopFix: FASTIFY_EVERY_HOP_FIX,
  };
}
