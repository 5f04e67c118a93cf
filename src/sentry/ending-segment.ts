import { readProperty } from '../util/read-property.js';
import { boundRequestInStorage, boundRequestOf, carriesRequestMetadata, type BoundRequest } from './request-registry.js';
import type { ScopeShape, SpanJsonShape, SpanShape } from './sdk-shapes.js';

/**
 * On a segment span that started in an isolation scope no request owns (the default one): the request of the context
 * it started in (fork path: our own storage, as Express's instrumentation brings the default scope back in handlers),
 * or `null` — started outside every request (a background job's span at boot), so never a request's user, whichever
 * request ends it.
 */
const kStartRequest = Symbol('sentry-request-user.startRequest');
type SpanWithStart = SpanShape & { [kStartRequest]?: BoundRequest | null };

/**
 * The segment span the SDK is ending right now, and the isolation scope it started in. @sentry/core emits `spanEnd`
 * with the span, then serialises it and emits `preprocessSpan` with the JSON alone — synchronously, in whatever async
 * context ended it: a long poll answered by another request ends in that request's context. So the scope is taken
 * from the span, as the SDK itself does for the span's scope data. Kept as the SDK keeps it (a WeakRef): nothing is
 * held past the span.
 */
let endingSegmentId: unknown;
let endingSegmentScopeRef: unknown;
let endingSegmentStartRequest: BoundRequest | null | undefined;
/** The start request of the segment `isolationScopeOfEndingSegment` last matched, until `startRequestOfEndedSegment`. */
let lastStartRequest: BoundRequest | null | undefined;

/** `spanStart`: runs for every span; marks only segments that start in a scope no request owns (see `kStartRequest`). */
export function noteStartingSpan(span: SpanShape): void {
  if (span === null || typeof span !== 'object') return;
  const root = readProperty(span, '_sentryRootSpan');
  if (root !== undefined && root !== span) return;
  const scope = derefScope(readProperty(span, '_sentryIsolationScope'));
  if (scope === undefined || boundRequestOf(scope) !== undefined || carriesRequestMetadata(scope)) return;
  (span as SpanWithStart)[kStartRequest] = boundRequestInStorage() ?? null;
}

/** `spanEnd`: runs for every span; remembers segment spans only (a property read for the others). */
export function noteEndingSpan(span: SpanShape): void {
  if (span === null || typeof span !== 'object') return;
  // `readProperty`: spans come in several classes (root, child, non-recording); these fields are not on every one.
  const root = readProperty(span, '_sentryRootSpan');
  if (root !== undefined && root !== span) return;
  endingSegmentId = typeof span.spanContext === 'function' ? span.spanContext().spanId : undefined;
  endingSegmentScopeRef = readProperty(span, '_sentryIsolationScope');
  endingSegmentStartRequest = (span as SpanWithStart)[kStartRequest];
}

/**
 * After `isolationScopeOfEndingSegment` named a scope no request owns: the request of the context the segment started
 * in, `null` for none, `undefined` where its start was not seen.
 */
export function startRequestOfEndedSegment(): BoundRequest | null | undefined {
  const startRequest = lastStartRequest;
  lastStartRequest = undefined; // read once: no tie is held from one segment to the next
  return startRequest;
}

/**
 * `preprocessSpan` of a segment span: the isolation scope it started in, `null` when the span is known but its scope
 * is not (then nothing is filled: the current context may be another request's), or `undefined` when the span was not
 * seen ending (an SDK that ends spans another way), where the caller falls back to the current context.
 */
export function isolationScopeOfEndingSegment(span: SpanJsonShape): ScopeShape | null | undefined {
  if (endingSegmentId === undefined || span.span_id !== endingSegmentId) return undefined;
  const ref = endingSegmentScopeRef;
  lastStartRequest = endingSegmentStartRequest;
  endingSegmentId = undefined;
  endingSegmentScopeRef = undefined;
  endingSegmentStartRequest = undefined;
  return derefScope(ref) ?? null;
}

function derefScope(ref: unknown): ScopeShape | undefined {
  if (ref === null || typeof ref !== 'object') return undefined;
  if (ref instanceof WeakRef) return ref.deref() as ScopeShape | undefined;
  return ref as ScopeShape;
}
