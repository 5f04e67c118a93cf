import type { NextFunction, Request, Response } from 'express';
import {
  ADAPTER_OPTION_NAMES,
  createRequestBinder,
  expressFrameworkTrust,
  firstPresentPrincipal,
  parseOptions,
  readProperty,
  type AdapterOptions,
  type FrameworkAccess,
} from '../src/adapter-kit.js';

/**
 * Options of the Express middleware. Callbacks get Express's own types (a type-only import: `@types/express` is an
 * optional peer), so `req.user` from passport's augmentation, `req.get` and `res.locals` type-check.
 */
export type SentryUserOptions = AdapterOptions<[req: Request, res: Response], Request>;

/** passport → express-oauth2-jwt-bearer → express-jwt → express-openid-connect → res.locals → session; from `req`. */
const PRINCIPAL_PATHS = [['user'], ['auth', 'payload'], ['auth'], ['oidc', 'user'], ['res', 'locals', 'user'], ['session', 'user']] as const;

const express: FrameworkAccess<Request> = {
  name: 'Express',
  nodeRequestsHaveOwnClass: true,
  request: (req) => req,
  response: (req) => req.res,
  detectPrincipal: (req) => firstPresentPrincipal(req, PRINCIPAL_PATHS),
  callGetUser: (getUser, req) => (getUser as (req: Request, res: Response | undefined) => unknown)(req, req.res),
  mapUserArgument: (req) => req,
  frameworkTrust: (req) => expressFrameworkTrust(readProperty(req, 'app') as Request['app'] | undefined),
};

/**
 * Express middleware: every Sentry event captured while a request is handled gets the authenticated user and the
 * trusted client address (`request.env.REMOTE_ADDR`). Per request it ties the request to its Sentry scope and, when
 * the response finishes, keeps the User its principal maps to; the rest happens when an event is captured. The
 * principal is read then, not on entry, so it may sit before or after your auth middleware.
 *
 * @example
 * import * as Sentry from '@sentry/node'; // Sentry.init ran first, in instrument.js
 * import express from 'express';
 * import { sentryUser } from 'sentry-request-user/express';
 *
 * const app = express();
 * app.set('trust proxy', 1); // one reverse proxy in front: sentryUser() follows this setting
 * app.use(sentryUser());
 * // … auth, routes …
 * Sentry.setupExpressErrorHandler(app);
 */
export function sentryUser(options?: SentryUserOptions): (req: Request, res: Response, next: NextFunction) => void {
  const binder = createRequestBinder(parseOptions(options, ADAPTER_OPTION_NAMES, true), express);
  return function sentryUserMiddleware(req, _res, next) {
    binder.enter(req, next);
  };
}

export default sentryUser;
