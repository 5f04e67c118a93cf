// Sentry first, before the app imports Express (its instrumentation hooks the module loader).
import * as Sentry from '@sentry/node';

Sentry.init({
  dsn: process.env.SENTRY_DSN, // unset: Sentry stays off and sentryUser() passes requests through
  tracesSampleRate: Number(process.env.SENTRY_TRACES_SAMPLE_RATE ?? 1),
  enableLogs: true,
  // @sentry/node 11: user details (and so REMOTE_ADDR) are on by default; SENTRY_USER_INFO=false turns them off.
  dataCollection: { userInfo: process.env.SENTRY_USER_INFO !== 'false' },
});
