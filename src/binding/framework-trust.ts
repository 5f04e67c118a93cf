import { compileTrust, trustNothing } from '../ip/trust.js';
import type { FrameworkTrust } from './framework.js';

const trustEverything = (): boolean => true;
const expressSettings = new WeakMap<object, FrameworkTrust>();
let lastKoa: { proxy: unknown; maxIpsCount: unknown; proxyIpHeader: unknown; setting: FrameworkTrust } | undefined;

/**
 * Express's setting: its compiled `trust proxy fn` (proxy-addr semantics: the same hop numbers we use) and the raw
 * `trust proxy` value, to warn when it is `true`.
 */
export function expressFrameworkTrust(trustFn: unknown, rawSetting: unknown): FrameworkTrust {
  // Read per request when the response closes: the compiled setting is cached per `trust proxy fn`, which Express
  // replaces whenever the setting changes.
  const key = typeof trustFn === 'function' ? (trustFn as object) : undefined;
  const cached = key === undefined ? undefined : expressSettings.get(key);
  if (cached !== undefined && cached.trustsEveryHop === (rawSetting === true)) return cached;
  const setting: FrameworkTrust = {
    trust: typeof trustFn === 'function' ? compileTrust(trustFn) : trustNothing,
    trustsEveryHop: rawSetting === true,
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
  const listHeader = typeof proxyIpHeader === 'string' && proxyIpHeader !== '' ? proxyIpHeader.toLowerCase() : 'x-forwarded-for';
  if (proxy !== true) return { trust: trustNothing, trustsEveryHop: false, listHeader };
  if (typeof maxIpsCount === 'number' && Number.isInteger(maxIpsCount) && maxIpsCount > 0) {
    return { trust: compileTrust(maxIpsCount), trustsEveryHop: false, listHeader };
  }
  return {
    trust: trustEverything,
    trustsEveryHop: true,
    listHeader,
    everyHopFix: 'Set app.maxIpsCount to the number of proxies in front of the app.',
  };
}
