import type { ClientShape, CollectBehaviorShape, DataCollectionShape } from './sdk-shapes.js';

/**
 * What the application lets the SDK collect, as far as this package is concerned. Each switch is a ceiling: a
 * category that is off is never added by us, whatever our own options say.
 */
export interface DataCeiling {
  /** User data (and so the client address): the client's resolved `userInfo`, else `sendDefaultPii`. */
  readonly userInfo: boolean;
  /** The app turned user data off explicitly (`dataCollection.userInfo: false`, `sendDefaultPii: false`): `pii: true` cannot widen past it. */
  readonly userInfoSwitchedOff: boolean;
  /** Request headers. */
  readonly headers: boolean;
  readonly cookies: boolean;
  /** The URL's query string (`urlQueryParams` in 11, `queryParams` in late 10.x). */
  readonly query: boolean;
}

/** A client whose options cannot be read: privacy first, nothing is added. */
const NOTHING_ALLOWED: DataCeiling = { userInfo: false, userInfoSwitchedOff: true, headers: false, cookies: false, query: false };

/**
 * Only a plain `true` lets us add a category ourselves: an allow or deny list means the app chose item by item, and
 * the SDK applied that choice to what it collected; we add nothing on top.
 */
function allows(behavior: CollectBehaviorShape | undefined, byDefault: boolean): boolean {
  return behavior === undefined ? byDefault : behavior === true;
}

function requestHeadersBehavior(httpHeaders: DataCollectionShape['httpHeaders']): CollectBehaviorShape | undefined {
  if (httpHeaders === undefined || typeof httpHeaders === 'boolean') return httpHeaders;
  if ('allow' in httpHeaders || 'deny' in httpHeaders) return httpHeaders;
  return (httpHeaders as { request?: CollectBehaviorShape }).request;
}

const cache = new WeakMap<object, DataCeiling>();

/**
 * The client's data-collection ceiling, read once per client (options are fixed at `Sentry.init`). Uses the SDK's
 * resolved settings where it has them (`getDataCollectionOptions()`, 11 and late 10.x), else the raw options.
 * Anything unreadable counts as "off": privacy first.
 */
export function dataCeilingOf(client: ClientShape): DataCeiling {
  const cached = cache.get(client);
  if (cached !== undefined) return cached;
  let ceiling: DataCeiling;
  try {
    const options = client.getOptions() ?? {};
    const resolved = typeof client.getDataCollectionOptions === 'function' ? client.getDataCollectionOptions() : undefined;
    const collection: DataCollectionShape | undefined = resolved ?? options.dataCollection;
    if (collection !== undefined && collection !== null && typeof collection === 'object') {
      // The app's own switch: `dataCollection.userInfo` where it set one, else an explicit `sendDefaultPii: false`
      // (@sentry/node 11 ignores it and defaults `userInfo` to on, but a set-up left from 10.x still says "no user
      // data", and we never add what the app switched off). From the raw options: late 10.x resolves an unset
      // sendDefaultPii to userInfo false, which is a default, not the app's choice.
      const ownSwitch = options.dataCollection?.userInfo;
      const switchedOff = typeof ownSwitch === 'boolean' ? !ownSwitch : options.sendDefaultPii === false;
      const resolvedUserInfo = typeof collection.userInfo === 'boolean' ? collection.userInfo : options.sendDefaultPii === true;
      ceiling = {
        userInfo: resolvedUserInfo && !switchedOff,
        userInfoSwitchedOff: switchedOff,
        headers: allows(requestHeadersBehavior(collection.httpHeaders), true),
        cookies: allows(collection.cookies, true),
        query: allows(collection.urlQueryParams ?? collection.queryParams, true),
      };
    } else {
      ceiling = {
        userInfo: options.sendDefaultPii === true,
        userInfoSwitchedOff: options.sendDefaultPii === false,
        headers: true,
        cookies: true,
        query: true,
      };
    }
  } catch {
    ceiling = NOTHING_ALLOWED;
  }
  cache.set(client, ceiling);
  return ceiling;
}

/**
 * Whether our user fields and `REMOTE_ADDR` are sent: the `pii` option where given, within the ceiling; else the
 * client's setting.
 */
export function userInfoAllowed(option: boolean | undefined, ceiling: DataCeiling): boolean {
  if (option === undefined) return ceiling.userInfo;
  return option && !ceiling.userInfoSwitchedOff;
}
