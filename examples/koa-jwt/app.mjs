// Koa + koa-jwt + sentry-request-user.
// Run: npm run build && SENTRY_DSN=<your DSN> node --import ./examples/koa-jwt/instrument.mjs examples/koa-jwt/app.mjs
import * as Sentry from '@sentry/node';
import Router from '@koa/router';
import Koa from 'koa';
import jwt from 'koa-jwt';
import { sentryUser } from 'sentry-request-user/koa';

// One reverse proxy in front: Koa believes the last X-Forwarded-For entry, and sentryUser() follows this setting.
const app = new Koa({ proxy: true, maxIpsCount: 1 });

// Sentry's guide for Koa: the error handler right after creating the app, before any other middleware.
Sentry.setupKoaErrorHandler(app);
if (process.env.SENTRY_REQUEST_USER !== 'off') app.use(sentryUser());
app.use(jwt({ secret: process.env.JWT_SECRET ?? 'example-only-secret', passthrough: true }));

const router = new Router();
router.get('/api/orders/:id', (ctx) => {
  // A log line in the request: Sentry's log carries the request's user too (user.id, and with PII email and name).
  Sentry.logger.warn(Sentry.logger.fmt`order ${ctx.params.id}: retrying the backend`);
  throw new Error(`order ${ctx.params.id}: backend timed out`);
});
router.get('/hello', (ctx) => {
  Sentry.captureMessage('hello from Koa');
  ctx.body = 'hello\n';
});
app.use(router.routes());

const port = Number(process.env.PORT ?? 3001);
const server = app.listen(port, '127.0.0.1', () => console.log(`koa example listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => Sentry.flush(2000).then(() => process.exit(0))));
