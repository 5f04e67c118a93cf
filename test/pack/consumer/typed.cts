// Typechecked (not run) against the packed declarations, as a CommonJS TypeScript consumer.
import express = require('express');
import core = require('sentry-request-user');
import expressAdapter = require('sentry-request-user/express');
import koaAdapter = require('sentry-request-user/koa');

const app = express();
app.use(expressAdapter.sentryUser({ mapUser: (principal) => ({ id: String(principal) }) }));
const middleware: (ctx: koaAdapter.KoaContextLike, next: () => Promise<unknown>) => Promise<unknown> = koaAdapter.sentryUser();
const ip: string | undefined = core.resolveClientIp({ headers: {}, socket: { remoteAddress: '127.0.0.1' } });
export = { middleware, ip };
