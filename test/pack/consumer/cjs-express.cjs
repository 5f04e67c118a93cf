'use strict';
// A CommonJS consumer of the packed tarball: the three core functions and the Express adapter on the real SDK.
const assert = require('node:assert/strict');
const { startEnvelopeReceiver } = require('../../../support/envelope-receiver.cjs');

(async () => {
  const receiver = await startEnvelopeReceiver();
  const Sentry = require('@sentry/node');
  Sentry.init({ dsn: receiver.dsn });
  const express = require('express');
  const core = require('sentry-request-user');
  const { sentryUser } = require('sentry-request-user/express');
  assert.equal(typeof require('sentry-request-user/koa').sentryUser, 'function');

  const req = { headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7', host: 'example.com' }, socket: { remoteAddress: '127.0.0.1' }, method: 'GET', url: '/x' };
  assert.equal(core.resolveClientIp(req, { trustProxy: 'loopback' }), '198.51.100.7');
  assert.equal(core.resolveClientIp(req), '127.0.0.1');
  assert.deepEqual(core.toSentryUser({ id: 5, email: 'a@b.c' }, { pii: true }), { id: '5', email: 'a@b.c' });
  assert.equal(core.toSentryRequest(req, { trustProxy: 'loopback', pii: true }).env.REMOTE_ADDR, '198.51.100.7');

  const app = express();
  app.use((req, _res, next) => {
    req.user = { id: 'cjs-user' };
    next();
  });
  app.use(sentryUser());
  app.get('/boom', () => {
    throw new Error('cjs boom');
  });
  Sentry.setupExpressErrorHandler(app);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const response = await fetch(`http://127.0.0.1:${server.address().port}/boom`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
  assert.equal(response.status, 500);
  await receiver.waitFor(() => receiver.events().length > 0);
  const [event] = receiver.events();
  assert.equal(event.user.id, 'cjs-user');
  assert.equal(event.request.env.REMOTE_ADDR, '127.0.0.1');
  server.close();
  await receiver.close();
  console.log('cjs-express: ok');
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
