import { normalizeIp } from '../ip/parse-ip.js';
import { trustNothing } from '../ip/trust.js';
import type { ParsedOptions } from '../options/parse-options.js';
import { buildRequestData, filterSensitiveCookies, filterSensitiveHeaders } from '../request/to-sentry-request.js';
import { resolveWithConfig, type ClientIpResolution } from '../resolve-client-ip.js';
import type { RequestLike } from '../request-like.js';
import type { User } from '../sentry-types.js';
import { claimIsolationScope, ensureClientHooks, runInForkedScope } from '../sentry/client-hooks.js';
import { clientAllowsPii, clientOfScope, currentClient, debugWarn, locateSentry, type SentryHandle } from '../sentry/locate-sentry.js';
import type { ClientShape, ScopeShape, SentryEventShape, SpanJsonShape } from '../sentry/sdk-shapes.js';
import { mapPrincipal, sanitizeUser } from '../user/to-sentry-user.js';
import type { FrameworkAccess, FrameworkTrust } from './framework.js';
import { isThenable } from '../util/is-thenable.js';

/**
 * How long an event waits for an async `getUser` before it goes out without the user. Only the event waits: the
 * response never does, because nothing runs on the request path.
 */
export const GET_USER_TIMEOUT_MS = 2000;

/** One middleware instance: its options and framework, and everything that happens at event time. */
export interface RequestBinder<Target> {
  /** The per-request work: tie this request to its Sentry isolation scope (forking one if needed), then `next()`. */
  enter<R>(target: Target, next: () => R): R;
  /** Event time: fill an error, message or transaction event. May return a promise when `getUser` is async. */
  fillEvent(event: SentryEventShape, target: Target, appSetUser: Readonly<Record<string, unknown>>, client: ClientShape, handle: SentryHandle): SentryEventShape | PromiseLike<SentryEventShape>;
  /** Event time: fill a streamed segment span's `user.*` attributes (@sentry/node 11). */
  fillSegmentSpan(span: SpanJsonShape, target: Target, client: ClientShape, handle: SentryHandle): void;
}

function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'unprintable error';
  }
}

/**
 * Node forgets a socket's peer address once the connection closes, unless it was read before (then it is cached on
 * the socket). The SDK's HTTP instrumentation reads it for every request; where that instrumentation is not active
 * we read it once, so an event processed after the client hung up still has its address.
 */
function rememberPeer(req: RequestLike): void {
  try {
    void req.socket?.remoteAddress;
  } catch {
    // A request without a readable socket simply has no peer.
  }
}

/**
 * Builds the core of a middleware. The adapters wrap `enter` in their framework's signature and add nothing else.
 */
