import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import {
  ADAPTER_OPTION_NAMES,
  createRequestBinder,
  parseOptions,
  type AdapterOptions,
  type FrameworkAccess,
} from '../src/adapter-kit.js';
import { NO_FRAMEWORK_TRUST } from '../src/binding/framework-trust.js';

export type SentryUserOptions = AdapterOptions<[c: Context], Context>;

/** What @hono/node-server passes as `c.env`: the Node request and response. Other runtimes have neither. */
interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

const nodeBindings = (c: Context): NodeBindings | undefined => c.env as NodeBindings | undefined;

const hono: FrameworkAccess<Context> = {
  name: 'Hono',
  // Sentry's Hono middleware sets its header guess as the isolation scope's user.ip_address.
  sdkPutsAddressGuessOnScope: true,
  // The Node request keeps the URL as received; Hono's routing never rewrites it.
  request: (c) => nodeBindings(c)?.incoming,
  response: (c) => nodeBindings(c)?.outgoing,
  /** An app's own `c.set('user', …)` → hono/jwt's `jwtPayload`. */
  detectPrincipal: (c) => c.get('user') ?? c.get('jwtPayload'),
  callGetUser: (getUser, c) => (getUser as (c: Context) => unknown)(c),
  // Hono catches route errors itself and keeps them here; Sentry's Hono middleware captures them after our `next()`.
  caughtError: (c) => c.error,
  mapUserArgument: (c) => c,
  // Hono has no proxy setting: only the trustProxy option makes a peer a proxy.
  frameworkTrust: () => NO_FRAMEWORK_TRUST,
};

/**
 * Hono middleware for Node (`@hono/node-server`): every Sentry event captured while a request is handled gets the
 * authenticated user and the trusted client address (`request.env.REMOTE_ADDR`, from the Node socket). Hono has no
 * proxy setting, so behind a proxy pass `trustProxy`. The user is read when an event is captured or the response
 * finishes, never on entry, so the middleware may come before your auth.
 *
 * @example
 * import * as Sentry from '@sentry/node'; // Sentry.init ran first, in instrument.js
 * import { Hono } from 'hono';
 * import { serve } from '@hono/node-server';
 * import { sentryUser } from 'sentry-request-user/hono';
 *
 * const app = new Hono();
 * app.use('*', sentryUser({ trustProxy: 'loopback' })); // one reverse proxy on the same host
 * // … auth (e.g. hono/jwt), routes …
 * serve(app);
 */
export function sentryUser(options?: SentryUserOptions): MiddlewareHandler {
  const binder = createRequestBinder(parseOptions(options, ADAPTER_OPTION_NAMES, true), hono);
  return function sentryUserMiddleware(c, next) {
    return binder.enter(c, next);
  };
}

export default sentryUser;
