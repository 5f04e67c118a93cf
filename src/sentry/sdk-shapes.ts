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

export interface ScopeShape {
  getClient?(): ClientShape | undefined;
  getUser?(): SentryUserShape | undefined;
}

export interface ClientOptionsShape {
  debug?: boolean;
  sendDefaultPii?: boolean;
  dataCollection?: { userInfo?: boolean };
}

export type EventProcessorShape = ((event: SentryEventShape, hint: EventHintShape) => unknown) & { id?: string };

export interface ClientShape {
  getOptions(): ClientOptionsShape;
  /** @sentry/core ≥ 10.x: the resolved data-collection settings. */
  getDataCollectionOptions?(): { userInfo?: boolean } | undefined;
  addEventProcessor?(processor: EventProcessorShape): void;
  on?(hook: string, callback: (...args: never[]) => void): unknown;
}

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
