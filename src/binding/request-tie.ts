import type { ClientIpResolution } from '../resolve-client-ip.js';
import type { RequestLike } from '../request-like.js';
import type { SentryHandle } from '../sentry/locate-sentry.js';
import type { BoundRequest, CapturedFacts } from '../sentry/request-registry.js';
import type { ClientShape, ProcessingMetadataShape, ScopeShape, SentryEventShape, SpanJsonShape } from '../sentry/sdk-shapes.js';
import { isThenable } from '../util/is-thenable.js';
import type { EventFiller, RequestFacts } from './event-filler.js';

/** What the tie keeps once its request has ended: small values, never the framework object. */
interface ReleasedState {
  principal: unknown;
  resolution: ClientIpResolution;
  /** Only on the fork path (no SDK request metadata to fall back on): the headers, peer, method and URL. */
  request: RequestLike | undefined;
}

/**
 * One request's tie to its Sentry isolation scope. Holds the framework object while the request runs and lets go of
 * it when the response closes, keeping only the principal and the trust resolution: the SDK keeps the scope (and so
 * this tie) alive well after the response (@sentry/node 11: ≥ 500 ms per request), and a reference to the request
 * from there would keep its whole object graph alive and promote it to the old generation.
 */
export class RequestTie<Target> implements BoundRequest {
  private target: Target | undefined;
  private releasedState: ReleasedState | undefined;
  /** What an async `getUser` settled with, for synchronous captures later in the request. */
  private settledPrincipal: unknown;
  /** Whether the request runs in a scope we forked (no SDK request metadata). */
  forked = false;

  constructor(
    private readonly filler: EventFiller<Target>,
    target: Target,
  ) {
    this.target = target;
  }

  get released(): boolean {
    return this.target === undefined;
  }

  isFor(target: unknown): boolean {
    return this.target === target;
  }

  /** The response closed: keep what later events need, drop the framework object. Runs once per request. */
  release(): void {
    const target = this.target;
    if (target === undefined) return;
    const principal = this.settledPrincipal !== undefined ? this.settledPrincipal : this.filler.reader.readAtRelease(target);
    this.releasedState = {
      principal,
      resolution: this.filler.resolutionFor(target),
      request: this.forked ? detachRequest(this.filler.framework.request(target), this.filler.framework.originalUrl?.(target)) : undefined,
    };
    this.target = undefined;
  }

  /** A callback for an async `getUser`: made at event time only, never per request. */
  private settler(): (principal: unknown) => void {
    return (principal) => {
      this.settledPrincipal = principal;
    };
  }

  /**
   * Facts for a capture: live from the framework object, or what was kept plus the SDK's own copy of the request.
   * `principal` may be a promise here (an async `getUser` started at capture time, while the request is alive).
   */
  private facts(handle: SentryHandle, isolationScope: ScopeShape, wait: boolean): RequestFacts {
    const target = this.target;
    if (target !== undefined) {
      const framework = this.filler.framework;
      let principal = this.filler.reader.read(target, handle, this.settler());
      if (!wait && isThenable(principal)) principal = this.settledPrincipal;
      const request = liveRequest(framework.request(target), framework.originalUrl?.(target));
      return { principal, request, resolution: this.filler.resolutionFor(target), mapUserArgument: framework.mapUserArgument(target) };
    }
    const state = this.releasedState as ReleasedState;
    const request = state.request ?? requestFromMetadata(scopeMetadata(isolationScope));
    return { principal: state.principal, request, resolution: state.resolution, mapUserArgument: request };
  }

  captureFacts(isolationScope: ScopeShape, handle: SentryHandle): CapturedFacts {
    return this.facts(handle, isolationScope, true);
  }

  fillEvent(event: SentryEventShape, captured: CapturedFacts, appSetUser: Readonly<Record<string, unknown>>, client: ClientShape): SentryEventShape | PromiseLike<SentryEventShape> {
    const facts = captured as RequestFacts;
    if (isThenable(facts.principal)) {
      return Promise.resolve(facts.principal).then((principal) => this.filler.fillEvent(event, { ...facts, principal }, appSetUser, client));
    }
    return this.filler.fillEvent(event, facts, appSetUser, client);
  }

  fillSegmentSpan(span: SpanJsonShape, isolationScope: ScopeShape, client: ClientShape, handle: SentryHandle): void {
    this.filler.fillSegmentSpan(span, this.facts(handle, isolationScope, false), client);
  }

  fillUserAttributes(attributes: Record<string, unknown>, isolationScope: ScopeShape, client: ClientShape, handle: SentryHandle): void {
    this.filler.fillUserAttributes(attributes, this.facts(handle, isolationScope, false), client);
  }
}

/** The Node request, with the URL as the client sent it where the framework rewrote `url` (Koa mounts). */
function liveRequest(req: RequestLike, originalUrl: string | undefined): RequestLike {
  if (originalUrl === undefined || originalUrl === req.originalUrl) return req;
  return {
    headers: req.headers,
    headersDistinct: req.headersDistinct,
    rawHeaders: req.rawHeaders,
    socket: req.socket,
    method: req.method,
    url: req.url,
    originalUrl,
  };
}

/** A copy of what resolution and the Request interface read, without the request object itself. */
function detachRequest(req: RequestLike, originalUrl: string | undefined): RequestLike | undefined {
  try {
    const socket = req.socket;
    return {
      headers: req.headers,
      socket: { remoteAddress: socket?.remoteAddress, encrypted: socket?.encrypted },
      method: req.method,
      url: originalUrl ?? req.originalUrl ?? req.url,
    };
  } catch {
    return undefined;
  }
}

function scopeMetadata(scope: ScopeShape): ProcessingMetadataShape | undefined {
  try {
    return scope.getScopeData?.().sdkProcessingMetadata as ProcessingMetadataShape | undefined;
  } catch {
    return undefined;
  }
}

/**
 * After the request ended: the SDK's own copy of it on the isolation scope (`normalizedRequest` and the socket peer
 * `ipAddress`; early 8.x kept the request itself).
 */
function requestFromMetadata(metadata: ProcessingMetadataShape | undefined): RequestLike | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  const normalized = metadata.normalizedRequest;
  if (normalized !== undefined && normalized !== null && typeof normalized.headers === 'object' && normalized.headers !== null) {
    return {
      headers: normalized.headers as RequestLike['headers'],
      socket: { remoteAddress: typeof metadata.ipAddress === 'string' ? metadata.ipAddress : undefined },
      method: typeof normalized.method === 'string' ? normalized.method : undefined,
      url: pathOf(normalized.url),
    };
  }
  const request = metadata.request as RequestLike | undefined;
  return request !== undefined && request !== null && typeof request === 'object' && typeof request.headers === 'object' ? request : undefined;
}

/** `https://host/path?q` → `/path?q`: the SDK keeps an absolute URL; the Request interface is built from the path. */
function pathOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  if (url.startsWith('/')) return url;
  const scheme = url.indexOf('://');
  if (scheme === -1) return undefined;
  const slash = url.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}
