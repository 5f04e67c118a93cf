import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestBinder } from '../binding/request-binder.js';
import type { SentryHandle } from './locate-sentry.js';
import type { ClientShape, EventHintShape, EventProcessorShape, ScopeShape, SentryEventShape, SpanJsonShape } from './sdk-shapes.js';
import { isThenable } from '../util/is-thenable.js';

/** What ties a request to the Sentry scope its events are captured in. */
interface RequestEntry {
  readonly binder: RequestBinder<unknown>;
  readonly target: unknown;
}

/**
 * Isolation scope → the request it belongs to, kept as a property under a private symbol on the scope object.
 * A WeakMap did the same job, but every request added an ephemeron entry, which costs the garbage collector more
 * than the plain property; the scope object is the SDK's per-request one, so the entry dies with it. `clone()`
 * does not copy it, so a scope forked from the request's one does not claim the request by accident.
 */
const kRequestEntry = Symbol('sentry-request-user.request');
type ScopeWithEntry = ScopeShape & { [kRequestEntry]?: RequestEntry };

function entryOf(scope: ScopeShape | undefined): RequestEntry | undefined {
  return scope === undefined || scope === null ? undefined : (scope as ScopeWithEntry)[kRequestEntry];
}

function setEntry(scope: ScopeShape, entry: RequestEntry): void {
  (scope as ScopeWithEntry)[kRequestEntry] = entry;
}

/**
 * The request, for the rest of a request whose scope we forked. Needed because instrumented frameworks bind `next` to
 * the OpenTelemetry context active when a layer was entered (OTel's Express instrumentation does), which undoes our
 * fork for later middleware; our own storage is not touched by that binding. Only used on the fork path.
 */
const requestStorage = new AsyncLocalStorage<RequestEntry>();
/** Errors that escaped a scope we forked (Koa), so a middleware outside ours can still attribute them. */
const requestByError = new WeakMap<object, RequestEntry>();
/** Hint → what `preprocessEvent` learnt, for the event processor that runs after the SDK's own. */
const pendingByHint = new WeakMap<object, { entry: RequestEntry; appSetUser: Record<string, unknown> }>();
/** Segment span → whether `user.ip_address` was there before the SDK's request-data hook ran. */
const spanHadUserIp = new WeakMap<object, boolean>();
const hookedClients = new WeakSet<object>();

/**
 * The per-request fast path: tie the request to the isolation scope the SDK made for it, with one property write.
 * Returns false when that scope is not the request's own (the SDK's default scope, or one another request owns),
 * so the caller forks one.
 */
export function claimIsolationScope(handle: SentryHandle, isolationScope: ScopeShape, binder: RequestBinder<unknown>, target: unknown): boolean {
  if (isolationScope === handle.carrier.defaultIsolationScope) return false;
  const existing = entryOf(isolationScope);
  if (existing === undefined) {
    setEntry(isolationScope, { binder, target });
    return true;
  }
  if (existing.target !== target) return false;
  if (existing.binder !== binder) setEntry(isolationScope, { binder, target });
  return true;
}

/**
 * The slow path, for a request without its own isolation scope: fork one for the rest of the request, and keep the
 * request in our async storage too (see `requestStorage`). An error escaping the fork is remembered, so a middleware
 * outside ours that captures it still finds the request.
 */
export function runInForkedScope<R>(handle: SentryHandle, binder: RequestBinder<unknown>, target: unknown, next: () => R): R {
  const entry: RequestEntry = { binder, target };
  const result = handle.acs.withIsolationScope((forked) => {
    setEntry(forked, entry);
    return requestStorage.run(entry, next);
  });
  if (isThenable(result)) {
    return Promise.resolve(result).then(undefined, (error: unknown) => {
      if (error !== null && typeof error === 'object' && !requestByError.has(error)) requestByError.set(error, entry);
      throw error;
    }) as R;
  }
  return result;
}

function userOf(value: unknown): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const user = (value as { user?: unknown }).user;
  return user !== null && typeof user === 'object' ? (user as Record<string, unknown>) : undefined;
}

