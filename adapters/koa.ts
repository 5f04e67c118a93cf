import type { DefaultContext, DefaultState, Middleware, ParameterizedContext } from 'koa';
import {
  ADAPTER_OPTION_NAMES,
  createRequestBinder,
  koaFrameworkTrust,
  parseOptions,
  type AdapterOptions,
  type FrameworkAccess,
} from '../src/adapter-kit.js';

/**
 * Options of the Koa middleware. Callbacks get Koa's own `Context` with the app's state type (a type-only import:
 * `@types/koa` is an optional peer), so `ctx.state.user` type-checks as the app declares it.
 */
export type SentryUserOptions<StateT = DefaultState, ContextT = DefaultContext> = AdapterOptions<
  [ctx: ParameterizedContext<StateT, ContextT>],
  ParameterizedContext<StateT, ContextT>
>;

type AnyContext = ParameterizedContext<unknown, object>;

/**
 * koa-passport / koa-jwt → ctx.state.auth → koa-session, read directly: Koa's objects keep one hidden class, so these
 * read sites stay cached, while a generic reader (`firstPresentPrincipal`) looks `session` up through Koa's large
 * context prototypes on every request without one (~10× the cost). Each read is guarded on its own, so a throwing
 * getter only skips its path.
 */
function koaPrincipal(ctx: AnyContext): unknown {
  let state: unknown;
  try {
    state = ctx.state;
  } catch {
    state = undefined;
  }
  if (state !== null && (typeof state === 'object' || typeof state === 'function')) {
    const user = guardedRead(state as { user?: unknown }, 'user');
    if (user !== undefined && user !== null) return user;
    const auth = guardedRead(state as { auth?: unknown }, 'auth');
    if (auth !== undefined && auth !== null) return auth;
  }
  let session: unknown;
  try {
    session = (ctx as { session?: unknown }).session;
  } catch {
    return undefined;
  }
  if (session === null || (typeof session !== 'object' && typeof session !== 'function')) return undefined;
  const user = guardedRead(session as { user?: unknown }, 'user');
  return user === null ? undefined : user;
}

function guardedRead<K extends string>(object: { [key in K]?: unknown }, key: K): unknown {
  try {
    return object[key];
  } catch {
    return undefined;
  }
}

const koa: FrameworkAccess<AnyContext> = {
  name: 'Koa',
  // Koa rewrites ctx.url for mounted apps; the Node request keeps the URL as received.
  request: (ctx) => ctx.req,
  response: (ctx) => ctx.res,
  originalUrl: (ctx) => ctx.originalUrl,
  detectPrincipal: koaPrincipal,
  callGetUser: (getUser, ctx) => (getUser as (ctx: AnyContext) => unknown)(ctx),
  mapUserArgument: (ctx) => ctx,
  frameworkTrust: (ctx) => koaFrameworkTrust(ctx.app?.proxy, ctx.app?.maxIpsCount, ctx.app?.proxyIpHeader),
};

/**
 * Koa middleware: every Sentry event captured while a request is handled gets the authenticated user and the trusted
 * client address (`request.env.REMOTE_ADDR`). Per request it only ties the request to its Sentry scope; all reading
 * and mapping happens when an event is captured.
 *
 * @example
 * import * as Sentry from '@sentry/node'; // Sentry.init ran first, in instrument.js
 * import Koa from 'koa';
 * import { sentryUser } from 'sentry-request-user/koa';
 *
 * const app = new Koa({ proxy: true, maxIpsCount: 1 }); // one reverse proxy in front
 * Sentry.setupKoaErrorHandler(app);
 * app.use(sentryUser());
 */
export function sentryUser<StateT = DefaultState, ContextT = DefaultContext>(options?: SentryUserOptions<StateT, ContextT>): Middleware<StateT, ContextT> {
  const binder = createRequestBinder(parseOptions(options, ADAPTER_OPTION_NAMES, true), koa);
  return function sentryUserMiddleware(ctx, next) {
    return binder.enter(ctx as unknown as AnyContext, next);
  };
}

export default sentryUser;
