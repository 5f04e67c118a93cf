import { writeFileSync } from 'node:fs';
import request from 'supertest';
import { describeEvent, KOA_ROUTE_ERRORS_WORK, startEnvelopeReceiver, startFixture, type EnvelopeReceiver, type FixtureConfig } from './harness.js';

const itKoa = KOA_ROUTE_ERRORS_WORK ? it : it.skip;

// Many interleaved requests with distinct users and addresses, random async delays, some failing: every event must
// carry its own request's user and address, with and without the SDK's per-request scope.
// `npm run test:load` runs the same with SRU_LOAD_REQUESTS=10000.
const REQUESTS = Number(process.env.SRU_LOAD_REQUESTS ?? 1000);
const CONCURRENCY = 50;
/** Heap growth allowed across the run, after GC; the SDK's own buffers are flushed first. */
const HEAP_GROWTH_LIMIT = 8 * 1024 * 1024;

/** A load run on two shared cores can take a while; a slow run must fail on what it measured, not on jest's 60 s. */
const LOAD_TIMEOUT_MS = 240000;
const report: Record<string, unknown>[] = [];
afterAll(() => {
  // The figures test/HARDENING.md quotes.
  if (process.env.SRU_LOAD_REPORT) writeFileSync(process.env.SRU_LOAD_REPORT, JSON.stringify(report, null, 2));
});

const addressFor = (i: number) => `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`;

async function interleave(framework: 'express' | 'koa', config: FixtureConfig): Promise<void> {
  // A receiver per run: a run that failed part-way cannot leak its late events into the next one's count.
  const receiver: EnvelopeReceiver = await startEnvelopeReceiver();
  // The SDK's transport keeps at most 64 envelopes in flight by default and drops the rest under bursts; a larger
  // buffer makes the count exact, so a missing event can only mean a bug here.
  const sentry = { transportOptions: { bufferSize: REQUESTS * 2 } };
  const fixture = await startFixture(framework, receiver.dsn, { getUser: 'headerAsync', nodeArgs: ['--expose-gc'], sentry, ...config });
  const heap = async () => Number((await request(fixture.url).get('/__heap').expect(200)).body.heapUsed);
  let heapBefore = 0;
  let heapAfter = 0;
  try {
    // Warm up (JIT, pools, lazy SDK state), then measure.
    await Promise.all(Array.from({ length: 100 }, (_, i) => request(fixture.url).get(`/ok?warm=${i}`)));
    heapBefore = await heap();
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        const fail = i % 7 === 0 ? '1' : '0';
        const response = await request(fixture.url)
          .get(`/delay?tag=u${i}&ms=${(i * 13) % 17}&fail=${fail}`)
          .set('X-Test-User', `u${i}`)
          .set('X-Lookup-Delay', String((i * 7) % 11))
          .set('X-Forwarded-For', addressFor(i));
        expect(response.status).toBe(fail === '1' ? 500 : 200);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await receiver.waitFor(() => receiver.events().length >= REQUESTS, 30000 + REQUESTS * 5);
    heapAfter = await heap();
  } finally {
    await fixture.stop();
    await receiver.close();
  }
  let leaks = 0;
  for (const event of receiver.events()) {
    const tag = /u(\d+)/.exec(describeEvent(event))?.[1];
    if (tag === undefined) continue;
    if (event.user?.id !== `u${tag}` || event.request?.env?.REMOTE_ADDR !== addressFor(Number(tag))) leaks++;
  }
  expect(receiver.events()).toHaveLength(REQUESTS);
  expect(leaks).toBe(0);
  expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT);
  report.push({ framework, scope: config.noHttpIntegration ? 'forked by the adapter' : "the SDK's", requests: REQUESTS, events: receiver.events().length, leaks, heapGrowthKiB: Math.round((heapAfter - heapBefore) / 1024) });
}

describe(`${REQUESTS} interleaved requests at concurrency ${CONCURRENCY}`, () => {
  it("Express with the SDK per-request scope: no event carries another request's user or address, heap stable", async () => {
    await interleave('express', { trustProxy: 'loopback' });
  }, LOAD_TIMEOUT_MS);
  it('Express without the SDK HTTP integration (the adapter forks a scope): no leaks', async () => {
    await interleave('express', { trustProxy: 'loopback', noHttpIntegration: true });
  }, LOAD_TIMEOUT_MS);
  itKoa('Koa with the SDK per-request scope: no leaks', async () => {
    await interleave('koa', { proxy: true, maxIpsCount: 1 });
  }, LOAD_TIMEOUT_MS);
  itKoa('Koa without the SDK HTTP integration: no leaks', async () => {
    await interleave('koa', { proxy: true, maxIpsCount: 1, noHttpIntegration: true });
  }, LOAD_TIMEOUT_MS);
});