function scopeUser(scope: ScopeShape | undefined): Record<string, unknown> | undefined {
  try {
    return scope?.getUser?.();
  } catch {
    return undefined;
  }
}

/**
 * The user the application itself set for this event, merged by the SDK's own precedence: global, isolation and
 * current scope, then `captureContext`, then the event. Read before the SDK's processors run, so nothing an
 * integration derives later (v8 copied `req.user`, v9+ add an IP from client-settable headers) counts as the app's.
 */
function applicationSetUser(
  event: SentryEventShape,
  hint: EventHintShape,
  current: ScopeShape | undefined,
  isolation: ScopeShape,
  global: ScopeShape | undefined,
): Record<string, unknown> {
  const context = hint.captureContext;
  const contextUser = typeof (context as ScopeShape | undefined)?.getUser === 'function' ? scopeUser(context as ScopeShape) : userOf(context);
  return { ...scopeUser(global), ...scopeUser(isolation), ...scopeUser(current), ...contextUser, ...event.user };
}

/** Installs, once per client, the hooks that do all the work when an event or span is captured. */
export function ensureClientHooks(client: ClientShape, handle: SentryHandle): void {
  if (hookedClients.has(client)) return;
  hookedClients.add(client);
  const on = typeof client.on === 'function' ? client.on.bind(client) : undefined;
  if (on === undefined || typeof client.addEventProcessor !== 'function') return;

  // Before the SDK merges scopes and runs its processors: find the request and what the app set itself.
  on('preprocessEvent', ((event: SentryEventShape, hint: EventHintShape) => {
    try {
      const metadata = event.sdkProcessingMetadata;
      const isolation = metadata?.capturedSpanIsolationScope ?? handle.acs.getIsolationScope();
      let entry = entryOf(isolation);
      const error = hint?.originalException;
      // Transactions are flushed later, from wherever; only an event captured in the request's own async context
      // may use the storage.
      if (entry === undefined && event.type === undefined) entry = requestStorage.getStore();
      if (entry === undefined && error !== null && typeof error === 'object') entry = requestByError.get(error);
      if (entry === undefined || hint === null || typeof hint !== 'object') return;
      const current = metadata?.capturedSpanScope ?? handle.acs.getCurrentScope();
      pendingByHint.set(hint, { entry, appSetUser: applicationSetUser(event, hint, current, isolation, handle.carrier.globalScope) });
    } catch {
      // Never break capture.
    }
  }) as (...args: never[]) => void);

  // After the SDK's own processors (client processors run in order of registration, and integrations register at
  // init), so our trusted values can replace what the SDK derived from client-settable headers.
  const processor: EventProcessorShape = (event, hint) => {
    const pending = hint !== null && typeof hint === 'object' ? pendingByHint.get(hint) : undefined;
    if (pending === undefined) return event;
    pendingByHint.delete(hint);
    try {
      return pending.entry.binder.fillEvent(event, pending.entry.target, pending.appSetUser, client, handle);
    } catch {
      return event;
    }
  };
  processor.id = 'SentryRequestUser';
  client.addEventProcessor(processor);

  // @sentry/node 11 streams spans: scope users are already on the span here, so "set if missing" keeps them winning.
  on('preprocessSpan', ((span: SpanJsonShape) => {
    try {
      if (span === null || typeof span !== 'object' || span.is_segment !== true) return;
      const entry = entryOf(handle.acs.getIsolationScope());
      if (entry === undefined) return;
      entry.binder.fillSegmentSpan(span, entry.target, client, handle);
      spanHadUserIp.set(span, span.attributes?.['user.ip_address'] !== undefined);
    } catch {
      // Never break capture.
    }
  }) as (...args: never[]) => void);

  // Runs after the SDK's request-data hook: an address it took from client-settable headers is removed.
  on('processSegmentSpan', ((span: SpanJsonShape) => {
    try {
      if (span === null || typeof span !== 'object') return;
      const hadIp = spanHadUserIp.get(span);
      if (hadIp === false && span.attributes) delete span.attributes['user.ip_address'];
    } catch {
      // Never break capture.
    }
  }) as (...args: never[]) => void);
}
