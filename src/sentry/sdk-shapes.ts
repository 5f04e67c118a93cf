/**
 * The few parts of @sentry/core (8 to 11) the binding touches, written structurally. We never import the SDK: we
 * talk to the instance the application initialised through its global carrier, so a second copy or another major
 * of @sentry/core in node_modules can never be picked by mistake.
 */
export interface SentryUserShape {
  ip_address?: unknown;
  [key: string]: unknown;
}

export interface SentryEventShape {
  type?: string;
  user?: SentryUserShape;
  request?: Record<string, unknown> & { env?: Record<string, unknown>; headers?: Record<string, unknown>; cookies?: unknown };
  sdkProcessingMetadata?: { capturedSpanScope?: ScopeShape; capturedSpanIsolationScope?: ScopeShape; [key: string]: unknown };
  [key: string]: unknown;
}

export interface EventHintShape {
  originalException?: unknown;
  captureContext?: unknown;
  [key: string]: unknown;
}

export interface SpanJsonShape {
  is_segment?: boolean;
  attributes?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * A span as `spanEnd` hands it over (@sentry/core ≥ 8). The SDK keeps, on the span, the isolation scope it started in
 * (`_sentryIsolationScope`, a WeakRef where there are WeakRefs) and, on a child span, its segment (`_sentryRootSpan`).
 */
export interface SpanShape {
  spanContext?(): { spanId?: unknown; traceFlags?: unknown };
  _sentryRootSpan?: unknown;
  _sentryIsolationScope?: unknown;
}

export interface ScopeShape {
  getClient?(): ClientShape | undefined;
  getUser?(): SentryUserShape | undefined;
  /** @sentry/core ≥ 8: the scope's data, with the SDK's per-request `sdkProcessingMetadata`. */
  getScopeData?(): { sdkProcessingMetadata?: Record<string, unknown> };
  setSDKProcessingMetadata?(data: Record<string, unknown>): unknown;
}

/** What the SDK keeps about the request on its isolation scope (`sdkProcessingMetadata`). */
export interface ProcessingMetadataShape {
  /** @sentry/core ≥ 8.x: a copy of the request's url, method and headers. */
  normalizedRequest?: { headers?: Record<string, unknown>; method?: unknown; url?: unknown };
  /** The socket peer, read when the request came in. */
  ipAddress?: unknown;
  /** Early @sentry/node 8: the Node request itself. */
  request?: unknown;
}

/** A collect-or-not switch of `dataCollection`: a boolean, or an allow / deny list of names. */
export type CollectBehaviorShape = boolean | { allow?: unknown; deny?: unknown };

/** `client.getDataCollectionOptions()`: @sentry/node 11 (`urlQueryParams`) and late 10.x (`queryParams`). */
export interface DataCollectionShape {
  userInfo?: unknown;
  cookies?: CollectBehaviorShape;
  httpHeaders?: { request?: CollectBehaviorShape } | CollectBehaviorShape;
  urlQueryParams?: CollectBehaviorShape;
  queryParams?: CollectBehaviorShape;
}

/** A log (`beforeCaptureLog`) or metric (`processMetric`) before it is serialised. */
export interface TelemetryItemShape {
  attributes?: Record<string, unknown>;
}

export interface ClientOptionsShape {
  debug?: boolean;
  /** @sentry/core ≥ 10.x: `'stream'` sends spans as they end (the default from @sentry/node 11). */
  traceLifecycle?: unknown;
  sendDefaultPii?: boolean;
  dataCollection?: DataCollectionShape;
}

export type EventProcessorShape = ((event: SentryEventShape, hint: EventHintShape) => unknown) & { id?: string };

export interface ClientShape {
  getOptions(): ClientOptionsShape;
  /** @sentry/core ≥ 10.x: the resolved data-collection settings. */
  getDataCollectionOptions?(): DataCollectionShape | undefined;
  addEventProcessor?(processor: EventProcessorShape): void;
  getIntegrationByName?(name: string): unknown;
  on?(hook: string, callback: (...args: never[]) => void): unknown;
}

/** One SDK version's async context strategy (`__SENTRY__[version].acs`). */
export interface AsyncContextStrategyShape {
  getCurrentScope(): ScopeShape;
  getIsolationScope(): ScopeShape;
  withIsolationScope<T>(callback: (isolationScope: ScopeShape) => T): T;
}

/** One SDK version's slot in `globalThis.__SENTRY__`. */
export interface VersionCarrierShape {
  acs?: AsyncContextStrategyShape;
  defaultIsolationScope?: ScopeShape;
  globalScope?: ScopeShape;
  /** @sentry/core 8–9 debug logger. */
  logger?: { warn?: (...args: unknown[]) => void };
  /** @sentry/core ≥ 10 debug logger switch. */
  loggerSettings?: { enabled?: boolean };
}
