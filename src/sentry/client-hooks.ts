import type { SentryHandle } from './locate-sentry.js';
import type { RequestLike } from '../request-like.js';
import { removeAddressAttributes } from '../request/address-headers.js';
import { isolationScopeOfEndingSegment, noteEndingSpan, noteStartingSpan, startRequestOfEndedSegment } from './ending-segment.js';
import { sdkRequestOfScope } from './sdk-request.js';
import { untiedUserAddress, withoutClientWrittenAddress } from './unbound-event.js';
import { boundRequestInContext, boundRequestOf, boundRequestOfEvent, carriesRequestMetadata, type BoundRequest, type CapturedFacts } from './request-registry.js';
import type { ClientShape, EventHintShape, EventProcessorShape, ScopeShape, SentryEventShape, SpanJsonShape, SpanShape, TelemetryItemShape } from './sdk-shapes.js';

/** What `preprocessEvent` learnt about an event of a bound request, for the processor that runs after the SDK's own. */
interface PendingFill {
  bound: BoundRequest;
  facts: CapturedFacts;
  appSetUser: Record<string, unknown>;
  contextIsCallback: boolean;
}
/** An event of a request no tie was found for (see `withoutClientWrittenAddress`). */
interface PendingUnbound {
  bound: undefined;
  request: RequestLike;
  appSetIp: unknown;
}
/** Hint → what `preprocessEvent` learnt, for the event processor that runs after the SDK's own. */
const pendingByHint = new WeakMap<object, PendingFill | PendingUnbound>();
/**
 * On a segment span's JSON: whether `user.ip_address` was there before the SDK's request-data hook ran. A symbol
 * property (invisible to serialisation) rather than a WeakMap entry per traced request, which costs the GC more.
 */
const kHadUserIp = Symbol('sentry-request-user.hadUserIp');
/** On the segment span of a request we hold no tie for: its SDK copy, and the address from its scopes (see `untiedUserAddress`). */
const kUntied = Symbol('sentry-request-user.untied');
/** A segment span whose addresses were removed (user data off for us): the SDK's later header attributes go too. */
const kNoAddress = Symbol('sentry-request-user.noAddress');
type MarkedSpan = SpanJsonShape & { [kHadUserIp]?: boolean; [kUntied]?: { request: RequestLike; scopeIp: unknown }; [kNoAddress]?: true };
const hookedClients = new WeakSet<object>();

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
 * current scope, then an object or `Scope` `captureContext`, then the event. Read before the SDK's processors run, so
 * nothing an integration derives later (v8 copied `req.user`, v9+ add an IP from client-settable headers) counts as
 * the app's. A callback `captureContext` is only applied by the SDK later: see `withCallbackUser`.
 */
function applicationSetUser(
  event: SentryEventShape,
  hint: EventHintShape,
  current: ScopeShape | undefined,
  isolation: ScopeShape,
  global: ScopeShape | undefined,
): Record<string, unknown> {
  const context = hint.captureContext;
  const contextUser =
    typeof context === 'function' ? undefined : typeof (context as ScopeShape | undefined)?.getUser === 'function' ? scopeUser(context as ScopeShape) : userOf(context);
  return { ...scopeUser(global), ...scopeUser(isolation), ...scopeUser(current), ...contextUser, ...event.user };
}

/**
 * A callback `captureContext` (`(scope) => scope.setUser(…)`) runs inside the SDK, after `preprocessEvent`. Its user
 * is what the merged event user gained over the scopes' user; an `ip_address` among it cannot be told apart from the
 * one the SDK derives from client-settable headers, so the trusted resolution keeps precedence there.
 */
function withCallbackUser(appSetUser: Record<string, unknown>, userAfter: unknown): Record<string, unknown> {
  if (userAfter === null || typeof userAfter !== 'object') return appSetUser;
  const merged = { ...appSetUser };
  for (const [key, value] of Object.entries(userAfter as Record<string, unknown>)) {
    if (key === 'ip_address' || value === undefined) continue;
    if (appSetUser[key] !== value) merged[key] = value;
  }
  return merged;
}

