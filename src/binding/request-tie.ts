import type { ClientIpResolution } from '../resolve-client-ip.js';
import type { RequestLike } from '../request-like.js';
import type { SentryHandle } from '../sentry/locate-sentry.js';
import { boundRequestOfContext, letGoOfSdkRequest, type BoundRequest, type CapturedFacts } from '../sentry/request-registry.js';
import { sdkRequestIdentityOf, sdkRequestOfScope } from '../sentry/sdk-request.js';
import type { ClientShape, ScopeShape, SentryEventShape, SpanJsonShape } from '../sentry/sdk-shapes.js';
import { isThenable } from '../util/is-thenable.js';
import { readProperty } from '../util/read-property.js';
import { trustNothing } from '../ip/trust.js';
import type { EventFiller, RequestFacts, RequestNeed } from './event-filler.js';
import type { FrameworkAccess } from './framework.js';
import type { PrincipalReader } from './principal-reader.js';

/** Where nothing could be kept about the trust setting: believe no header. */
const NO_TRUST: ClientIpResolution = { trust: trustNothing, forwardedHeader: 'x-forwarded-for', clientIpHeader: undefined };

/** Whether two isolation scopes hold the same SDK copy of a request (one cloned from the other). */
function sharesSdkRequest(a: ScopeShape, b: ScopeShape): boolean {
  const request = sdkRequestIdentityOf(a);
  return request !== undefined && request === sdkRequestIdentityOf(b);
}

/** A principal that cannot be compared (a released request of another middleware). */
const NOT_COMPARABLE = Symbol('not comparable');

/**
 * Reads the request whose async context this is: `undefined` for none, `null` where it cannot be read or is a request's
 * that holds no tie.
 */
export type ContextRequestReader = () => BoundRequest | null | undefined;

/**
 * One request's tie to its Sentry isolation scope. Holds the framework object while the request runs and lets go of
 * it once the response has finished, keeping only the principal and the trust resolution: the SDK keeps the scope (and so
 * this tie) alive well after the response (@sentry/node 11: ≥ 500 ms per request), and a reference to the request
 * from there would keep its whole object graph alive and promote it to the old generation.
 */
export class RequestTie<Target> implements BoundRequest {
  private target: Target | undefined;
  /**
   * What an async `getUser` settled with, or the principal read when the request ended: as `EventFiller.keptPrincipal`
   * keeps it (the User it maps to, unless there is a `mapUser`).
   */
  private principal: unknown = undefined;
  /**
   * Kept when the request ended (fields, not an object: nothing more is allocated per request); set exactly when
   * `keep` ran.
   */
  private resolution: ClientIpResolution | undefined = undefined;
  /** Kept when the request ended, on the fork path only (no SDK copy of the request to read later). */
  private detachedRequest: RequestLike | undefined = undefined;
  /**
   * The socket peer, kept when the request ended: @sentry/node 8 keeps no `ipAddress` of its own. `null`: not to be
   * read (the SDK keeps it; a read on an Express request misses V8's caches).
   */
  private peer: string | undefined | null;
  /**
   * Whether the request runs in a scope we forked (no SDK copy of the request to read after it ended), and which one
   * once known. One field: this object is kept per request for as long as the SDK keeps the scope.
   */
  private fork: ScopeShape | boolean;
  constructor(
    private readonly filler: EventFiller<Target>,
    target: Target,
    forked: boolean,
    readPeer: boolean,
  ) {
    this.target = target;
    this.fork = forked;
    this.peer = readPeer ? undefined : null;
  }

  get released(): boolean {
    return this.target === undefined;
  }

  isFor(target: unknown): boolean {
    return this.target === target;
  }

  /**
   * The response closed (the `close` listener of a request Node's finish channel does not report: HTTP/2, no Node
   * socket): keep what later events need, then drop the framework object. Nothing here may throw.
   */
  release(contextRequest: ContextRequestReader): void {
    this.keep(contextRequest);
    this.letGo();
  }

  /**
   * The response finished: read, in the async context it finished in (the request's own, unless the app ended it from
   * another), what events captured after the tie lets go will need — the principal (a synchronous `getUser` may read
   * the app's async context), the trust resolution, and on the
   * fork path a copy of the request (on SDK 8 the peer). The framework object stays until `letGo`, so the app's own
   * `finish`/`close` listeners and the segment span the SDK ends after this still read the live request (`mapUser`
   * gets `req`, an async `getUser` is called). `contextRequest` names the request whose async context this is: a
   * `getUser` called in another request's may read that request's user (see `principalInContextOf`). Runs once;
   * nothing here may throw.
   */
  keep(contextRequest?: ContextRequestReader): void {
    const target = this.target;
    if (target === undefined || this.resolution !== undefined) return;
    try {
      if (this.principal === undefined) this.principal = this.filler.keptPrincipal(this.principalAtRelease(target, contextRequest));
      if (this.fork !== false) this.detachedRequest = detachRequest(this.filler.framework, target, false);
      else if (this.peer === undefined) this.peer = peerOf(this.filler.framework.request(target));
      this.resolution = this.filler.resolutionFor(target);
    } catch {
      // A framework object that throws on reads: later events go without what could not be read.
    }
    if (this.resolution === undefined) this.resolution = NO_TRUST;
  }

