// Typechecked (not run) against the packed declarations, as a strict ESM TypeScript consumer would write it:
// framework-typed callbacks without casts (issue: callbacks users can type).
import express from 'express';
import type {} from 'passport'; // passport's augmentation: req.user is Express.User
import Koa from 'koa';
import Fastify from 'fastify';
import type {} from '@fastify/jwt'; // @fastify/jwt's augmentation: request.user
import { Hono } from 'hono';
import {
  resolveClientIp,
  toSentryRequest,
  toSentryUser,
  type ResolveClientIpOptions,
  type ToSentryRequestOptions,
  type ToSentryUserOptions,
  type User,
} from 'sentry-request-user';
import { sentryUser } from 'sentry-request-user/express';
import { sentryUser as koaSentryUser } from 'sentry-request-user/koa';
import { sentryUser as fastifySentryUser } from 'sentry-request-user/fastify';
import { sentryUser as honoSentryUser } from 'sentry-request-user/hono';

const app = express();
app.use(sentryUser({ getUser: (req, res) => res.locals.user ?? req.get('x-user') }));
app.use(sentryUser({ getUser: (req) => req.user, mapUser: (principal, req) => ({ id: String(req.ip), extra: principal }) }));
app.use(sentryUser({ trustProxy: 'loopback', extraKeys: ['plan'] }));

interface AppState {
  user?: { id: string; email: string };
}
const koa = new Koa<AppState>();
koa.use(koaSentryUser({ getUser: (ctx) => ctx.state.user?.email }));
koa.use(
  koaSentryUser<AppState>({
    getUser: async (ctx) => {
      // @ts-expect-error the app's state type is what ctx.state is: AppState has no `nope`
      void ctx.state.nope;
      return ctx.state.user;
    },
    pii: true,
  }),
);
const plainKoa = new Koa();
plainKoa.use(koaSentryUser({ getUser: (ctx) => ctx.state.user }));

const fastify = Fastify({ trustProxy: '127.0.0.1' });
await fastify.register(fastifySentryUser, { getUser: (request, reply) => request.user ?? reply.request.headers['x-user'] });

const hono = new Hono();
hono.use('*', honoSentryUser({ getUser: (c) => c.get('jwtPayload') ?? c.req.header('x-user') }));

const options: ResolveClientIpOptions = { trustProxy: ['10.0.0.0/8'], forwardedHeader: 'forwarded', clientIpHeader: 'cf-connecting-ip' };
const ip: string | undefined = resolveClientIp({ headers: {}, socket: { remoteAddress: '127.0.0.1' } }, options);
const userOptions: ToSentryUserOptions = { pii: false, extraKeys: ['plan'] };
const user: User | undefined = toSentryUser({ id: 1 }, userOptions);
const requestOptions: ToSentryRequestOptions = { clientIp: '203.0.113.9', pii: true };
const remote: string | undefined = toSentryRequest({ headers: {} }, requestOptions).env?.REMOTE_ADDR;
export { ip, user, remote };