function safely(callback: (...args: never[]) => void): (...args: never[]) => void {
  return (...args) => {
    try {
      callback(...args);
    } catch {
      // Capture must survive anything we do: the item goes out as the SDK built it.
    }
  };
}

/**
 * The request of a segment span: the one tied to the isolation scope the span started in (it may end in another
 * request's context). A span that started in a scope that is no request's (the default one: on the fork path,
 * Express's instrumentation brings it back in handlers, so an app's own `startSpan` records it) takes the current
 * context's, as does one the SDK did not show ending. A request's own scope without a tie has no bound request; the
 * scope is returned still, for what the SDK knows of its request.
 */
function requestOfSegment(handle: SentryHandle, span: SpanJsonShape): { bound: BoundRequest | undefined; isolationScope: ScopeShape | undefined } {
  const started = isolationScopeOfEndingSegment(span);
  if (started === null) return { bound: undefined, isolationScope: undefined };
  if (started !== undefined) {
    const bound = boundRequestOf(started);
    if (bound !== undefined || carriesRequestMetadata(started)) return { bound, isolationScope: started };
    // Started in a scope no request owns: the request of the context it started in, if its start was seen.
    const startRequest = startRequestOfEndedSegment();
    if (startRequest !== undefined) return { bound: startRequest ?? undefined, isolationScope: handle.acs.getIsolationScope() };
  }
  return boundRequestInContext(handle) ?? { bound: undefined, isolationScope: handle.acs.getIsolationScope() };
}

/**
 * Whether a framework whose Sentry integration sets its header guess as the isolation scope's `user.ip_address` (Hono)
 * runs in this process: then a scope address an address header carries is not taken for the app's own on untied
 * items. (Sentry registers its Hono integration by default, used or not: the adapter in use tells, not the client.)
 */
let scopeMayHoldSdkGuess = false;

/** Called by a middleware made for such a framework (see `FrameworkAccess.sdkPutsAddressGuessOnScope`). */
export function noteSdkAddressGuessOnScope(): void {
  scopeMayHoldSdkGuess = true;
}

