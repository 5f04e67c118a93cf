'use strict';
// Every entry point loads through `require` and exports its function (the adapters' frameworks are optional peers:
// loading an adapter must not need them).
const assert = require('node:assert/strict');
for (const entry of ['sentry-request-user', 'sentry-request-user/express', 'sentry-request-user/koa', 'sentry-request-user/fastify', 'sentry-request-user/hono']) {
  const loaded = require(entry);
  const exported = entry === 'sentry-request-user' ? loaded.resolveClientIp : loaded.sentryUser;
  assert.equal(typeof exported, 'function', `${entry} exports its function`);
}
const fastifyPlugin = require('sentry-request-user/fastify').sentryUser;
assert.equal(fastifyPlugin[Symbol.for('skip-override')], true, 'the Fastify plugin is not encapsulated');
console.log('entry points ok (require)');
