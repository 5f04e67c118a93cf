import { EventEmitter } from 'node:events';
import type { ParsedOptions } from '../options/parse-options.js';
import { ensureClientHooks, noteSdkAddressGuessOnScope } from '../sentry/client-hooks.js';
import { clientOfScope, currentClient, locateSentry, sdkKeepsPeer, type SentryHandle } from '../sentry/locate-sentry.js';
import { runInForkedScope, tieToScope } from '../sentry/request-registry.js';
import type { ClientShape, ScopeShape } from '../sentry/sdk-shapes.js';
import { EventFiller } from './event-filler.js';
import type { FrameworkAccess, ResponseLike } from './framework.js';
import { releaseOnFinish, requestOfCurrentContext, watchFinishedResponses } from './release-on-finish.js';
import { RequestTie } from './request-tie.js';

export { GET_USER_TIMEOUT_MS } from './principal-reader.js';

/** One middleware instance: the per-request step. Everything else happens when something is captured. */
export interface RequestBinder<Target> {
  /** Tie this request to its Sentry isolation scope (forking one if needed), then `next()`. */
  enter<R>(target: Target, next: () => R): R;
}

/**
 * Node's own `on`. With tracing on, the SDK binds each response's listeners to the request's scope (an own `on` on
 * the response that wraps every listener added after it, and re-enters the scope when it runs). The release needs no
 * scope, so it is added with the unwrapped method: no wrapper per request, no scope switch at close.
 */
const addNodeListener = EventEmitter.prototype.on;

/**
 * Arms the release where Node's finish channel cannot (HTTP/2, a request emitted without a connection): a listener for
 * the response's `close`. A request without a response we can watch (a core caller's test double) keeps its tie for as
 * long as the SDK keeps its scope.
 */
function releaseWhenClosed(tie: RequestTie<unknown>, response: ResponseLike | undefined): void {
  if (response === undefined || response === null) return;
  const release = (): void => {
    // A client that went away before the response was sent does not end the work its request started: the handler
    // still runs and holds the request anyway. Keep the tie live, so what it captures later still reads the request
    // (an async getUser included); the SDK's scope bounds how long. Aborted requests are rare; completed ones let go.
    if (response.writableFinished === false) return;
    tie.release(requestOfCurrentContext);
  };
  try {
    // `instanceof` reads no property of the response (Express's get a new hidden class per request: every read misses).
    if (response instanceof EventEmitter) addNodeListener.call(response, 'close', release);
    else if (typeof response.on === 'function') response.on('close', release);
  } catch {
    // A hostile response (a Proxy whose traps throw): the tie stays until the SDK lets go of the scope.
  }
}

/**
 * Builds the core of a middleware. The adapters wrap `enter` in their framework's signature and add nothing else.
 * Per request: one small tie object on the SDK's isolation scope; the framework object is let go of when the
 * response finishes.
 */
export function createRequestBinder<Target>(options: ParsedOptions, framework: FrameworkAccess<Target>): RequestBinder<Target> {
  const filler = new EventFiller(options, framework);
  const tieOnRequest = framework.nodeRequestsHaveOwnClass !== true;
  if (framework.sdkPutsAddressGuessOnScope === true) noteSdkAddressGuessOnScope();
  hookClientEarly(filler);
  let knownHandle: SentryHandle | undefined;
  let hookedClient: ClientShape | undefined;
  /** Whether to read the socket peer when a response finishes, for `knownHandle`'s SDK (see `sdkKeepsPeer`). */
  let readPeer = true;

  function response(target: Target): ResponseLike | undefined {
    try {
      return framework.response(target);
    } catch {
      return undefined;
    }
  }

  function nodeRequest(target: Target): unknown {
    try {
      return framework.request(target);
    } catch {
      return undefined;
    }
  }

  /**
   * Arms the tie's release: a Node HTTP/1 request is let go of when its response finishes, seen from the process-wide
   * finish channel (the tie on the request, or in a weak map for Express); any other (HTTP/2, a test double) through
   * a `close` listener.
   */
  function armRelease(tie: RequestTie<Target>, target: Target, mayDisplace = false): void {
    if (!releaseOnFinish(nodeRequest(target), tie as RequestTie<unknown>, tieOnRequest, mayDisplace)) releaseWhenClosed(tie as RequestTie<unknown>, response(target));
  }

  /** Ties the request to the scope the SDK made for it, or returns false when that scope is not provably its own. */
  function tieToSdkScope(handle: SentryHandle, isolationScope: ScopeShape, target: Target): boolean {
    const tie = new RequestTie(filler, target, false, readPeer);
    if (!tieToScope(handle, isolationScope, tie, target)) return false;
    armRelease(tie, target);
    return true;
  }

  function enterSlowly<R>(handle: SentryHandle, target: Target, next: () => R): R {
    const client = currentClient(handle);
    if (client === undefined) {
      knownHandle = undefined;
      return next();
    }
    if (client !== hookedClient) {
      ensureClientHooks(client, handle);
      filler.noteClient(client);
      hookedClient = client;
    }
    if (tieToSdkScope(handle, handle.acs.getIsolationScope(), target)) return next();
    const tie = new RequestTie(filler, target, true, false);
    rememberPeer(framework, target);
    // A scope that already holds a live tie for another framework object: the request may be an outer app's too.
    armRelease(tie, target, true);
    const caughtError = framework.caughtError;
    return runInForkedScope(handle, tie, next, caughtError === undefined ? undefined : () => caughtError(target));
  }

  return {
    enter<R>(target: Target, next: () => R): R {
      let handle = knownHandle;
      if (handle === undefined) {
        handle = locateSentry();
        if (handle === undefined) return next();
        knownHandle = handle;
        readPeer = !sdkKeepsPeer(handle);
        watchFinishedResponses(handle);
      }
      // Fast path: the SDK made this request's isolation scope and put its client on it (@sentry/node ≥ 9).
      const isolationScope = handle.acs.getIsolationScope();
      if (hookedClient !== undefined && clientOfScope(isolationScope) === hookedClient && tieToSdkScope(handle, isolationScope, target)) return next();
      return enterSlowly(handle, target, next);
    },
  };
}

/**
 * Where Sentry is already initialised, its client is hooked when the middleware is made, not at the first request
 * through it: events of routes before it (a health check) have the SDK's header guess removed from the start.
 */
function hookClientEarly(filler: EventFiller<unknown>): void {
  try {
    const handle = locateSentry();
    const client = handle === undefined ? undefined : currentClient(handle);
    if (handle !== undefined && client !== undefined) {
      ensureClientHooks(client, handle);
      filler.noteClient(client);
    }
  } catch {
    // The first request tries again.
  }
}

/**
 * Node forgets a socket's peer address once the connection closes, unless it was read before (then it is cached on
 * the socket). The SDK's HTTP instrumentation reads it for every request; where that instrumentation is not active
 * we read it once, so an event processed after the client hung up still has its address.
 */
function rememberPeer<Target>(framework: FrameworkAccess<Target>, target: Target): void {
  try {
    void framework.request(target)?.socket?.remoteAddress;
  } catch {
    // A request without a readable socket simply has no peer.
  }
}