/** Installs, once per client, the hooks that do all the work when an event, span, log or metric is captured. */
export function ensureClientHooks(client: ClientShape, handle: SentryHandle): void {
  if (hookedClients.has(client)) return;
  hookedClients.add(client);
  const on = typeof client.on === 'function' ? client.on.bind(client) : undefined;
  if (on === undefined || typeof client.addEventProcessor !== 'function') return;

  // Before the SDK merges scopes and runs its processors: find the request and what the app set itself.
  on(
    'preprocessEvent',
    safely((event: SentryEventShape, hint: EventHintShape) => {
      if (hint === null || typeof hint !== 'object') return;
      const bound = boundRequestOfEvent(handle, event, hint);
      const metadata = event.sdkProcessingMetadata;
      const isolation = metadata?.capturedSpanIsolationScope ?? handle.acs.getIsolationScope();
      const current = metadata?.capturedSpanScope ?? handle.acs.getCurrentScope();
      if (bound === undefined) {
        // A request's event without its tie: the app's own withIsolationScope inside a handler (a clone of the
        // request's scope, which shares the SDK's copy of the request but not our tie), or a route before ours.
        const request = sdkRequestOfScope(isolation);
        if (request === undefined) return;
        const appSetIp = applicationSetUser(event, hint, current, isolation, handle.carrier.globalScope).ip_address;
        pendingByHint.set(hint, { bound: undefined, request, appSetIp });
        return;
      }
      const appSetUser = applicationSetUser(event, hint, current, isolation, handle.carrier.globalScope);
      const contextIsCallback = typeof hint.captureContext === 'function';
      // With a callback, appSetUser is the scopes' and the event's user alone: what the callback adds shows up later.
      pendingByHint.set(hint, { bound, facts: bound.captureFacts(isolation, handle), appSetUser, contextIsCallback });
    }),
  );

  // After the SDK's own processors (client processors run in order of registration, and integrations register at
  // init), so our trusted values can replace what the SDK derived from client-settable headers.
  const processor: EventProcessorShape = (event, hint) => {
    const pending = hint !== null && typeof hint === 'object' ? pendingByHint.get(hint) : undefined;
    if (pending === undefined) return event;
    pendingByHint.delete(hint);
    try {
      if (pending.bound === undefined) return withoutClientWrittenAddress(event, pending.request, pending.appSetIp, scopeMayHoldSdkGuess);
      const appSetUser = pending.contextIsCallback ? withCallbackUser(pending.appSetUser, event.user) : pending.appSetUser;
      return pending.bound.fillEvent(event, pending.facts, appSetUser, client);
    } catch {
      return event;
    }
  };
  processor.id = 'SentryRequestUser';
  client.addEventProcessor(processor);

  // @sentry/node 11 streams spans: scope users are already on the span here, so "set if missing" keeps them winning.
  // Both hooks run for every span: plain functions (no per-call wrapper), only segment spans do any work.
  if (client.getOptions().traceLifecycle === 'stream') {
    on('spanStart', (span: SpanShape) => {
      try {
        noteStartingSpan(span);
      } catch {
        // Unmarked: its segment JSON takes the context it ends in, as before.
      }
    });
    on('spanEnd', (span: SpanShape) => {
      try {
        noteEndingSpan(span);
      } catch {
        // An odd span: its segment JSON falls back to the current context below.
      }
    });
  }
  on('preprocessSpan', (span: SpanJsonShape) => {
    try {
      if (span === null || typeof span !== 'object' || span.is_segment !== true) return;
      const { bound, isolationScope } = requestOfSegment(handle, span);
      if (bound !== undefined && isolationScope !== undefined) {
        if (bound.fillSegmentSpan(span, isolationScope, client, handle)) (span as MarkedSpan)[kNoAddress] = true;
        (span as MarkedSpan)[kHadUserIp] = span.attributes?.['user.ip_address'] !== undefined;
        return;
      }
      // A request's segment without a tie: the address rules of untied events apply when the SDK's hook has run.
      const request = isolationScope === undefined ? undefined : sdkRequestOfScope(isolationScope);
      if (request !== undefined) (span as MarkedSpan)[kUntied] = { request, scopeIp: span.attributes?.['user.ip_address'] };
    } catch {
      // The span goes out as the SDK built it.
    }
  });

  // Runs after the SDK's request-data hook: an address it took from client-settable headers is removed, and with user
  // data off for the request every address, including the request-header attributes the SDK adds here.
  on(
    'processSegmentSpan',
    safely((span: SpanJsonShape) => {
      if (span === null || typeof span !== 'object') return;
      const attributes = span.attributes;
      if (attributes === undefined || attributes === null) return;
      if ((span as MarkedSpan)[kNoAddress] === true) {
        removeAddressAttributes(attributes);
        return;
      }
      if ((span as MarkedSpan)[kHadUserIp] === false) delete attributes['user.ip_address'];
      const untied = (span as MarkedSpan)[kUntied];
      const address = attributes['user.ip_address'];
      if (untied === undefined || address === undefined) return;
      // The SDK's hook read the request of the current context, which may be another's (a long poll): check both.
      const current = sdkRequestOfScope(handle.acs.getIsolationScope());
      let kept = untiedUserAddress(address, untied.request, untied.scopeIp, scopeMayHoldSdkGuess);
      if (kept !== undefined && current !== undefined) kept = untiedUserAddress(kept, current, untied.scopeIp, scopeMayHoldSdkGuess);
      if (kept === undefined) delete attributes['user.ip_address'];
      else attributes['user.ip_address'] = kept;
    }),
  );

  // Logs (@sentry/core ≥ 9) and metrics (≥ 10) take the scope user as attributes; a request's principal too.
  const fillTelemetry = safely((item: TelemetryItemShape) => {
    if (item === null || typeof item !== 'object') return;
    const found = boundRequestInContext(handle);
    if (found === undefined) return;
    const attributes = item.attributes ?? (item.attributes = {});
    found.bound.fillUserAttributes(attributes, found.isolationScope, client, handle);
  });
  on('beforeCaptureLog', fillTelemetry);
  on('processMetric', fillTelemetry);
}
