import { subscribe } from 'node:diagnostics_channel';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { SentryHandle } from '../sentry/locate-sentry.js';
import { boundRequestOf, boundRequestOfContext, type BoundRequest } from '../sentry/request-registry.js';
import type { AsyncContextStrategyShape } from '../sentry/sdk-shapes.js';
import { readProperty } from '../util/read-property.js';
import { RequestTie } from './request-tie.js';

/**
 * Node publishes every finished HTTP/1 server response here (`{ request, response, socket, server }`), from the
 * response's first `finish` listener: before the app's own `finish` and `close` listeners.
 */
const RESPONSE_FINISH_CHANNEL = 'http.server.response.finish';

/** A base class whose constructor returns the object it is given: a subclass's fields are then added to that object. */
const ReturnTheObject = function returnTheObject(object: object): object {
  return object;
} as unknown as new (object: object) => object;

/**
 * The tie as a private field of the request (a class field added to an existing object, by the base class that returns
 * it): invisible to `util.inspect`/`console.log(req)`, spread, `Object.assign` and every key listing — the tie holds
 * the principal after the response (a symbol-keyed property printed it with the request). Costs a few ns more than a
 * plain property; `Object.defineProperty` (non-enumerable) cost ~50 ×.
 */
class RequestStamp extends ReturnTheObject {
  #tie: RequestTie<unknown> | undefined;
  private constructor(request: object, tie: RequestTie<unknown>) {
    super(request);
    this.#tie = tie;
  }

