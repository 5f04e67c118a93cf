// Express + passport (session login) + sentry-request-user.
// Run: npm run build && SENTRY_DSN=<your DSN> node --import ./examples/express-passport/instrument.mjs examples/express-passport/app.mjs
import * as Sentry from '@sentry/node';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { sentryUser } from 'sentry-request-user/express';

const USERS = {
  ada: { id: 7, username: 'ada', email: 'ada@example.com', displayName: 'Ada Lovelace', passwordHash: '$2b$10$never-sent' },
};
passport.use(new LocalStrategy((username, password, done) => done(null, password === 'lovelace' ? (USERS[username] ?? false) : false)));
passport.serializeUser((user, done) => done(null, user.username));
passport.deserializeUser((username, done) => done(null, USERS[username] ?? false));

const app = express();
// Our reverse proxy (nginx) runs on this host at 127.0.0.1: believe X-Forwarded-For from it, and from nobody else.
// sentryUser() follows this setting.
app.set('trust proxy', '127.0.0.1');

// Early, before auth: the user is read when an event is captured, so the order does not matter.
// (The demo runs this file a second time with SENTRY_REQUEST_USER=off, to show what @sentry/node stores alone.)
if (process.env.SENTRY_REQUEST_USER !== 'off') app.use(sentryUser());

app.use(express.urlencoded({ extended: false }));
app.use(session({ secret: process.env.SESSION_SECRET ?? 'example-only-secret', resave: false, saveUninitialized: false }));
app.use(passport.initialize());
app.use(passport.session());

app.post('/login', passport.authenticate('local'), (req, res) => res.send(`signed in as ${req.user.username}\n`));
app.get('/account/checkout', () => {
  throw new Error('checkout failed');
});
app.get('/hello', (req, res) => {
  const name = String(req.query.name ?? 'stranger');
  Sentry.captureMessage(`hello ${name} (Express)`);
  res.send(`hello ${name}\n`);
});

// After all routes, as Sentry's guide says (deprecated but harmless in @sentry/node 11, which captures by itself).
Sentry.setupExpressErrorHandler(app);
app.use((error, _req, res, _next) => res.status(500).send(`${error.message}\n`));

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, '127.0.0.1', () => console.log(`express example listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => Sentry.flush(2000).then(() => process.exit(0))));
