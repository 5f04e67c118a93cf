// The tour: the Express and Koa examples, each run twice (with sentry-request-user, and with @sentry/node alone),
// send real events to a Sentry envelope receiver on 127.0.0.1; for each scripted request we print what Sentry
// will store. `npm run demo` builds first. SENTRY_DSN=<dsn> also forwards every envelope to that Sentry;
// `--spotlight` also forwards to a running Spotlight sidecar (http://localhost:8969/stream).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';

const require = createRequire(import.meta.url);
const { startEnvelopeReceiver } = require('../support/envelope-receiver.cjs');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const useSpotlight = process.argv.includes('--spotlight');
const forwardDsn = process.env.SENTRY_DSN;

// ---- forwarding (optional) -------------------------------------------------------------------------------------
const forwardTargets = [];
if (forwardDsn) {
  const dsn = new URL(forwardDsn);
  const project = dsn.pathname.split('/').filter(Boolean).pop();
  const base = `${dsn.protocol}//${dsn.host}${dsn.pathname.slice(0, dsn.pathname.lastIndexOf('/'))}`;
  forwardTargets.push({ name: 'Sentry', url: `${base}/api/${project}/envelope/?sentry_key=${dsn.username}&sentry_version=7` });
}
if (useSpotlight) forwardTargets.push({ name: 'Spotlight', url: 'http://localhost:8969/stream' });
const forwardFailures = new Set();
const forwarding = [];
function forward(body) {
  for (const target of forwardTargets) {
    forwarding.push(
      fetch(target.url, { method: 'POST', body, headers: { 'content-type': 'application/x-sentry-envelope' } })
        .then((response) => {
          if (!response.ok) forwardFailures.add(`${target.name} answered ${response.status}`);
        })
        .catch((error) => forwardFailures.add(`${target.name} unreachable (${error.cause?.code ?? error.message})`)),
    );
  }
}

// ---- the apps ---------------------------------------------------------------------------------------------------
const receiver = await startEnvelopeReceiver({ onEnvelope: forwardTargets.length ? forward : undefined });
const children = [];

