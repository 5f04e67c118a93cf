import { AsyncLocalStorage } from 'node:async_hooks';
import type { SentryHandle } from './locate-sentry.js';
import type { AsyncContextStrategyShape, ClientShape, EventHintShape, ProcessingMetadataShape, ScopeShape, SentryEventShape, SpanJsonShape } from './sdk-shapes.js';
import type { RequestLike } from '../request-like.js';
import { isThenable } from '../util/is-thenable.js';
import { readProperty } from '../util/read-property.js';

/**
 * A request as the Sentry binding sees it: something that fills what is captured during it. Implemented by the
 * binding layer; the Sentry layer only finds it and calls it.
 */
export interface BoundRequest {
  /** Whether this is the binding of `target` (the same framework object). */
  isFor(target: unknown): boolean;
  /** Whether the request has ended and let go of its framework object. */
  readonly released: boolean;
  /**
   * Capture time (synchronous, in the capturing context): read what the event will need from the request now. The
   * SDK may process the event later (async processors), after the response closed and the request let go.
   */
  captureFacts(isolationScope: ScopeShape, handle: SentryHandle): CapturedFacts;
  /** Fill an error, message or transaction event from what `captureFacts` read; a promise when `getUser` is async. */
  fillEvent(event: SentryEventShape, facts: CapturedFacts, appSetUser: Readonly<Record<string, unknown>>, client: ClientShape): SentryEventShape | PromiseLike<SentryEventShape>;
  /**
   * Fill a streamed segment span's `user.*` attributes (@sentry/node 11). True where user data is off for this request:
   * its addresses were removed, and what the SDK adds afterwards goes too.
   */
  fillSegmentSpan(span: SpanJsonShape, isolationScope: ScopeShape, client: ClientShape, handle: SentryHandle): boolean;
  /** Fill a log's or metric's `user.*` attributes where the app did not set them. */
  fillUserAttributes(attributes: Record<string, unknown>, isolationScope: ScopeShape, client: ClientShape, handle: SentryHandle): void;
  /** Fork path: the isolation scope we made for the request (see `letGoOfSdkRequest`). */
  ranInForkedScope(scope: ScopeShape): void;
}

/** What a bound request read at capture time; opaque to the Sentry layer. */
export type CapturedFacts = object;

/**
 * Isolation scope → its request, a property under a private symbol on the SDK's per-request scope object (a WeakMap
 * entry per request cost the garbage collector more). `clone()` does not copy it, so a scope forked from the
 * request's one does not claim the request by accident.
 */
const kBoundRequest = Symbol('sentry-request-user.request');
type ScopeWithRequest = ScopeShape & { [kBoundRequest]?: BoundRequest };

export function boundRequestOf(scope: ScopeShape | undefined | null): BoundRequest | undefined {
  return scope === undefined || scope === null ? undefined : (scope as ScopeWithRequest)[kBoundRequest];
}

/**
 * Ties a request to the isolation scope the SDK made for it, with one property write. Returns false when the scope
 * cannot be proven to be this request's own — the SDK's process-wide default scope, a carrier without one to compare
 * with, or a scope another request holds — so the caller forks one instead. A later middleware of the same request
 * takes over (the innermost options win).
 */
export function tieToScope(handle: SentryHandle, scope: ScopeShape, bound: BoundRequest, target: unknown): boolean {
  const defaultScope = handle.carrier.defaultIsolationScope;
  if (defaultScope === undefined || defaultScope === null || scope === defaultScope || !carriesRequestMetadata(scope)) return false;
  const existing = (scope as ScopeWithRequest)[kBoundRequest];
  if (existing !== undefined && !(existing.isFor(target) && !existing.released)) return false;
  (scope as ScopeWithRequest)[kBoundRequest] = bound;
  return true;
}

/**
 * Whether the SDK put a request on this scope: its HTTP instrumentation stores its copy of each request on the
 * per-request isolation scope it makes (`normalizedRequest`; early 8.x `request`). A scope without one — the app's own
 * `withIsolationScope` around its server, say — may be shared by many requests and background work: never ours to
 * claim. Read from the scope's field (what `getScopeData()` returns, without its per-call copies); the SDK contract
 * test pins the field.
 */
export function carriesRequestMetadata(scope: ScopeShape): boolean {
  const metadata = (scope as { _sdkProcessingMetadata?: ProcessingMetadataShape | null })._sdkProcessingMetadata;
  // `readProperty`: the SDK builds this object anew per request, with a hidden class of its own each time.
  return metadata !== undefined && metadata !== null && typeof metadata === 'object' && (readProperty(metadata, 'normalizedRequest') != null || readProperty(metadata, 'request') != null);
}

/**
 * The request, for the rest of a request whose scope we forked. Needed because instrumented frameworks bind `next` to
 * the OpenTelemetry context active when a layer was entered (OTel's Express instrumentation does), which undoes our
 * fork for later middleware; our own storage is not touched by that binding. Only used on the fork path.
 */
const requestStorage = new AsyncLocalStorage<BoundRequest>();
/** Errors that escaped a scope we forked (Koa), so a middleware outside ours can still attribute them. */
const requestByError = new WeakMap<object, BoundRequest | null>();

