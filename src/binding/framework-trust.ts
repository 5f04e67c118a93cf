import { normalizeIp } from '../ip/parse-ip.js';
import { compileTrust, trustNothing, trustsEveryAddress, type TrustPredicate } from '../ip/trust.js';
import type { FrameworkTrust } from './framework.js';

const trustEverything = (): boolean => true;
const expressSettings = new WeakMap<object, FrameworkTrust>();
let lastKoa: { proxy: unknown; maxIpsCount: unknown; proxyIpHeader: unknown; setting: FrameworkTrust } | undefined;

/** What Express's setting is read from: the request's app (`req.app`). */
export interface ExpressSettings {
  get(setting: string): unknown;
}

/**
 * Express's setting: its compiled `trust proxy fn` (proxy-addr semantics: the same hop numbers we use) and the raw
 * `trust proxy` value (read only when the function is new to us), to warn when it trusts every address.
 */
export function expressFrameworkTrust(app: ExpressSettings | undefined): FrameworkTrust {
  // Read per request when the response finishes: the compiled setting is cached per `trust proxy fn`, which Express
  // replaces whenever the setting changes.
  const trustFn = app?.get('trust proxy fn');
  const key = typeof trustFn === 'function' ? (trustFn as object) : undefined;
  const cached = key === undefined ? undefined : expressSettings.get(key);
  if (cached !== undefined) return cached;
  const setting: FrameworkTrust = {
    trust: typeof trustFn === 'function' ? trustOfExpressSetting(app?.get('trust proxy'), trustFn) : trustNothing,
    // `true`, or a list that covers every address (`'0.0.0.0/0,::/0'`): any client chooses its address.
    trustsEveryHop: trustsEveryAddress(app?.get('trust proxy')),
    everyHopFix: "Set app.set('trust proxy', N) with N the number of proxies in front of the app, or their addresses, instead of true.",
  };
  if (key !== undefined) expressSettings.set(key, setting);
  return setting;
}

/**
 * Express's setting as our own predicate where it is a hop count or a preset, address or range list (proxy-addr's
 * semantics, which ours follow: test/unit/express-trust.test.ts compares the answers with Express's,
 * test/unit/properties.test.ts with proxy-addr's): Express's compiled function parses
 * the address with ipaddr.js on every call, ~2 KB allocated per resolution (with tracing on, every request's segment
 * span). Anything else — a function, `true`, a value only proxy-addr parses — keeps Express's own function.
 */
function trustOfExpressSetting(value: unknown, trustFn: object): TrustPredicate {
  if (typeof value === 'number' || typeof value === 'string' || Array.isArray(value)) {
    try {
      return compileTrust(value, 'trust proxy');
    } catch {
      // Express accepted it (proxy-addr's netmask form, a fractional hop count, every address): its own function.
    }
  }
  return compileTrust(trustFn);
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

/** Fastify 5.12.1 dropped hop-count trust (a number trusts nothing there); Fastify 4 still has it. */
function fastifyHonoursHopCounts(version: unknown): boolean | undefined {
  const match = typeof version === 'string' ? /^(\d+)\.(\d+)\.(\d+)/.exec(version) : null;
  if (match === null) return undefined;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return major < 5 || (major === 5 && (minor < 12 || (minor === 12 && patch < 1)));
}

function compileOrUndefined(setting: unknown): FrameworkTrust | undefined {
  try {
    return { trust: compileTrust(setting, 'Fastify trustProxy'), trustsEveryHop: false };
  } catch {
    return undefined;
  }
}

/**
 * Fastify's `trustProxy` option, compiled once per app with Fastify's meanings: addresses, CIDR ranges and presets as
 * a comma list or an array (proxy-addr's forms, which are ours), a function (called with the normalised address and
 * the hop), `true` (every hop, warned about), and a hop count where the installed Fastify still honours one
 * (`version` is `fastify.version`). `undefined` where we cannot be sure to match Fastify (a setting our parser does
 * not take, an unknown version): the adapter then asks Fastify per request, {@link fastifyTrustFromIps}.
 */
export function fastifyFrameworkTrust(setting: unknown, version: unknown): FrameworkTrust | undefined {
  if (setting === undefined || setting === null || setting === false || setting === 0 || setting === '') return NO_FRAMEWORK_TRUST;
  if (trustsEveryAddress(setting)) return { trust: trustEverything, trustsEveryHop: true, everyHopFix: FASTIFY_EVERY_HOP_FIX };
  if (typeof setting === 'number') {
    const hopCounts = fastifyHonoursHopCounts(version);
    if (hopCounts === undefined) return undefined;
    return hopCounts ? compileOrUndefined(setting) : NO_FRAMEWORK_TRUST;
  }
  if (typeof setting === 'string') return compileOrUndefined(setting.split(',').map((entry) => entry.trim()));
  if (Array.isArray(setting) || typeof setting === 'function') return compileOrUndefined(setting);
  return undefined;
}

/**
 * Fastify's verdict on one request, where its setting could not be compiled here. Fastify keeps its compiled trust
 * function private but publishes the result: `request.ips` is the peer followed by the X-Forwarded-For entries, right
 * to left, cut after the first hop it does not trust (proxy-addr's `all`). So hop N is trusted exactly when Fastify
 * moved past it (N < ips.length - 1), and only for the very address Fastify saw there; nothing is trusted where
 * Fastify did not look (no X-Forwarded-For, another list header). Allocates per call: the fallback, not the rule.
 */
export function fastifyTrustFromIps(ips: unknown): FrameworkTrust {
  if (!Array.isArray(ips) || ips.length < 2) return NO_FRAMEWORK_TRUST;
  const trusted: (string | undefined)[] = [];
  for (let hop = 0; hop < ips.length - 1; hop++) trusted.push(normalizeIp(ips[hop]));
  return { trust: (address, hop) => hop < trusted.length && trusted[hop] === address, trustsEveryHop: false };
}
