import type { DefaultContext, DefaultState, Middleware, ParameterizedContext } from 'koa';
import {
  ADAPTER_OPTION_NAMES,
  createRequestBinder,
  koaFrameworkTrust,
  parseOptions,
  stateOrSessionPrincipal,
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

const koa: FrameworkAccess<AnyContext> = {
  name: 'Koa',
  // Koa rewrites ctx.url for mounted apps; the Node request keeps the URL as received. Node's own request, which its
  // response names: an app may replace `ctx.req` (a Proxy of it, a decompressing stream), and Node's finish channel
  // names the real one.
  request: (ctx) => ctx.res?.req ?? ctx.req,
  response: (ctx) => ctx.res,
  originalUrl: (ctx) => ctx.originalUrl,
  detectPrincipal: stateOrSessionPrincipal,
  callGetUser: (getUser, ctx) => (getUser as (ctx: AnyContext) => unknown)(ctx),
  mapUserArgument: (ctx) => ctx,
  frameworkTrust: (ctx) => koaFrameworkTrust(ctx.app?.proxy, ctx.app?.maxIpsCount, ctx.app?.proxyIpHeader),
};

/**
 * Koa middleware: every Sentry event captured while a request is handled gets the authenticated user and the trusted
 * client address (`request.env.REMOTE_ADDR`). Per request it ties the request to its Sentry scope and, when the
 * response finishes, keeps the User its principal maps to; the rest happens when an event is captured.
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
