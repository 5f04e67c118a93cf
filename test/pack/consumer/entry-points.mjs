// Every entry point loads through `import` and exports its function.
import assert from 'node:assert/strict';
for (const entry of ['sentry-request-user', 'sentry-request-user/express', 'sentry-request-user/koa', 'sentry-request-user/fastify', 'sentry-request-user/hono']) {
  const loaded = await import(entry);
  const exported = entry === 'sentry-request-user' ? loaded.resolveClientIp : loaded.sentryUser;
  assert.equal(typeof exported, 'function', `${entry} exports its function`);
  if (entry !== 'sentry-request-user') assert.equal(loaded.default, loaded.sentryUser, `${entry} default export`);
}
console.log('entry points ok (import)');
