import { normalizeIp } from '../ip/parse-ip.js';
import { trustNothing } from '../ip/trust.js';
import type { ParsedOptions } from '../options/parse-options.js';
import { appearsInAddressHeaders, removeAddressAttributes } from '../request/address-headers.js';
import { buildRequestData, filterEventCookies, filterEventHeaders } from '../request/to-sentry-request.js';
import { resolveWithConfig, type ClientIpResolution } from '../resolve-client-ip.js';
import type { RequestLike } from '../request-like.js';
import type { RequestEventData, User } from '../sentry-types.js';
import { dataCeilingOf, userInfoAllowed, type DataCeiling } from '../sentry/data-collection.js';
import type { ClientShape, SentryEventShape, SpanJsonShape } from '../sentry/sdk-shapes.js';
import { mapPrincipal, sanitizeUser, type UserMappingConfig } from '../user/to-sentry-user.js';
import type { FrameworkAccess, FrameworkTrust } from './framework.js';
import { PrincipalReader } from './principal-reader.js';

/** How much of the request a fill reads: all of it, only what the trusted address is resolved from, or nothing. */
export type RequestNeed = 'whole' | 'address' | 'none';

/** What one captured item knows about its request, live or after the request let go of its framework object. */
export interface RequestFacts {
  /** The principal (a promise only between capture and fill, for an async `getUser`). */
  readonly principal: unknown;
  /** The request to read headers, peer, method and URL from; `undefined` when nothing is left of it. */
  readonly request: RequestLike | undefined;
  readonly resolution: ClientIpResolution;
  /** What `mapUser` gets as its second argument. */
  readonly mapUserArgument: unknown;
}

/**
 * Event-time work of one middleware instance: principal → User, the trusted address, the Request interface, all
 * under the app's privacy ceiling. Nothing here runs per request.
 */
export class EventFiller<Target> {
  private warnedEveryHop = false;
  /** How a kept principal is mapped: the user data setting of the client last tied under (`noteClient`). */
  private keptMapping: UserMappingConfig;
  /** With `trustProxy` given, the resolution does not depend on the framework: built once. */
  private readonly optionResolution: ClientIpResolution | undefined;
  private readonly resolutionBySetting = new WeakMap<FrameworkTrust, ClientIpResolution>();
  private lastSetting: FrameworkTrust | undefined;
  private lastResolution: ClientIpResolution | undefined;

  /** Where the principal comes from. */
  readonly reader: PrincipalReader<Target>;
  /** `mapUser` gets the framework object, so only then does a pending event keep it. */
  readonly hasMapUser: boolean;

  constructor(
    private readonly options: ParsedOptions,
    readonly framework: FrameworkAccess<Target>,
  ) {
    this.reader = new PrincipalReader(options, framework);
    this.hasMapUser = options.mapUser !== undefined;
    // Every field until a client is known (no tie is made before one is).
    this.keptMapping = { pii: true, extraKeys: options.extraKeys };
    this.optionResolution =
      options.trust === undefined
        ? undefined
        : { trust: options.trust, forwardedHeader: options.forwardedHeader ?? 'x-forwarded-for', clientIpHeader: options.clientIpHeader };
  }

  /** The trust resolution for a request: the `trustProxy` option, else the framework's setting (cached per setting). */
  resolutionFor(target: Target): ClientIpResolution {
    if (this.optionResolution !== undefined) return this.optionResolution;
    let setting: FrameworkTrust;
    try {
      setting = this.framework.frameworkTrust(target);
    } catch {
      setting = { trust: trustNothing, trustsEveryHop: false };
    }
    // Per request when a response finishes: the last setting first (one app per middleware), then the WeakMap.
    if (setting === this.lastSetting && this.lastResolution !== undefined) return this.lastResolution;
    const cached = this.resolutionBySetting.get(setting);
    if (cached !== undefined) {
      this.lastSetting = setting;
      this.lastResolution = cached;
      return cached;
    }
    if (setting.trustsEveryHop && !this.warnedEveryHop) {
      this.warnedEveryHop = true;
      console.warn(
        `sentry-request-user: the ${this.framework.name} app trusts every proxy hop, so any client can choose the address ` +
          `Sentry records by sending X-Forwarded-For. ${setting.everyHopFix ?? ''} Or pass trustProxy to sentryUser(). (Warned once.)`,
      );
    }
    const resolution: ClientIpResolution = {
      trust: setting.trust,
      forwardedHeader: this.options.forwardedHeader ?? setting.forwardedHeader ?? 'x-forwarded-for',
      clientIpHeader: this.options.clientIpHeader,
    };
    this.resolutionBySetting.set(setting, resolution);
    return resolution;
  }

