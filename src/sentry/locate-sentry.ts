import { dataCeilingOf, userInfoAllowed } from './data-collection.js';
import type { AsyncContextStrategyShape, ClientShape, ScopeShape, VersionCarrierShape } from './sdk-shapes.js';

/** The initialised SDK, as found in its global carrier. */
export interface SentryHandle {
  readonly carrier: VersionCarrierShape;
  readonly acs: AsyncContextStrategyShape;
  /** The @sentry/core version whose slot this is. */
  readonly version: string;
}

/** The client set on a scope, if any; never throws. */
export function clientOfScope(scope: ScopeShape | undefined): ClientShape | undefined {
  try {
    const client = scope?.getClient?.();
    return client !== null && typeof client === 'object' && typeof client.getOptions === 'function' ? client : undefined;
  } catch {
    return undefined;
  }
}

function isStrategy(value: unknown): value is AsyncContextStrategyShape {
  const acs = value as AsyncContextStrategyShape | undefined;
  return (
    acs !== null &&
    typeof acs === 'object' &&
    typeof acs.getIsolationScope === 'function' &&
    typeof acs.getCurrentScope === 'function' &&
    typeof acs.withIsolationScope === 'function'
  );
}

let warnedUnrecognised = false;

/**
 * Whether the SDK keeps the socket peer of each request on its scope (`sdkProcessingMetadata.ipAddress`, @sentry/node
 * ≥ 9). Where it does not (8.x, an unknown version), the peer is read when the response finishes.
 */
export function sdkKeepsPeer(handle: SentryHandle): boolean {
  const major = Number.parseInt(handle.version, 10);
  return Number.isInteger(major) && major >= 9;
}

function warnUnrecognised(version: string): void {
  if (warnedUnrecognised) return;
  warnedUnrecognised = true;
  console.warn(
    `sentry-request-user: Sentry ${version} is initialised, but its global carrier (globalThis.__SENTRY__) has a layout ` +
      'this version does not recognise, so events are sent without the user and client address. Update ' +
      'sentry-request-user, or use an @sentry/node version it supports (8, 9, 10, 11). (Warned once.)',
  );
}

/**
 * Finds the SDK version whose `Sentry.init` ran: each @sentry/core version (≥ 8.6) keeps its own slot in
 * `globalThis.__SENTRY__`, and only the initialised one has an async context strategy with a client on its scopes.
 * Returns undefined before `Sentry.init` or without Sentry, so the middleware passes requests through. A carrier
 * that exists with no slot we recognise gets one warning naming the version and the fix.
 */
export function locateSentry(): SentryHandle | undefined {
  const root = (globalThis as { __SENTRY__?: unknown }).__SENTRY__;
  if (root === null || typeof root !== 'object') return undefined;
  const slots = root as Record<string, unknown>;
  const rootVersion = typeof slots.version === 'string' ? slots.version : undefined;
  const keys = rootVersion === undefined ? Object.keys(slots) : [rootVersion, ...Object.keys(slots)];
  // @sentry/core 8.0–8.5 kept one flat carrier: the strategy and scopes on `__SENTRY__` itself.
  if (isStrategy(slots.acs)) {
    const flat = slots as VersionCarrierShape;
    if (clientOfScope(flat.acs?.getCurrentScope()) ?? clientOfScope(flat.globalScope)) {
      return { carrier: flat, acs: slots.acs, version: rootVersion ?? 'unknown' };
    }
  }
  let initialisedButUnknown: string | undefined;
  for (const key of keys) {
    const carrier = slots[key] as VersionCarrierShape | undefined;
    if (carrier === null || typeof carrier !== 'object' || key === 'version') continue;
    const acs = carrier.acs;
    if (isStrategy(acs) && (clientOfScope(acs.getCurrentScope()) ?? clientOfScope(carrier.globalScope))) return { carrier, acs, version: key };
    if (initialisedButUnknown === undefined && hasClientSomewhere(carrier)) initialisedButUnknown = key;
  }
  // `Sentry.init` ran (a scope in the slot has a client), yet there is no strategy we can use: warn, pass through.
  if (initialisedButUnknown !== undefined) warnUnrecognised(initialisedButUnknown);
  return undefined;
}

/** Whether any scope-like value kept in a carrier slot has a client: the mark of an initialised SDK. */
function hasClientSomewhere(carrier: object): boolean {
  for (const value of Object.values(carrier)) {
    if (value !== null && typeof value === 'object' && clientOfScope(value as ScopeShape) !== undefined) return true;
  }
  return false;
}

export function currentClient(handle: SentryHandle): ClientShape | undefined {
  return clientOfScope(handle.acs.getCurrentScope());
}

/** Writes through the SDK's own debug logger, so it shows exactly when the app runs Sentry with `debug: true`. */
export function debugWarn(handle: SentryHandle, message: string): void {
  try {
    const logger = handle.carrier.logger;
    if (logger && typeof logger.warn === 'function') {
      logger.warn(message);
    } else if (handle.carrier.loggerSettings?.enabled || currentClient(handle)?.getOptions().debug === true) {
      // ≥ 10 keeps a switch, not a logger; early 8.x keeps its logger where we do not look: `debug: true` decides.
      console.warn(`Sentry Logger [warn]: ${message}`);
    }
  } catch {
    // Logging must never break anything.
  }
}

/**
 * The PII default for the core functions: the initialised Sentry client's setting (within its ceiling), `false`
 * without one. Not on any hot path: the core functions run when an event is built.
 */
export function defaultPii(option?: boolean): boolean {
  const handle = locateSentry();
  const client = handle === undefined ? undefined : currentClient(handle);
  if (client === undefined) return option ?? false;
  return userInfoAllowed(option, dataCeilingOf(client));
}
