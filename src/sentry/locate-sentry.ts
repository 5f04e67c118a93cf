import type { AsyncContextStrategyShape, ClientShape, ScopeShape, VersionCarrierShape } from './sdk-shapes.js';

/** The initialised SDK, as found in its global carrier. */
export interface SentryHandle {
  readonly carrier: VersionCarrierShape;
  readonly acs: AsyncContextStrategyShape;
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

/**
 * Finds the SDK version whose `Sentry.init` ran: each @sentry/core version keeps its own slot in
 * `globalThis.__SENTRY__`, and only the initialised one has an async context strategy with a client on its scopes.
 * Returns undefined before `Sentry.init` or without Sentry, so the middleware passes requests through.
 */
export function locateSentry(): SentryHandle | undefined {
  const root = (globalThis as { __SENTRY__?: unknown }).__SENTRY__;
  if (root === null || typeof root !== 'object') return undefined;
  const slots = root as Record<string, unknown>;
  const preferred = typeof slots.version === 'string' ? [slots.version] : [];
  for (const key of [...preferred, ...Object.keys(slots)]) {
    const carrier = slots[key] as VersionCarrierShape | undefined;
    if (carrier === null || typeof carrier !== 'object') continue;
    const acs = carrier.acs;
    if (!acs || typeof acs.getIsolationScope !== 'function' || typeof acs.withIsolationScope !== 'function') continue;
    if (clientOfScope(acs.getCurrentScope()) ?? clientOfScope(carrier.globalScope)) return { carrier, acs };
  }
  return undefined;
}

export function currentClient(handle: SentryHandle): ClientShape | undefined {
  return clientOfScope(handle.acs.getCurrentScope());
}

/** The PII default: the client's resolved `dataCollection.userInfo` where the SDK has it, else `sendDefaultPii`. */
export function clientAllowsPii(client: ClientShape): boolean {
  try {
    const resolved = client.getDataCollectionOptions?.();
    if (resolved && typeof resolved.userInfo === 'boolean') return resolved.userInfo;
    const options = client.getOptions();
    if (typeof options.dataCollection?.userInfo === 'boolean') return options.dataCollection.userInfo;
    return options.sendDefaultPii === true;
  } catch {
    return false;
  }
}

/** Writes through the SDK's own debug logger, so it shows exactly when the app runs Sentry with `debug: true`. */
export function debugWarn(handle: SentryHandle, message: string): void {
  try {
    const logger = handle.carrier.logger;
    if (logger && typeof logger.warn === 'function') {
      logger.warn(message);
    } else if (handle.carrier.loggerSettings?.enabled) {
      console.warn(`Sentry Logger [warn]: ${message}`);
    }
  } catch {
    // Logging must never break anything.
  }
}

/**
 * The PII default for the core functions: the initialised Sentry client's setting, `false` without one. Not on any
 * hot path: the core functions run when an event is built.
 */
export function defaultPii(): boolean {
  const handle = locateSentry();
  const client = handle === undefined ? undefined : currentClient(handle);
  return client === undefined ? false : clientAllowsPii(client);
}