  /** Our user fields and REMOTE_ADDR: the `pii` option within the app's ceiling, else the client's setting. */
  piiFor(ceiling: DataCeiling): boolean {
    return userInfoAllowed(this.options.pii, ceiling);
  }

  /**
   * What a tie keeps of a principal once its request ended. Without `mapUser`, the User it maps to under the user data
   * setting of the client (`noteClient`; mapped again at fill time with that setting or a narrower one, it gives the
   * same User, pinned in test/unit/properties.test.ts) instead of the app's object: the SDK keeps the request's scope, and so the tie,
   * ≥ 500 ms after the response (@sentry/node 11 with tracing), and a `req.user` loaded per request (an ORM entity, a
   * session's user record) would live and be promoted with it. `mapUser` gets the app's object, so it is kept there.
   */
  keptPrincipal(principal: unknown): unknown {
    if (this.options.mapUser !== undefined) return principal;
    return mapPrincipal(principal, this.keptMapping);
  }

  /**
   * The client requests are now tied under: a kept User holds only the fields its setting lets us send, so an app
   * that switched user data off has no email or username held for it either. With more than one client (rare), the
   * last one's setting: a request finished under a client that allows more then keeps less (its later events lose
   * username and email, never gain them).
   */
  noteClient(client: ClientShape): void {
    this.keptMapping = { pii: this.piiFor(dataCeilingOf(client)), extraKeys: this.options.extraKeys };
  }

  /**
   * Whether two principals (one may be a kept User) name the same user. Without `mapUser`: they map to the same User
   * under the kept setting, which is what would be sent for either (a kept User maps to itself); two that map to
   * nothing are the same, as nothing would be sent. With `mapUser` both are the app's objects: every field it might
   * read counts (mapped with user data on, else their own values).
   */
  sameKeptUser(a: unknown, b: unknown): boolean {
    if (Object.is(a, b)) return true;
    if (this.options.mapUser === undefined) {
      return JSON.stringify(mapPrincipal(a, this.keptMapping)) === JSON.stringify(mapPrincipal(b, this.keptMapping));
    }
    const everyField = { pii: true, extraKeys: [] };
    const mappedA = mapPrincipal(a, everyField);
    const mappedB = mapPrincipal(b, everyField);
    if (mappedA !== undefined || mappedB !== undefined) return JSON.stringify(mappedA) === JSON.stringify(mappedB);
    return sameOwnValues(a, b);
  }

  toUser(facts: RequestFacts, pii: boolean): User | undefined {
    const { principal } = facts;
    if (this.options.mapUser === undefined) return mapPrincipal(principal, { pii, extraKeys: this.options.extraKeys });
    if (principal === undefined || principal === null) return undefined;
    try {
      const mapped = (this.options.mapUser as (principal: unknown, req: unknown) => unknown)(principal, facts.mapUserArgument);
      return sanitizeUser(mapped, pii);
    } catch {
      return undefined;
    }
  }

  /**
   * An `ip_address` already on the scope that is not the trusted address and that a client could have written (it
   * appears in the request's address headers), or that is the peer where the peer is a trusted proxy: the SDK's guess
   * (Sentry's Hono integration sets it on the isolation scope's user: a header, else the peer), or an app copying a
   * spoofable header. It does not beat the trusted resolution.
   */
  private isClientWritten(ipAddress: unknown, clientIp: string | undefined, facts: RequestFacts): boolean {
    if (ipAddress === clientIp) return false;
    const address = normalizeIp(ipAddress);
    if (address === clientIp) return false;
    if (address !== undefined && address === normalizeIp(facts.request?.socket?.remoteAddress)) return true;
    return appearsInAddressHeaders(facts.request, ipAddress);
  }

