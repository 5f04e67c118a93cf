import { compileTrust, trustNothing } from '../ip/trust.js';
import type { FrameworkTrust } from './framework.js';

const trustEverything = (): boolean => true;

/**
 * Express's setting: its compiled `trust proxy fn` (proxy-addr semantics: the same hop numbers we use) and the raw
 * `trust proxy` value, to warn when it is `true`.
 */
export function expressFrameworkTrust(trustFn: unknown, rawSetting: unknown): FrameworkTrust {
  return {
    trust: typeof trustFn === 'function' ? compileTrust(trustFn) : trustNothing,
    trustsEveryHop: rawSetting === true,
    everyHopFix: "Set app.set('trust proxy', N) with N the number of proxies in front of the app, or their addresses, instead of true.",
  };
}

/**
 * Koa's setting: `app.proxy` turns X-Forwarded-For on; `maxIpsCount` N keeps the last N entries, which is exactly
 * "trust N hops"; without it Koa believes the whole header.
 */
export function koaFrameworkTrust(proxy: unknown, maxIpsCount: unknown, proxyIpHeader: unknown): FrameworkTrust {
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