export function createRequestBinder<Target>(options: ParsedOptions, framework: FrameworkAccess<Target>): RequestBinder<Target> {
  let handle: SentryHandle | undefined;
  let hookedClient: ClientShape | undefined;
  let reportedGetUserFailure = false;
  let warnedEveryHop = false;
  // With `trustProxy` given, the resolution does not depend on the framework: build it once.
  const optionResolution: ClientIpResolution | undefined =
    options.trust === undefined
      ? undefined
      : {
          trust: options.trust,
          listHeader: options.listFormat ?? 'x-forwarded-for',
          listFormat: options.listFormat ?? 'x-forwarded-for',
          clientIpHeader: options.clientIpHeader,
        };
  /** The last principal an async getUser settled with, per request: spans are captured synchronously and use it. */
  const settledPrincipals = new WeakMap<object, unknown>();

  function reportGetUserFailure(sentry: SentryHandle, error: unknown): void {
    if (reportedGetUserFailure) return;
    reportedGetUserFailure = true;
    debugWarn(sentry, `sentry-request-user: getUser failed (${describeError(error)}); events go out without the user. Reported once.`);
  }

  /** The principal, or a promise of it; failures become `undefined`. */
  function readPrincipal(target: Target, sentry: SentryHandle): unknown {
    const getUser = options.getUser;
    if (getUser === undefined) {
      try {
        return framework.detectPrincipal(target);
      } catch {
        return undefined;
      }
    }
    try {
      const result = framework.callGetUser(getUser, target);
      if (isThenable(result)) {
        return withTimeout(
          Promise.resolve(result).then(
            (principal) => {
              if (target !== null && typeof target === 'object') settledPrincipals.set(target, principal);
              return principal;
            },
            (error: unknown) => {
              reportGetUserFailure(sentry, error);
              return undefined;
            },
          ),
          GET_USER_TIMEOUT_MS,
        );
      }
      return result;
    } catch (error) {
      reportGetUserFailure(sentry, error);
      return undefined;
    }
  }

  function toUser(principal: unknown, target: Target, pii: boolean): User | undefined {
    if (options.mapUser === undefined) return mapPrincipal(principal, { pii, extraKeys: options.extraKeys });
    if (principal === undefined || principal === null) return undefined;
    try {
      const mapped = (options.mapUser as (principal: unknown, req: unknown) => unknown)(principal, framework.mapUserArgument(target));
      return sanitizeUser(mapped, pii);
    } catch {
      return undefined;
    }
  }

  function resolutionFor(target: Target): ClientIpResolution {
    if (optionResolution !== undefined) return optionResolution;
    let setting: FrameworkTrust;
    try {
      setting = framework.frameworkTrust(target);
    } catch {
      setting = { trust: trustNothing, trustsEveryHop: false };
    }
    if (setting.trustsEveryHop && !warnedEveryHop) {
      warnedEveryHop = true;
      console.warn(
        `sentry-request-user: the ${framework.name} app trusts every proxy hop, so any client can choose the address ` +
          `Sentry records by sending X-Forwarded-For. ${setting.everyHopFix ?? ''} Or pass trustProxy to sentryUser(). (Warned once.)`,
      );
    }
    const listHeader = options.listFormat ?? setting.listHeader ?? 'x-forwarded-for';
    return {
      trust: setting.trust,
      listHeader,
      listFormat: listHeader === 'forwarded' ? 'forwarded' : 'x-forwarded-for',
      clientIpHeader: options.clientIpHeader,
    };
  }

  function piiFor(client: ClientShape): boolean {
    return options.pii ?? clientAllowsPii(client);
  }

  function applyToEvent(event: SentryEventShape, target: Target, principal: unknown, appSetUser: Readonly<Record<string, unknown>>, client: ClientShape): SentryEventShape {
    try {
      const pii = piiFor(client);
      const req = framework.request(target);
      const resolution = resolutionFor(target);
      const clientIp = resolveWithConfig(req, resolution);
      const user = toUser(principal, target, pii);

      // What the application set wins. Whatever else the SDK's request data put in event.user (v8 copied req.user
      // unmapped and regardless of PII; v9+ add an IP taken from client-settable headers) gives way to ours, and
      // "{{auto}}", which a server must never send, is dropped so Relay backfills from REMOTE_ADDR.
      const eventUser: Record<string, unknown> = { ...appSetUser };
      if (eventUser.ip_address === '{{auto}}' || eventUser.ip_address === undefined) delete eventUser.ip_address;
      if (user) {
        for (const key of Object.keys(user)) {
          if (eventUser[key] === undefined) eventUser[key] = user[key];
        }
      }
      if (pii && options.setUserIp && clientIp !== undefined && eventUser.ip_address === undefined) eventUser.ip_address = clientIp;
      if (Object.keys(eventUser).length > 0) event.user = eventUser;
      else delete event.user;

      const built = buildRequestData(req, { pii, resolution }, clientIp);
      const request: Record<string, unknown> = event.request ? { ...event.request } : {};
      for (const key of ['method', 'url', 'query_string'] as const) {
        if (request[key] === undefined && built[key] !== undefined) request[key] = built[key];
      }
      // Headers and cookies someone else put on the event (the SDK, the app) get our filter too; ours already have it.
      if (request.headers === undefined) request.headers = built.headers;
      else if (request.headers !== null && typeof request.headers === 'object') request.headers = filterSensitiveHeaders(request.headers as Record<string, unknown>);
      if (request.cookies === undefined) request.cookies = built.cookies;
      else if (request.cookies !== null && typeof request.cookies === 'object') request.cookies = filterSensitiveCookies(request.cookies as Record<string, unknown>);
      if (request.headers === undefined) delete request.headers;
      if (request.cookies === undefined) delete request.cookies;
      const env = request.env !== null && typeof request.env === 'object' ? (request.env as Record<string, unknown>) : {};
      request.env = { ...built.env, ...env };
      if (Object.keys(request.env as object).length === 0) delete request.env;
      event.request = request;
    } catch {
      // Event capture must survive anything we do: the event goes out as the SDK built it.
    }
    return event;
  }

  function enterSlowly<R>(sentry: SentryHandle, isolationScope: ScopeShape, target: Target, next: () => R): R {
    const client = currentClient(sentry);
    if (client === undefined) {
      handle = undefined;
      return next();
    }
    if (client !== hookedClient) {
      ensureClientHooks(client, sentry);
      hookedClient = client;
    }
    if (claimIsolationScope(sentry, isolationScope, self, target)) return next();
    rememberPeer(framework.request(target));
    return runInForkedScope(sentry, self, target, next);
  }

  const self: RequestBinder<Target> = {
    enter<R>(target: Target, next: () => R): R {
      let sentry = handle;
      if (sentry === undefined) {
        sentry = locateSentry();
        if (sentry === undefined) return next();
        handle = sentry;
      }
      // Fast path: the SDK made this request's isolation scope and put its client on it (@sentry/node ≥ 9).
      const isolationScope = sentry.acs.getIsolationScope();
      if (hookedClient !== undefined && clientOfScope(isolationScope) === hookedClient && claimIsolationScope(sentry, isolationScope, self, target)) {
        return next();
      }
      return enterSlowly(sentry, isolationScope, target, next);
    },

    fillEvent(event, target, appSetUser, client, sentry) {
      const principal = readPrincipal(target, sentry);
      if (isThenable(principal)) {
        return Promise.resolve(principal).then((resolved) => applyToEvent(event, target, resolved, appSetUser, client));
      }
      return applyToEvent(event, target, principal, appSetUser, client);
    },

    fillSegmentSpan(span, target, client, sentry) {
      try {
        const attributes = span.attributes ?? (span.attributes = {});
        const pii = piiFor(client);
        const principal = readPrincipal(target, sentry);
        // A span is captured synchronously, so an async getUser cannot be awaited here: the span uses what an earlier
        // event of the same request settled with, or goes without the user.
        const known = isThenable(principal) && target !== null && typeof target === 'object' ? settledPrincipals.get(target) : principal;
        const user = isThenable(known) ? undefined : toUser(known, target, pii);
        const setIfMissing = (key: string, value: unknown): void => {
          if (value !== undefined && attributes[key] === undefined) attributes[key] = value;
        };
        setIfMissing('user.id', user?.id);
        setIfMissing('user.name', user?.username);
        setIfMissing('user.email', user?.email);
        const clientIp = resolveWithConfig(framework.request(target), resolutionFor(target));
        if (pii && clientIp !== undefined) {
          setIfMissing('user.ip_address', normalizeIp(user?.ip_address) ?? clientIp);
          attributes['client.address'] = clientIp;
        } else {
          delete attributes['client.address'];
        }
      } catch {
        // As for events: never break span capture.
      }
    },
  };
  return self;
}