  /**
   * Whether something filled after the response finished would still read the framework object: `mapUser` gets it,
   * a `getUser` is called with it while the request is live (and a synchronous one answers for this request when
   * another request's response finishes in its async context, see `principalInContextOf`), and on a scope we forked
   * `letGo` also takes the SDK's request data off the scope. Otherwise what `keep` read is all later fills use.
   */
  get readsRequestAfterFinish(): boolean {
    return this.fork !== false || this.filler.hasMapUser || this.filler.reader.hasGetUser;
  }

  /** Drops the framework object, after `keep`. On a scope we forked, also what the SDK put there about the request. */
  letGo(): void {
    const target = this.target;
    if (target === undefined) return;
    this.target = undefined;
    const scope = this.fork;
    if (typeof scope !== 'object') return;
    this.fork = true;
    try {
      letGoOfSdkRequest(scope, target, this.filler.framework.request(target), this.detachedRequest);
    } catch {
      // A scope that refuses the write keeps what the SDK put there, as it would without us.
    }
  }

  /**
   * A response finished: whether it answered this tie's (live) request; if so, `keep` now. `response`, where given, also
   * names it: an app may hand the framework a Proxy of the Node request (never equal to the one Node reports), while
   * the response is Node's own.
   */
  keepIfServing(nodeRequest: unknown, contextRequest?: ContextRequestReader, response?: unknown): boolean {
    const target = this.target;
    if (target === undefined || nodeRequest === undefined || nodeRequest === null) return false;
    try {
      const framework = this.filler.framework;
      if (framework.request(target) !== nodeRequest && (response === undefined || response === null || framework.response(target) !== response)) return false;
    } catch {
      return false;
    }
    this.keep(contextRequest);
    return true;
  }

  /** The principal kept when the response finished, read by the detection chain or a synchronous `getUser`. */
  private principalAtRelease(target: Target, contextRequest: ContextRequestReader | undefined): unknown {
    const reader = this.filler.reader;
    if (!reader.callsGetUserAtRelease || contextRequest === undefined) return reader.readAtRelease(target);
    const other = contextRequest();
    if (other === undefined || other === this) return reader.readAtRelease(target);
    return other instanceof RequestTie ? this.principalInContextOf(other, target) : undefined;
  }

  /**
   * A synchronous `getUser`'s answer for this request, called in `other`'s async context: believed only where it is
   * known to read the request — `other`'s answer in the same context names another user (compared as the User we would
   * send: a `getUser` that reads the app's async context answers both alike, also with a fresh object each call). Once
   * shown, that holds for the reader from then on (two tabs of one user answer alike too). `undefined` where not
   * believed or not known (an async `getUser` is not called here: what it settles with could not be compared).
   */
  private principalInContextOf(other: RequestTie<unknown>, target: Target): unknown {
    const reader = this.filler.reader;
    const principal = reader.readAtRelease(target);
    if (principal === undefined || principal === null || reader.getUserReadsRequest) return principal ?? undefined;
    if (other.filler.framework !== this.filler.framework) return undefined;
    const live = !other.released;
    const theirs = other.answerOf(reader);
    if (theirs === NOT_COMPARABLE || this.filler.sameKeptUser(theirs, principal)) return undefined;
    // Two answers in one context that differ: shown for good (a kept answer was read elsewhere, so it shows less).
    if (live) reader.noteGetUserReadsRequest();
    return principal;
  }

  /**
   * What `reader` (this middleware's or another's of the same framework) answers for this request now; once released,
   * the principal it kept, where there is one to compare with.
   */
  private answerOf(reader: PrincipalReader<unknown>): unknown {
    const target = this.target;
    if (target !== undefined) return reader.readAtRelease(target);
    const kept = this.principal;
    return this.filler.reader === (reader as unknown) && kept !== undefined && kept !== null ? kept : NOT_COMPARABLE;
  }

  /**
   * The request of the current async context when it is another one than this (only asked with a `getUser`); `null`
   * for one that cannot be told — a request's scope without a tie, unless it is a clone of `ownScope` (the app's own
   * `withIsolationScope` shares the SDK's copy of the request with the scope it cloned).
   */
  private otherRequestInContext(handle: SentryHandle, ownScope: ScopeShape): RequestTie<unknown> | null | undefined {
    try {
      const bound = boundRequestOfContext(handle.acs);
      if (bound === undefined || bound === this) return undefined;
      if (bound === null) return sharesSdkRequest(handle.acs.getIsolationScope(), ownScope) ? undefined : null;
      return bound instanceof RequestTie ? bound : null;
    } catch {
      return null;
    }
  }

