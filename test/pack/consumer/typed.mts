// Typechecked (not run) against the packed declarations, as an ESM TypeScript consumer.
import express from 'express';
import Koa from 'koa';
import { resolveClientIp, toSentryRequest, toSentryUser, type CoreOptions, type User } from 'sentry-request-user';
import { sentryUser } from 'sentry-request-user/express';
import { sentryUser as koaSentryUser } from 'sentry-request-user/koa';

const app = express();
app.use(sentryUser({ trustProxy: 'loopback', getUser: (req) => (req as { user?: unknown }).user, extraKeys: ['plan'] }));
const koa = new Koa();
koa.use(koaSentryUser({ getUser: async (ctx) => (ctx.state as { user?: unknown }).user, pii: true }));

const options: CoreOptions = { trustProxy: ['10.0.0.0/8'], forwardedHeader: 'forwarded', clientIpHeader: 'cf-connecting-ip' };
const ip: string | undefined = resolveClientIp({ headers: {}, socket: { remoteAddress: '127.0.0.1' } }, options);
const user: User | undefined = toSentryUser({ id: 1 });
const remote: string | undefined = toSentryRequest({ headers: {} }).env?.REMOTE_ADDR;
export { ip, user, remote };