function startApp(name, example, env) {
  const dir = path.join(root, 'examples', example);
  const child = spawn(process.execPath, ['--import', path.join(dir, 'instrument.mjs'), path.join(dir, 'app.mjs')], {
    cwd: root,
    env: { ...process.env, SENTRY_DSN: receiver.dsn, SENTRY_ENVIRONMENT: name, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 20000);
    child.stdout.on('data', (chunk) => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(String(chunk));
      if (match) {
        clearTimeout(timer);
        resolve({ name, url: new URL(match[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}):\n${output}`)));
  });
}

function stopAll() {
  return Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.removeAllListeners('exit');
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 4000).unref();
        }),
    ),
  );
}
process.on('SIGINT', () => stopAll().then(() => process.exit(130)));

/** One HTTP request, optionally from another loopback address (127.0.0.2 is not our proxy). */
function send(app, { method = 'GET', path: target, headers = {}, body, localAddress }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: app.url.hostname, port: app.url.port, method, path: target, headers, localAddress }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---- the tour ---------------------------------------------------------------------------------------------------
const JWT_TOKEN = jwt.sign({ sub: 'user_8431', email: 'lin@example.com', nickname: 'lin' }, 'example-only-secret', { algorithm: 'HS256' });
const PROXY = '127.0.0.1'; // what the examples trust
const STRANGER = '127.0.0.2'; // a client connecting directly, not through the proxy

const SCENARIOS = [
  { id: 1, app: 'express', title: 'passport session login, error in a route', run: async (app) => {
      const login = await send(app, { method: 'POST', path: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=ada&password=lovelace' });
      const cookie = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0];
      await send(app, { path: '/account/checkout?tour=1', headers: { cookie } });
    } },
  { id: 2, app: 'koa', title: 'JWT user (koa-jwt), error in a route', run: (app) => send(app, { path: '/api/orders/1001?tour=2', headers: { authorization: `Bearer ${JWT_TOKEN}` } }) },
  { id: 3, app: 'express', title: 'anonymous client behind our proxy', run: (app) => send(app, { path: '/hello?name=visitor&tour=3', headers: { 'x-forwarded-for': '198.51.100.23' }, localAddress: PROXY }) },
  { id: 4, app: 'express', title: 'client forging X-Forwarded-For / X-Client-IP, no proxy', run: (app) => send(app, { path: '/hello?name=forger&tour=4', headers: { 'x-forwarded-for': '6.6.6.6', 'x-client-ip': '5.5.5.5' }, localAddress: STRANGER }) },
  { id: 5, app: 'express-nopii', title: 'the same forger, PII off (userInfo: false)', run: (app) => send(app, { path: '/hello?name=forger&tour=5', headers: { 'x-forwarded-for': '6.6.6.6', 'x-client-ip': '5.5.5.5' }, localAddress: STRANGER }) },
  { id: 6, app: 'koa', title: 'JWT user via proxy: error + transaction', run: (app) => send(app, { path: '/api/orders/1002?tour=6', headers: { authorization: `Bearer ${JWT_TOKEN}`, 'x-forwarded-for': '6.6.6.6, 203.0.113.77' }, localAddress: PROXY }) },
];

const started = Date.now();
const [expressWith, expressAlone, koaWith, koaAlone, noPiiWith, noPiiAlone] = await Promise.all([
  startApp('with', 'express-passport'),
  startApp('alone', 'express-passport', { SENTRY_REQUEST_USER: 'off' }),
  startApp('with', 'koa-jwt'),
  startApp('alone', 'koa-jwt', { SENTRY_REQUEST_USER: 'off' }),
  startApp('with', 'express-passport', { SENTRY_USER_INFO: 'false' }),
  startApp('alone', 'express-passport', { SENTRY_USER_INFO: 'false', SENTRY_REQUEST_USER: 'off' }),
]);
const apps = { express: [expressWith, expressAlone], koa: [koaWith, koaAlone], 'express-nopii': [noPiiWith, noPiiAlone] };

for (const scenario of SCENARIOS) {
  for (const app of apps[scenario.app]) await scenario.run(app);
}

const tourOf = (event) => /(?:^|&)tour=(\d+)/.exec(String(event.request?.query_string ?? ''))?.[1];
const find = (id, environment) => receiver.events().find((event) => event.type !== 'transaction' && tourOf(event) === String(id) && event.environment === environment);
try {
  await receiver.waitFor(() => SCENARIOS.every((s) => find(s.id, 'with') && find(s.id, 'alone')), 15000);
} catch {
  // Print what arrived; a missing row says so.
}
// Spans are flushed when the SDK shuts down: stop the apps, then read them.
await stopAll();

// ---- the report -------------------------------------------------------------------------------------------------
function describeUser(user) {
  if (!user) return '—';
  const parts = [];
  if (user.id !== undefined) parts.push(`id=${user.id}`);
  if (user.username) parts.push(user.username);
  if (user.email) parts.push(`<${user.email}>`);
  if (user.ip_address) parts.push(`ip=${user.ip_address}`);
  return parts.join(' ') || '—';
}
/** The server-side rule: 1) user.ip_address set directly, 2) request.env.REMOTE_ADDR, 3) the connection only for {{auto}}. */
function storedIp(event) {
  if (!event) return '(no event)';
  const direct = event.user?.ip_address;
  if (direct && direct !== '{{auto}}') return `${direct}  (1: user.ip_address)`;
  const remote = event.request?.env?.REMOTE_ADDR;
  if (remote) return `${remote}  (2: REMOTE_ADDR)`;
  return direct === '{{auto}}' ? 'Sentry server address  (3: {{auto}})' : 'none';
}
const pad = (text, width) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
const COLUMNS = [['', 20], ['user', 36], ['REMOTE_ADDR', 15], ['user IP Sentry stores', 38]];
const line = (cells) => `  ${cells.map((cell, i) => pad(cell, COLUMNS[i][1])).join(' ')}`;

console.log('\nsentry-request-user demo: what Sentry stores for each request (envelopes received on 127.0.0.1)\n');
console.log(`  proxy = ${PROXY} (trusted by the examples), stranger = ${STRANGER} (a direct client)\n`);
for (const scenario of SCENARIOS) {
  console.log(` ${scenario.id}. ${scenario.title}  [${scenario.app.replace('-nopii', '')}]`);
  console.log(line(COLUMNS.map(([name]) => name)));
  for (const [label, environment] of [['sentry-request-user', 'with'], ['@sentry/node alone', 'alone']]) {
    const event = find(scenario.id, environment);
    console.log(line([label, describeUser(event?.user), event?.request?.env?.REMOTE_ADDR ?? '—', storedIp(event)]));
  }
  console.log('');
}

const segmentFor = (environment) =>
  receiver.spans().find((span) => span.is_segment && /tour=6/.test(JSON.stringify(span.attributes ?? {})) && span.attributes?.['sentry.environment']?.value === environment);
const attr = (span, key) => span?.attributes?.[key]?.value ?? '—';
console.log(' 6b. the transaction of request 6 (a streamed segment span in @sentry/node 11)');
console.log(line(['', 'user.id', 'client.address', 'user.ip_address']));
for (const [label, environment] of [['sentry-request-user', 'with'], ['@sentry/node alone', 'alone']]) {
  const span = segmentFor(environment);
  console.log(line([label, span ? String(attr(span, 'user.id')) : '(no span)', String(attr(span, 'client.address')), String(attr(span, 'user.ip_address'))]));
}

const logFor = (environment) =>
  receiver.logs().find((log) => String(log.body).includes('order 1002') && log.attributes?.['sentry.environment']?.value === environment);
console.log('\n 6c. a log line of request 6 (Sentry.logger.warn in the route)');
console.log(line(['', 'user.id', 'user.email', 'body']));
for (const [label, environment] of [['sentry-request-user', 'with'], ['@sentry/node alone', 'alone']]) {
  const log = logFor(environment);
  console.log(line([label, log ? String(attr(log, 'user.id')) : '(no log)', String(attr(log, 'user.email')), log ? String(log.body) : '']));
}

await Promise.allSettled(forwarding);
await receiver.close();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\n${receiver.events().length} events, ${receiver.spans().length} spans and ${receiver.logs().length} logs received in ${seconds} s.`);
if (forwardTargets.length) {
  console.log(`Forwarded every envelope to ${forwardTargets.map((target) => target.name).join(' and ')}${forwardFailures.size ? `, with problems: ${[...forwardFailures].join('; ')}` : '.'}`);
}
console.log(`
Where to look next:
  examples/express-passport/app.mjs, examples/koa-jwt/app.mjs, examples/node-http/server.mjs  (the code behind this tour)
  README.md "Trust proxy recipes" for nginx, AWS ALB, Cloudflare, Fly.io, Heroku, Google Cloud, Kubernetes
  SENTRY_DSN=<your DSN> npm run demo   also forwards this tour to your Sentry project; --spotlight to Spotlight`);
