// A raw node:http server using only the framework-free core: resolveClientIp, toSentryUser, toSentryRequest.
// Run: npm run build && SENTRY_DSN=<your DSN> node --import ./examples/express-passport/instrument.mjs examples/node-http/server.mjs
import { createServer } from 'node:http';
import * as Sentry from '@sentry/node';
import { resolveClientIp, toSentryRequest, toSentryUser } from 'sentry-request-user';

const TRUST = { trustProxy: 'loopback' }; // our proxy runs on this host
const sessions = new Map([['s3cr3t', { id: 42, username: 'grace', email: 'grace@example.com' }]]);

const server = createServer((req, res) => {
  // @sentry/node gave this request its own isolation scope; the processor runs only if an event is captured.
  // (One processor per request is the simple way; the Express and Koa adapters avoid even that on the hot path.)
  Sentry.getIsolationScope().addEventProcessor((event) => {
    const clientIp = resolveClientIp(req, TRUST);
    const principal = sessions.get(String(req.headers['x-session'] ?? ''));
    const user = toSentryUser(principal, { pii: true });
    // The SDK's own user.ip_address guess comes from client-settable headers: drop it, REMOTE_ADDR carries the truth.
    const { ip_address: _headerGuess, ...sdkUser } = event.user ?? {};
    return {
      ...event,
      user: { ...user, ...sdkUser },
      request: { ...event.request, ...toSentryRequest(req, { ...TRUST, pii: true, clientIp }) },
    };
  });
  if (req.url?.startsWith('/boom')) {
    Sentry.captureException(new Error('raw http failure'));
    res.writeHead(500).end('failed\n');
    return;
  }
  res.end(`your address: ${resolveClientIp(req, TRUST)}\n`);
});

const port = Number(process.env.PORT ?? 3002);
server.listen(port, '127.0.0.1', () => console.log(`node:http example listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => Sentry.flush(2000).then(() => process.exit(0))));