  /** The principal for a capture while the request is live (`wait`: an event, which may wait for an async `getUser`). */
  private livePrincipal(target: Target, handle: SentryHandle, isolationScope: ScopeShape, wait: boolean): unknown {
    const reader = this.filler.reader;
    const other = reader.hasGetUser ? this.otherRequestInContext(handle, isolationScope) : undefined;
    if (other === undefined) {
      const principal = reader.read(target, handle, this.settler());
      return !wait && isThenable(principal) ? this.principal : principal;
    }
    // Another request's context (a long poll's segment span ended by the request that answered it): never a promise
    // whose answer would be kept as this request's.
    return (other === null ? undefined : this.principalInContextOf(other, target)) ?? this.principal;
  }

  ranInForkedScope(scope: ScopeShape): void {
    this.fork = scope;
  }

  /** A callback for an async `getUser`: made at event time only, never per request. */
  private settler(): (principal: unknown) => void {
    return (principal) => {
      // Also after the request ended: a lookup that settles late is still this request's principal.
      if (principal !== undefined && principal !== null) this.principal = this.filler.keptPrincipal(principal);
    };
  }

  /**
   * Facts for a capture: live from the framework object, or what was kept plus the SDK's own copy of the request.
   * `principal` may be a promise here (an async `getUser` started at capture time, while the request is alive).
   */
  private facts(handle: SentryHandle, isolationScope: ScopeShape, wait: boolean, need: RequestNeed = 'whole'): RequestFacts {
    const target = this.target;
    if (target !== undefined) {
      const framework = this.filler.framework;
      const principal = this.livePrincipal(target, handle, isolationScope, wait);
      // An event may be processed later (async processors, an async getUser): what it keeps must not be the request
      // object. Spans, logs and metrics are filled right away and may read the live request.
      const request = need === 'none'
        ? undefined
        : wait
          ? detachRequest(framework, target, true)
          : liveRequest(framework.request(target), framework.originalUrl?.(target));
      const mapUserArgument = wait && !this.filler.hasMapUser ? undefined : framework.mapUserArgument(target);
      return { principal, request, resolution: this.filler.resolutionFor(target), mapUserArgument };
    }
    const request = need === 'none' ? undefined : (this.detachedRequest ?? sdkRequestOfScope(isolationScope, this.peer ?? undefined, need === 'address'));
    return { principal: this.principal, request, resolution: this.resolution ?? NO_TRUST, mapUserArgument: request };
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

  fillSegmentSpan(span: SpanJsonShape, isolationScope: ScopeShape, client: ClientShape, handle: SentryHandle): boolean {
    // Of the SDK's copy of the request only what the fill reads is built (see `segmentRequestNeed`).
    return this.filler.fillSegmentSpan(span, this.facts(handle, isolationScope, false, this.filler.segmentRequestNeed(client)), client);
  }

  fillUserAttributes(attributes: Record<string, unknown>, isolationScope: ScopeShape, client: ClientShape, handle: SentryHandle): void {
    this.filler.fillUserAttributes(attributes, this.facts(handle, isolationScope, false), client);
  }
}

/** The socket peer, read so that the Node socket caches it (it forgets an unread peer once the connection closes). */
function peerOf(req: RequestLike | undefined): string | undefined {
  const peer = readProperty(readProperty(req, 'socket'), 'remoteAddress');
  return typeof peer === 'string' ? peer : undefined;
}

/**
 * The Node request, with the URL as the client sent it where the framework rewrote `url` (Koa mounts). Its
 * `headersDistinct` only where there are no raw header lines to read instead: Node builds it on first read, and with
 * tracing this runs for every request's segment span.
 */
function liveRequest(req: RequestLike | undefined, originalUrl: string | undefined): RequestLike | undefined {
  if (req === undefined || req === null || originalUrl === undefined || originalUrl === req.originalUrl) return req;
  const rawHeaders = req.rawHeaders;
  return {
    headers: req.headers,
    headersDistinct: distinctHeadersUnlessRaw(req, rawHeaders),
    rawHeaders,
    socket: req.socket,
    method: req.method,
    url: req.url,
    originalUrl,
  };
}

/**
 * `headersDistinct`, a getter Node builds on first read, only where there are no raw header lines: they are what a
 * single-value header is read from (`readSingleHeader`), and the only reader of either.
 */
function distinctHeadersUnlessRaw(req: RequestLike, rawHeaders: unknown): RequestLike['headersDistinct'] {
  return Array.isArray(rawHeaders) ? undefined : req.headersDistinct;
}

/**
 * A copy of what resolution and the Request interface read, without the request object itself. `headersDistinct`
 * (see `distinctHeadersUnlessRaw`) for a captured event only, never per request when a response finishes.
 */
function detachRequest<Target>(framework: FrameworkAccess<Target>, target: Target, withDistinctHeaders: boolean): RequestLike | undefined {
  try {
    const req = framework.request(target);
    if (req === undefined || req === null) return undefined;
    const socket = req.socket;
    const rawHeaders = req.rawHeaders;
    return {
      headers: req.headers,
      headersDistinct: withDistinctHeaders ? distinctHeadersUnlessRaw(req, rawHeaders) : undefined,
      rawHeaders,
      socket: { remoteAddress: socket?.remoteAddress, encrypted: socket?.encrypted },
      method: req.method,
      url: framework.originalUrl?.(target) ?? req.originalUrl ?? req.url,
    };
  } catch {
    return undefined;
  }
}
