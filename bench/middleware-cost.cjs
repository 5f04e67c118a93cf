'use strict';
// The middleware's own per-request cost, measured directly: the same loop with and without the middleware call,
// each iteration inside a fresh per-request isolation scope as the SDK's HTTP instrumentation makes it. Trials
// alternate and the minimum of each is kept (interference on a shared machine only ever adds time).
// Prints "RESULT {...}" with nanoseconds per request.
const Sentry = require('@sentry/node');
Sentry.init({ dsn: process.env.BENCH_DSN || 'http://public@127.0.0.1:9/1' });
const expressAdapter = require('sentry-request-user/express');
const koaAdapter = require('sentry-request-user/koa');

const ITERATIONS = Number(process.env.BENCH_ITERATIONS || 200000);
const TRIALS = Number(process.env.BENCH_TRIALS || 7);
const requests = Array.from({ length: 1024 }, (_, i) => ({ headers: { 'x-forwarded-for': '198.51.100.7' }, socket: { remoteAddress: '127.0.0.1' }, url: `/${i}` }));
const contexts = requests.map((req) => ({ req, state: {}, app: { proxy: true, maxIpsCount: 1 } }));

function loop(call) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) {
    const scope = Sentry.getIsolationScope().clone();
    Sentry.withIsolationScope(scope, () => call(i & 1023));
  }
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

function measure(withMiddleware, without) {
  const best = { with: Infinity, without: Infinity };
  loop(withMiddleware);
  loop(without);
  for (let t = 0; t < TRIALS; t++) {
    best.without = Math.min(best.without, loop(without));
    best.with = Math.min(best.with, loop(withMiddleware));
  }
  return { baselineNs: best.without, withNs: best.with, costNs: best.with - best.without };
}

const next = () => undefined;
const expressMiddleware = expressAdapter.sentryUser();
const koaMiddleware = koaAdapter.sentryUser();
const noop = () => undefined;
const result = {
  express: measure((i) => expressMiddleware(requests[i], {}, next), (i) => next(requests[i])),
  koa: measure((i) => koaMiddleware(contexts[i], next), (i) => next(contexts[i])),
  // For scale: what calling any function in that position costs.
  noopCall: measure((i) => noop(requests[i], {}, next), (i) => next(requests[i])),
};
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