/**
 * The slow path, for a request without its own isolation scope: fork one for the rest of the request, and keep the
 * request in our async storage too. An error escaping the fork is remembered, so a middleware outside ours that
 * captures it still finds the request.
 */
export function runInForkedScope<R>(handle: SentryHandle, bound: BoundRequest, next: () => R, caughtError?: () => unknown): R {
  const result = handle.acs.withIsolationScope((forked) => {
    (forked as ScopeWithRequest)[kBoundRequest] = bound;
    bound.ranInForkedScope(forked);
    return requestStorage.run(bound, next);
  });
  if (isThenable(result)) {
    return Promise.resolve(result).then(
      (value) => {
        // A framework that catches errors itself (Hono keeps them on `c.error`) resolves instead of rejecting.
        if (caughtError !== undefined) rememberError(safeRead(caughtError), bound);
        return value;
      },
      (error: unknown) => {
        rememberError(error, bound);
        throw error;
      },
    ) as R;
  }
  return result;
}

/**
 * The end of a request that ran in a scope we forked. The SDK's Express error handler (@sentry/node 8 and early 9)
 * puts the framework's request object on whatever isolation scope is current — on the fork path, ours — where it
 * would keep the whole request alive for as long as anything holds the scope. On its own per-request scopes the SDK
 * does the same, and those are not ours to change; this one is. What it put there, only when it is the request that
 * ended, is replaced with `copy` (what the SDK's request data reads: headers, method, url, peer).
 */
export function letGoOfSdkRequest(scope: ScopeShape, target: unknown, req: RequestLike | undefined, copy: object | undefined): void {
  const metadata = (scope as { _sdkProcessingMetadata?: ProcessingMetadataShape | null })._sdkProcessingMetadata;
  if (metadata === undefined || metadata === null || typeof metadata !== 'object' || !isEndedRequest(metadata.request, target, req)) return;
  if (typeof scope.setSDKProcessingMetadata !== 'function') return;
  // Two writes: `undefined` replaces the request first, as the SDK merges this metadata two levels deep.
  scope.setSDKProcessingMetadata({ request: undefined });
  if (copy !== undefined) scope.setSDKProcessingMetadata({ request: copy });
}

function isEndedRequest(value: unknown, target: unknown, req: RequestLike | undefined): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value === target || value === req) return true;
  // @sentry/core ≥ 9 merges the metadata two levels deep: what it keeps is a shallow copy of the request's own
  // properties (`res` and `socket` among them), recognisable by the request's own `rawHeaders` array.
  const rawHeaders = (value as { rawHeaders?: unknown }).rawHeaders;
  return req !== undefined && req !== null && rawHeaders !== undefined && rawHeaders === req.rawHeaders;
}

/**
 * Remembers which request an error escaped from. An error object several requests throw (a shared constant) belongs
 * to none of them: attributing it to the first would put that request's user on another's event.
 */
function rememberError(error: unknown, bound: BoundRequest): void {
  if (error === null || typeof error !== 'object') return;
  const known = requestByError.get(error);
  if (known === undefined && !requestByError.has(error)) requestByError.set(error, bound);
  else if (known !== bound) requestByError.set(error, null);
}

function safeRead(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The request an event belongs to: its captured isolation scope, our storage (fork path), or the error it carries. */
export function boundRequestOfEvent(handle: SentryHandle, event: SentryEventShape, hint: EventHintShape | undefined): BoundRequest | undefined {
  const isolation = event.sdkProcessingMetadata?.capturedSpanIsolationScope ?? handle.acs.getIsolationScope();
  let bound = boundRequestOf(isolation);
  // Transactions are flushed later, from wherever; only an event captured in the request's own async context may use
  // the storage.
  if (bound === undefined && event.type === undefined) bound = requestStorage.getStore();
  const error = hint?.originalException;
  if (bound === undefined && error !== null && typeof error === 'object') bound = requestByError.get(error) ?? undefined;
  return bound;
}

/** The request of our own storage (fork path), for the current async context. */
export function boundRequestInStorage(): BoundRequest | undefined {
  return requestStorage.getStore();
}

/**
 * The request whose async context this is: its isolation scope's tie, or our storage's (fork path); `null` for a
 * request's scope that holds no tie (a route before the middleware, or a clone made by the app's own
 * `withIsolationScope`): some request's, not provably any one's; `undefined` for no request's (background work).
 */
export function boundRequestOfContext(acs: AsyncContextStrategyShape): BoundRequest | null | undefined {
  const scope = acs.getIsolationScope();
  const bound = boundRequestOf(scope) ?? requestStorage.getStore();
  if (bound !== undefined) return bound;
  return carriesRequestMetadata(scope) ? null : undefined;
}

/** The request of whatever is captured right now (spans, logs, metrics: captured synchronously in its context). */
export function boundRequestInContext(handle: SentryHandle): { bound: BoundRequest; isolationScope: ScopeShape } | undefined {
  const isolationScope = handle.acs.getIsolationScope();
  const bound = boundRequestOf(isolationScope) ?? requestStorage.getStore();
  return bound === undefined ? undefined : { bound, isolationScope };
}
