// An ES module consumer of the packed tarball: the core functions and the Koa adapter on the real SDK.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as Sentry from '@sentry/node';
import { resolveClientIp, toSentryRequest, toSentryUser } from 'sentry-request-user';
import { sentryUser as expressSentryUser } from 'sentry-request-user/express';
import { sentryUser } from 'sentry-request-user/koa';

const require = createRequire(import.meta.url);
const { startEnvelopeReceiver } = require('../../../support/envelope-receiver.cjs');

const receiver = await startEnvelopeReceiver();
Sentry.init({ dsn: receiver.dsn });
const { default: Koa } = await import('koa');

assert.equal(typeof expressSentryUser, 'function');
assert.equal(resolveClientIp({ headers: {}, socket: { remoteAddress: '::ffff:203.0.113.9' } }), '203.0.113.9');
assert.equal(toSentryUser('42')?.id, '42');
assert.equal(toSentryRequest({ headers: { host: 'h' }, socket: { remoteAddress: '203.0.113.9' }, method: 'get', url: '/p?q=1' }).url, 'http://h/p');
assert.throws(() => sentryUser({ trustProxy: true }), /trust every hop/);

const app = new Koa({ proxy: true, maxIpsCount: 1 });
Sentry.setupKoaErrorHandler(app);
app.use(sentryUser());
app.use(async (ctx) => {
  ctx.state.user = { sub: 'esm-user' };
  Sentry.captureMessage('esm message');
  ctx.body = 'ok';
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const response = await fetch(`http://127.0.0.1:${server.address().port}/`, { headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' } });
assert.equal(response.status, 200);
await receiver.waitFor(() => receiver.events().length > 0);
const [event] = receiver.events();
assert.equal(event.user.id, 'esm-user');
assert.equal(event.request.env.REMOTE_ADDR, '198.51.100.7');
server.close();
await receiver.close();
console.log('esm-koa: ok');
process.exit(0);
