export interface ReceivedItem {
  type: string;
  header: Record<string, unknown>;
  payload: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- envelopes carry arbitrary JSON
}
export interface EnvelopeReceiver {
  dsn: string;
  port: number;
  items: ReceivedItem[];
  /** Error, message and transaction event payloads. */
  events(): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Streamed span payloads (@sentry/node 11 `span` items), flattened. */
  spans(): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Log payloads (`log` items), flattened. */
  logs(): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Metric payloads (`trace_metric` items), flattened. */
  metrics(): any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  setMode(mode: 'ok' | 'error' | 'ratelimit'): void;
  waitFor(predicate: (items: ReceivedItem[]) => boolean, timeoutMs?: number): Promise<ReceivedItem[]>;
  close(): Promise<void>;
}
export function startEnvelopeReceiver(options?: {
  port?: number;
  host?: string;
  log?: (item: ReceivedItem) => void;
  /** Every raw (decompressed) envelope body, e.g. to forward it. */
  onEnvelope?: (body: Buffer) => void;
}): Promise<EnvelopeReceiver>;
export function parseEnvelope(body: Buffer): { header: Record<string, unknown>; items: ReceivedItem[] };