  private clientIpOf(facts: RequestFacts): string | undefined {
    return facts.request === undefined ? undefined : resolveWithConfig(facts.request, facts.resolution);
  }

  /** An error, message or transaction event. Never throws: on any failure the event goes out as the SDK built it. */
  fillEvent(event: SentryEventShape, facts: RequestFacts, appSetUser: Readonly<Record<string, unknown>>, client: ClientShape): SentryEventShape {
    try {
      const ceiling = dataCeilingOf(client);
      const pii = this.piiFor(ceiling);
      const clientIp = this.clientIpOf(facts);
      const user = this.toUser(facts, pii);

      // What the application set wins. Whatever else the SDK's request data put in event.user (v8 copied req.user
      // unmapped and regardless of PII; v9+ add an IP taken from client-settable headers) gives way to ours, and
      // "{{auto}}", which a server must never send, is dropped so Relay backfills from REMOTE_ADDR.
      let eventUser: Record<string, unknown>;
      if (isEmpty(appSetUser)) {
        // The usual case: the app set no user, so ours (a fresh object) is the event's.
        eventUser = user ?? {};
      } else {
        eventUser = { ...appSetUser };
        if (eventUser.ip_address === '{{auto}}' || eventUser.ip_address === undefined || this.isClientWritten(eventUser.ip_address, clientIp, facts)) {
          delete eventUser.ip_address;
        }
        // An identity the app set (even one field: `setUser({ id })` replaces the whole user) is not mixed with the
        // principal's; only the address may still be added.
        if (user && !hasIdentity(appSetUser)) {
          for (const key of Object.keys(user)) {
            if (eventUser[key] === undefined) eventUser[key] = user[key];
          }
        }
      }
      if (pii && this.options.setUserIp && clientIp !== undefined && eventUser.ip_address === undefined) eventUser.ip_address = clientIp;
      if (Object.keys(eventUser).length > 0) event.user = eventUser;
      else delete event.user;

      // The SDK's own processors ran first: what they put on event.request is kept (and filtered below), so only the
      // parts still missing are built from the request.
      const existing = isObject(event.request) ? event.request : undefined;
      const requestConfig = {
        pii,
        resolution: facts.resolution,
        headers: ceiling.headers && existing?.headers === undefined,
        cookies: ceiling.cookies && pii && existing?.cookies === undefined,
        // Not made lazy: it also decides what HTTP/2's :path header may carry.
        query: ceiling.query,
      };
      const built: RequestEventData = facts.request === undefined ? {} : buildRequestData(facts.request, requestConfig, clientIp ?? null);
      if (existing === undefined) {
        // Nothing else built a request: ours is complete and already filtered.
        if (Object.keys(built).length > 0) event.request = built as Record<string, unknown>;
        return event;
      }
      const request: Record<string, unknown> = { ...existing };
      for (const key of ['method', 'url', 'query_string'] as const) {
        if (request[key] === undefined && built[key] !== undefined) request[key] = built[key];
      }
      // Headers and cookies someone else put on the event (the SDK, the app) get our filters too: sensitive names, and
      // without user data no header that carries an address. Ours already have them.
      if (request.headers === undefined) request.headers = built.headers;
      else if (isObject(request.headers)) request.headers = filterEventHeaders(request.headers, pii, ceiling.query);
      if (request.cookies === undefined) request.cookies = built.cookies;
      else if (isObject(request.cookies)) request.cookies = filterEventCookies(request.cookies);
      if (request.headers === undefined) delete request.headers;
      if (request.cookies === undefined) delete request.cookies;
      const env = isObject(request.env) ? { ...request.env } : {};
      // Without user data the client address appears nowhere: not even a REMOTE_ADDR someone else set.
      if (!pii) delete env.REMOTE_ADDR;
      request.env = { ...built.env, ...env };
      if (Object.keys(request.env as object).length === 0) delete request.env;
      if (Object.keys(request).length > 0) event.request = request;
    } catch {
      // Event capture must survive anything we do.
    }
    return event;
  }

