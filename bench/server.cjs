'use strict';
// One benchmark server in its own process: BENCH_FRAMEWORK=express|koa,
// BENCH_VARIANT=bare|sentry|sentry-again|noop|sru|diy-user|sru-user (see VARIANTS in throughput.mjs),
// BENCH_TRACING=0|1. Requests capture no event (the hot path). Prints "LISTENING <port>".
const framework = process.env.BENCH_FRAMEWORK;
const variant = process.env.BENCH_VARIANT;
const tracing = process.env.BENCH_TRACING === '1';

// Exit cleanly on SIGINT so --cpu-prof can write its profile.
process.on('SIGINT', () => process.exit(0));

let Sentry;
if (variant !== 'bare') {
  Sentry = require('@sentry/node');
  // A DSN that is never contacted on the hot path (no event is captured); sessions off so nothing is flushed.
  Sentry.init({
    dsn: process.env.BENCH_DSN,
    tracesSampleRate: tracing ? 1 : undefined,
    integrations: (defaults) => defaults,
  });
}
const withMiddleware = variant === 'sru' || variant === 'sru-user';
const withUser = variant === 'sru-user' || variant === 'diy-user';
// The baselines a user would compare with: any middleware at all, and the hand-written setUser middleware.
const withNoop = variant === 'noop';
const withDiySetUser = variant === 'diy-user';

/** The same thin wrapper for every variant: GET /__cpu reports this process's CPU time, for cost per request. */
function withCpuEndpoint(handler) {
  return (req, res) => (req.url === '/__cpu' ? res.end(JSON.stringify(process.cpuUsage())) : handler(req, res));
}

function listen(server) {
  server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
}

if (framework === 'express') {
  const express = require('express');
  const { sentryUser } = require('sentry-request-user/express');
  const app = express();
  app.set('trust proxy', 'loopback');
  if (withUser) {
    app.use((req, _res, next) => {
      req.user = { id: 42, username: 'bench', email: 'bench@example.com' };
      next();
    });
  }
  if (withMiddleware) app.use(sentryUser());
  if (withNoop) app.use((_req, _res, next) => next());
  if (withDiySetUser) {
    app.use((req, _res, next) => {
      Sentry.setUser({ id: String(req.user.id), username: req.user.username, email: req.user.email, ip_address: req.ip });
      next();
    });
  }
  app.get('/', (_req, res) => res.send('ok'));
  if (Sentry) Sentry.setupExpressErrorHandler(app);
  listen(require('node:http').createServer(withCpuEndpoint(app)));
} else {
  const Koa = require('koa');
  const { sentryUser } = require('sentry-request-user/koa');
  const app = new Koa({ proxy: true, maxIpsCount: 1 });
  if (Sentry) Sentry.setupKoaErrorHandler(app);
  if (withUser) {
    app.use((ctx, next) => {
      ctx.state.user = { id: 42, username: 'bench', email: 'bench@example.com' };
      return next();
    });
  }
  if (withMiddleware) app.use(sentryUser());
  if (withNoop) app.use((_ctx, next) => next());
  if (withDiySetUser) {
    app.use((ctx, next) => {
      const user = ctx.state.user;
      Sentry.setUser({ id: String(user.id), username: user.username, email: user.email, ip_address: ctx.ip });
      return next();
    });
  }
  app.use((ctx) => {
    ctx.body = 'ok';
  });
  listen(require('node:http').createServer(withCpuEndpoint(app.callback())));
}
