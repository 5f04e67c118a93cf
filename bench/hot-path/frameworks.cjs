'use strict';
// The frameworks the hot-path benchmark drives. Each entry builds the same small app for one variant and returns a
// Node request listener; adding a framework is one entry here (plus its name in FRAMEWORK_ORDER).
//
// Every app has the same layers in the same order: Sentry's own setup, an "auth" layer that puts a fresh principal
// on the request (as passport / a JWT middleware would), then ONE layer that differs by variant, then the route:
//   'none'      nothing (the app with Sentry but without us; also its A/A copy)
//   'noop'      a middleware that only passes the request on (what any extra layer costs under the SDK's
//               per-layer instrumentation: not ours)
//   'diy-user'  a hand-written `Sentry.setUser` middleware, as Sentry's docs tell users to write one
//   'sru'       sentryUser() from the package under test
// No request captures an event: this is the hot path. `track(obj)` lets the server keep a WeakRef to the
// framework's own request object while a retention probe runs (a no-op otherwise).

/** A fresh principal per request, as an authentication layer would make it. */
const principal = () => ({ id: 42, username: 'bench', email: 'bench@example.com' });

const FRAMEWORKS = {
  express: {
    label: 'Express',
    adapter: 'express',
    objectName: 'req',
    available: () => true,
    build({ layer, Sentry, sentryUser, track }) {
      const express = require('express');
      const app = express();
      app.set('trust proxy', 'loopback');
      app.use((req, _res, next) => {
        req.user = principal();
        next();
      });
      if (layer === 'noop') app.use((_req, _res, next) => next());
      if (layer === 'diy-user') {
        app.use((req, _res, next) => {
          Sentry.setUser({ id: String(req.user.id), username: req.user.username, email: req.user.email });
          next();
        });
      }
      if (layer === 'sru') app.use(sentryUser());
      app.get('/', (req, res) => {
        track(req);
        res.send('ok');
      });
      Sentry.setupExpressErrorHandler(app);
      return app;
    },
  },

  koa: {
    label: 'Koa',
    adapter: 'koa',
    objectName: 'ctx',
    available: () => true,
    build({ layer, Sentry, sentryUser, track }) {
      const Koa = require('koa');
      const app = new Koa({ proxy: true, maxIpsCount: 1 });
      Sentry.setupKoaErrorHandler(app);
      app.use((ctx, next) => {
        ctx.state.user = principal();
        return next();
      });
      if (layer === 'noop') app.use((_ctx, next) => next());
      if (layer === 'diy-user') {
        app.use((ctx, next) => {
          const user = ctx.state.user;
          Sentry.setUser({ id: String(user.id), username: user.username, email: user.email });
          return next();
        });
      }
      if (layer === 'sru') app.use(sentryUser());
      app.use((ctx) => {
        track(ctx);
        ctx.body = 'ok';
      });
      return app.callback();
    },
  },

  fastify: {
    label: 'Fastify',
    adapter: 'fastify',
    objectName: 'request',
    async build({ layer, Sentry, sentryUser, track }) {
      const fastify = require('fastify');
      let handler;
      const app = fastify({
        trustProxy: 'loopback',
        // Fastify owns its server; we only need its request handler.
        serverFactory: (fastifyHandler) => {
          handler = fastifyHandler;
          return require('node:http').createServer();
        },
      });
      Sentry.setupFastifyErrorHandler(app);
      app.decorateRequest('user', null);
      // Callback-style onRequest hooks throughout, the style sentryUser's own hook has.
      app.addHook('onRequest', (request, _reply, done) => {
        request.user = principal();
        done();
      });
      if (layer === 'noop') app.addHook('onRequest', (_request, _reply, done) => done());
      if (layer === 'diy-user') {
        app.addHook('onRequest', (request, _reply, done) => {
          Sentry.setUser({ id: String(request.user.id), username: request.user.username, email: request.user.email });
          done();
        });
      }
      if (layer === 'sru') await app.register(sentryUser);
      app.get('/', async (request) => {
        track(request);
        return 'ok';
      });
      await app.ready();
      return (req, res) => handler(req, res);
    },
  },

  hono: {
    label: 'Hono',
    adapter: 'hono',
    objectName: 'c',
    build({ layer, Sentry, sentryUser, track }) {
      const { Hono } = require('hono');
      const { getRequestListener } = require('@hono/node-server');
      const app = new Hono();
      // Sentry's own Hono set-up where the SDK has one (@sentry/node 11: honoMiddleware; earlier: setupHonoErrorHandler).
      if (typeof Sentry.honoMiddleware === 'function') app.use(Sentry.honoMiddleware(app));
      else if (typeof Sentry.setupHonoErrorHandler === 'function') Sentry.setupHonoErrorHandler(app);
      app.use('*', async (c, next) => {
        c.set('user', principal());
        await next();
      });
      if (layer === 'noop') app.use('*', async (_c, next) => next());
      if (layer === 'diy-user') {
        app.use('*', async (c, next) => {
          const user = c.get('user');
          Sentry.setUser({ id: String(user.id), username: user.username, email: user.email });
          await next();
        });
      }
      if (layer === 'sru') app.use('*', sentryUser());
      app.get('/', (c) => {
        track(c);
        return c.text('ok');
      });
      return getRequestListener(app.fetch);
    },
  },
};

const FRAMEWORK_ORDER = ['express', 'koa', 'fastify', 'hono'];

module.exports = { FRAMEWORKS, FRAMEWORK_ORDER };
