'use strict';
const http = require('node:http');
const Sentry = require('@sentry/node');
Sentry.init({ dsn: process.env.BENCH_DSN });
const express = require('express');
const { sentryUser } = require(require('node:path').join(process.env.BENCH_PACKAGE_DIR, 'dist', 'cjs', 'adapters', 'express.js'));

const TOTAL = Number(process.env.BENCH_REQUESTS);
const app = express();
app.use((req, _res, next) => {
  req.user = { id: req.headers['x-user'], email: `${req.headers['x-user']}@example.com` };
  next();
});
app.use(sentryUser());
app.get('/', (req, res) => {
  // Distinct messages: the SDK's Dedupe integration drops an event identical to the previous one.
  if (Number(req.headers['x-user']) % 50 === 0) Sentry.captureMessage(`memory bench event ${req.headers['x-user']}`);
  res.send('ok');
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
function get(port, i) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { 'x-user': String(i) } }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
}
async function drive(port, count, offset) {
  let next = 0;
  const worker = async () => {
    while (next < count) await get(port, offset + next++);
  };
  await Promise.all(Array.from({ length: 20 }, worker));
}
async function settledHeap() {
  await Sentry.flush(5000);
  for (let i = 0; i < 5; i++) {
    global.gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed;
}

const server = app.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  await drive(port, 5000, 0); // warm-up: JIT, pools, lazy SDK state
  const before = await settledHeap();
  await drive(port, TOTAL, 5000);
  const after = await settledHeap();
  process.stdout.write(`RESULT ${JSON.stringify({ requests: TOTAL, before, after, growthBytes: after - before, growthBytesPerRequest: (after - before) / TOTAL })}\n`);
  server.close();
  agent.destroy();
  process.exit(0);
});