  static put(request: object, tie: RequestTie<unknown>): void {
    if (#tie in request) (request as RequestStamp).#tie = tie;
    else new RequestStamp(request, tie);
  }

  static tieOf(request: object): RequestTie<unknown> | undefined {
    return #tie in request ? (request as RequestStamp).#tie : undefined;
  }
}

/**
 * The tie of each Node request whose release rides the finish channel, found from the request (the channel's message
 * carries it): a private field of the request itself where its hidden class is shared (Koa, Fastify, Hono: a young object
 * written into a young one, which V8 does not have to remember), else an entry in a weak map keyed by it (Express
 * gives every request a class of its own, so an added property misses V8's caches: ~2 % of an Express request).
 * Measured (bench/RESULTS.md): a property on the socket, written per request, cost ≈ 5–7 k instructions of a Koa
 * request (the young tie stored into a long-lived socket); the weak map's `set` was half of the CPU time our calls
 * took on Koa (the same old-to-young write, into the map's old table), though the instruction count did not show the
 * difference; and with the map a request whose client hangs up survives young-generation GC (the entry's value leads
 * back to its own key). Neither needs clearing: both die with the request.
 */
const servingTies = new WeakMap<object, RequestTie<unknown>>();

/** The tie armed for a Node request: the weak map first (a request without an entry costs it no property read). */
function servingTieOf(request: object): RequestTie<unknown> | undefined {
  try {
    return servingTies.get(request) ?? RequestStamp.tieOf(request);
  } catch {
    // An app's Proxy of the request whose get trap throws.
    return undefined;
  }
}

/**
 * A tie → the live tie of another framework object over the same Node request that it displaced from `servingTies`:
 * an outer app handing its `req`/`res` to an inner app's handler (Koa's `callback()`, Hono's `mount`), each with a
 * middleware. The inner one is on the fork path (the scope holds the outer tie), which always checks for one; the
 * fast path checks once any request had two (`anyDisplaced`), and then the finish reads both places too.
 */
const displacedTies = new WeakMap<RequestTie<unknown>, RequestTie<unknown>>();
let anyDisplaced = false;

/** Whether `other` is `tie` or one of the ties it displaced (framework objects over the same Node request). */
function inChainOf(tie: RequestTie<unknown>, other: unknown): boolean {
  for (let cur: RequestTie<unknown> | undefined = tie; cur !== undefined; cur = displacedTies.get(cur)) if (cur === other) return true;
  return false;
}

/** The request of the current context, where a tie of the same Node request's chain counts as this request's own. */
function contextReaderFor(tie: RequestTie<unknown>): () => BoundRequest | null | undefined {
  return () => {
    const bound = requestOfCurrentContext();
    return bound !== undefined && bound !== null && inChainOf(tie, bound) ? undefined : bound;
  };
}

/** The SDKs' async context strategies, for a finished request without an entry (see `onResponseFinish`). */
const watchedStrategies: AsyncContextStrategyShape[] = [];
/** Ties whose responses finished in this turn of the event loop; let go of together, from one `setImmediate`. */
const finishing: RequestTie<unknown>[] = [];

/**
 * Lets go of requests when their responses finish, without a listener per request: one process-wide subscriber to
 * Node's finish channel. Adding a `close` listener per response cost more than everything else the middleware does per
 * request (Node's `on` reads and writes the response, whose hidden class is new per request under Express).
 */
export function watchFinishedResponses(handle: SentryHandle): void {
  // By strategy, not handle: a handle is made each time the SDK is located.
  if (watchedStrategies.includes(handle.acs)) return;
  watchedStrategies.push(handle.acs);
  if (watchedStrategies.length === 1) subscribe(RESPONSE_FINISH_CHANNEL, onResponseFinish);
}

/**
 * Arms the release of a request whose response Node's finish channel will report: an HTTP/1 request on a Node socket.
 * Returns false for anything else (HTTP/2, a request emitted without a connection), which needs a `close` listener.
 */
export function releaseOnFinish(nodeRequest: unknown, tie: RequestTie<unknown>, onRequestItself: boolean, mayDisplace = false): boolean {
  try {
    if (!(nodeRequest instanceof IncomingMessage)) return false;
    if (!(readProperty(nodeRequest, 'socket') instanceof Socket)) return false;
  } catch {
    // `instanceof` runs a Proxy's getPrototypeOf trap (an app's own wrapper of the request): not a Node request then.
    return false;
  }
  // The fork path always looks (the scope holds another live tie); the fast path only once some request had two
  // framework objects (a second middleware over a request whose first one forked).
  if (mayDisplace || anyDisplaced) {
    const displaced = servingTieOf(nodeRequest);
    if (displaced !== undefined && displaced !== tie && !displaced.released) {
      displacedTies.set(tie, displaced);
      anyDisplaced = true;
    }
  }
  // One place per request, whichever path armed it: a later tie replaces an earlier one there, never shadowed by it.
  if (!onRequestItself || !putOnRequest(nodeRequest, tie)) servingTies.set(nodeRequest, tie);
  return true;
}

/** The tie stamped on the request; false where that throws (no case known on Node 20: a safety net). */
function putOnRequest(nodeRequest: IncomingMessage, tie: RequestTie<unknown>): boolean {
  try {
    RequestStamp.put(nodeRequest, tie);
    return true;
  } catch {
    return false;
  }
}

function onResponseFinish(message: unknown): void {
  // Node rethrows a subscriber's error as an uncaught exception: nothing may escape.
  try {
    const { request, response } = message as { request?: unknown; response?: unknown };
    if (typeof request === 'object' && request !== null) {
      // Both places: a request with two framework objects may have one tie in each (Express outside Koa, say).
      const mapped = servingTies.get(request);
      let served = mapped !== undefined && letGoIfServing(mapped, request);
      if (mapped === undefined || anyDisplaced) {
        const own = RequestStamp.tieOf(request);
        if (own !== undefined && own !== mapped) served = letGoIfServing(own, request) || served;
      }
      if (served) return;
    }
    // A request without an entry whose tie is on the current isolation scope (a Node request object other than the
    // one the middleware saw, an app's Proxy of it: then the response names it): this is its own context.
    for (let i = 0; i < watchedStrategies.length; i++) {
      const bound = boundRequestOf((watchedStrategies[i] as AsyncContextStrategyShape).getIsolationScope());
      if (bound instanceof RequestTie && bound.keepIfServing(request, undefined, response)) {
        letGoAfterListeners(bound);
        return;
      }
    }
  } catch {
    // Nothing could be read: the tie stays until the SDK lets go of the scope.
  }
}

function letGoIfServing(tie: RequestTie<unknown>, request: object): boolean {
  if (!tie.keepIfServing(request, anyDisplaced ? contextReaderFor(tie) : requestOfCurrentContext)) return false;
  letGoAfterListeners(tie);
  if (anyDisplaced) letGoOfDisplaced(tie, request);
  return true;
}

/** The outer ties an inner one displaced (see `displacedTies`): the same response finished theirs too. */
function letGoOfDisplaced(tie: RequestTie<unknown>, request: unknown): void {
  const contextRequest = contextReaderFor(tie);
  for (let outer = displacedTies.get(tie); outer !== undefined; outer = displacedTies.get(outer)) {
    if (outer.keepIfServing(request, contextRequest)) letGoAfterListeners(outer);
  }
}

/**
 * The request whose async context this is: `undefined` for none, `null` where it cannot be read or is a request's
 * that holds no tie (see `boundRequestOfContext`). A response can be
 * ended from another request's context (a callback-style store or client, a long poll answered by another request);
 * asked only before a `getUser` is called there.
 */
export function requestOfCurrentContext(): BoundRequest | null | undefined {
  try {
    for (let i = 0; i < watchedStrategies.length; i++) {
      const bound = boundRequestOfContext(watchedStrategies[i] as AsyncContextStrategyShape);
      if (bound !== undefined) return bound; // a request's, or `null`: some request's without a tie
    }
    return undefined;
  } catch {
    return null;
  }
}

/**
 * The tie has kept what it needs (`keep`, in the async context the response finished in). When nothing it fills later
 * would read the framework object again (`RequestTie.readsRequestAfterFinish`: no `mapUser`, no `getUser`, a scope the
 * SDK made) it lets go now: what the app's `finish`/`close` listeners and the SDK's segment span capture is filled from
 * what was kept plus the SDK's copy of the request (a principal the app changes after the finish is not seen; a
 * request without a Host header has no URL there). Otherwise it lets go after them, from one `setImmediate` per
 * event-loop turn: work the default set-up does not do (a single ablation run put it near 1.5 % of a Koa request's
 * instructions, inside the spread between runs; bench/RESULTS.md).
 */
function letGoAfterListeners(tie: RequestTie<unknown>): void {
  if (tie.readsRequestAfterFinish) letGoSoon(tie);
  else tie.letGo();
}

function letGoSoon(tie: RequestTie<unknown>): void {
  if (finishing.push(tie) === 1) setImmediate(letGoOfFinished);
}

function letGoOfFinished(): void {
  for (let i = 0; i < finishing.length; i++) (finishing[i] as RequestTie<unknown>).letGo();
  finishing.length = 0;
}