  /**
   * What a segment span's fill reads of the request: all of it as `mapUser`'s second argument, its headers and peer
   * for the trusted address (only with user data allowed), or nothing. The caller builds no more than that (with
   * tracing on, once per request).
   */
  segmentRequestNeed(client: ClientShape): RequestNeed {
    if (this.hasMapUser) return 'whole';
    return this.piiFor(dataCeilingOf(client)) ? 'address' : 'none';
  }

  /**
   * A streamed segment span (@sentry/node 11): `user.*` attributes set only where missing. Returns true where user
   * data is off for us: every address went, and must go again from what the SDK adds later (`processSegmentSpan`).
   */
  fillSegmentSpan(span: SpanJsonShape, facts: RequestFacts, client: ClientShape): boolean {
    const attributes = span.attributes ?? (span.attributes = {});
    const pii = this.piiFor(dataCeilingOf(client));
    const user = hasIdentityAttribute(attributes) ? undefined : this.toUser(facts, pii);
    setIfMissing(attributes, 'user.id', user?.id);
    setIfMissing(attributes, 'user.name', user?.username);
    setIfMissing(attributes, 'user.email', user?.email);
    if (!pii) {
      // Without user data every address goes, whoever wrote it: the trusted one is not needed. The SDK takes
      // client.address from the first of a dozen client-settable headers.
      removeAddressAttributes(attributes);
      return true;
    }
    const clientIp = this.clientIpOf(facts);
    const userIp = attributes['user.ip_address'];
    if (clientIp !== undefined) {
      // Overwritten rather than deleted and set again: a deleted key turns the attributes object into a hash table
      // (V8's dictionary mode), which the SDK then serialises, with tracing on for every request.
      if (userIp === undefined || this.isClientWritten(userIp, clientIp, facts)) attributes['user.ip_address'] = normalizeIp(user?.ip_address) ?? clientIp;
      attributes['client.address'] = clientIp;
    } else {
      if (this.isClientWritten(userIp, clientIp, facts)) delete attributes['user.ip_address'];
      delete attributes['client.address'];
    }
    return false;
  }

  /** A log's or metric's `user.id` (and with PII `user.email`, `user.name`), where the app did not set them. */
  fillUserAttributes(attributes: Record<string, unknown>, facts: RequestFacts, client: ClientShape): void {
    if (hasIdentityAttribute(attributes)) return;
    const user = this.toUser(facts, this.piiFor(dataCeilingOf(client)));
    if (user === undefined) return;
    setIfMissing(attributes, 'user.id', user.id);
    setIfMissing(attributes, 'user.email', user.email);
    setIfMissing(attributes, 'user.name', user.username ?? user.name);
  }
}

function isEmpty(object: Readonly<Record<string, unknown>>): boolean {
  for (const key in object) if (Object.prototype.hasOwnProperty.call(object, key)) return false;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

const IDENTITY_KEYS = ['id', 'username', 'email', 'name'] as const;

/** The app set who the user is (any identity field). */
function hasIdentity(user: Readonly<Record<string, unknown>>): boolean {
  return IDENTITY_KEYS.some((key) => user[key] !== undefined && user[key] !== null);
}

/** A span, log or metric already says who the user is (the SDK copied the app's scope user). */
function hasIdentityAttribute(attributes: Readonly<Record<string, unknown>>): boolean {
  return attributes['user.id'] !== undefined || attributes['user.email'] !== undefined || attributes['user.name'] !== undefined || attributes['user.username'] !== undefined;
}

function setIfMissing(attributes: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined && attributes[key] === undefined) attributes[key] = value;
}

function sameOwnValues(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  try {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.is((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
  } catch {
    return false;
  }
}
