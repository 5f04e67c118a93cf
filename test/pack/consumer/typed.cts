// Typechecked (not run) against the packed declarations, as a strict CommonJS TypeScript consumer.
import express = require('express');
import Koa = require('koa');
import core = require('sentry-request-user');
import expressAdapter = require('sentry-request-user/express');
import koaAdapter = require('sentry-request-user/koa');
import type {} from 'passport';

const app = express();
app.use(expressAdapter.sentryUser({ getUser: (req, res) => req.user ?? res.locals.user, mapUser: (principal) => ({ id: String(principal) }) }));
const koa = new Koa<{ user?: { id: string } }>();
koa.use(koaAdapter.sentryUser({ getUser: (ctx) => ctx.state.user?.id }));
const ip: string | undefined = core.resolveClientIp({ headers: {}, socket: { remoteAddress: '127.0.0.1' } });
export = { ip };
