import { subscribe } from 'node:diagnostics_channel';
import { IncomingMessage } from 'node:http';
import type { SentryHandle } from '../sentry/locate-sentry.js';
import { boundRequestOf } from '../sentry/request-registry.js';
import type { AsyncContextStrategyShape } from '../sentry/sdk-shapes.js';
import { RequestTie } from './request-tie.js';

/**
 * Node publishes every finished HTTP server response here (`{ request, response, socket, server }`), from the
 * response's first `finish` listener, in the async context where the app ended the response: the request's own.
 */
const RESPONSE_FINISH_CHANNEL = 'http.server.response.finish';

/** The SDKs' async context strategies whose isolation scope the subscriber looks at (one in practice). */
const watchedStrategies: AsyncContextStrategyShape[] = [];

/**
 * Lets go of a request when its response finishes, without a listener per request: one process-wide subscriber finds
 * the request's tie on the isolation scope current at `finish` (the SDK's per-request scope) and releases it if it is
 * that request's. Adding a `close` listener per response cost more than the rest of the per-request work together
 * (Node's `on` reads and writes the response, whose hidden class is new per request under Express).
 *
 * A response ended from another request's async context (a library that loses the context) or never finished (the
 * client went away) is not released here: its tie keeps the request until the SDK lets go of the scope, as before.
 */
export function watchFinishedResponses(handle: SentryHandle): void {
  // By strategy, not handle: a handle is made each time the SDK is located.
  if (watchedStrategies.includes(handle.acs)) return;
  watchedStrategies.push(handle.acs);
  if (watchedStrategies.length === 1) subscribe(RESPONSE_FINISH_CHANNEL, releaseFinishedRequest);
}

/** Whether `watchFinishedResponses` sees this request end: Node's HTTP/1 server publishes only its own requests. */
export function endsOnFinishChannel(nodeRequest: unknown): boolean {
  return nodeRequest instanceof IncomingMessage;
}

function releaseFinishedRequest(message: unknown): void {
  // Node rethrows a subscriber's error as an uncaught exception: nothing may escape.
  try {
    const request = (message as { request?: unknown }).request;
    for (let i = 0; i < watchedStrategies.length; i++) {
      const bound = boundRequestOf((watchedStrategies[i] as AsyncContextStrategyShape).getIsolationScope());
      if (bound instanceof RequestTie) bound.releaseIfServing(request);
    }
  } catch {
    // A scope that cannot be read: the tie stays until the SDK lets go of the scope.
  }
}
