import request from 'supertest';
import { describeEvent, startEnvelopeReceiver, startFixture, type EnvelopeReceiver, type FixtureConfig } from './harness.js';

// Many interleaved requests with distinct users and addresses, random async delays, some failing: every event must
// carry its own request's user and address, with and without the SDK's per-request scope.
const REQUESTS = 1000;
const CONCURRENCY = 50;

let receiver: EnvelopeReceiver;
beforeAll(async () => {
  receiver = await startEnvelopeReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const addressFor = (i: number) => `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}`;

async function interleave(framework: 'express' | 'koa', config: FixtureConfig): Promise<void> {
  receiver.items.length = 0;
  const fixture = await startFixture(framework, receiver.dsn, { getUser: 'headerAsync', ...config });
  try {
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
    await receiver.waitFor(() => receiver.events().length >= REQUESTS, 30000);
  } finally {
    await fixture.stop();
  }
  let leaks = 0;
  for (const event of receiver.events()) {
    const tag = /u(\d+)/.exec(describeEvent(event))?.[1];
    if (tag === undefined) continue;
    if (event.user?.id !== `u${tag}` || event.request?.env?.REMOTE_ADDR !== addressFor(Number(tag))) leaks++;
  }
  expect(receiver.events()).toHaveLength(REQUESTS);
  expect(leaks).toBe(0);
}

describe(`${REQUESTS} interleaved requests at concurrency ${CONCURRENCY}`, () => {
  it('Express with the SDK per-request scope: no event carries another request\'s user or address', async () => {
    await interleave('express', { trustProxy: 'loopback' });
  });
  it('Express without the SDK HTTP integration (the adapter forks a scope): no leaks', async () => {
    await interleave('express', { trustProxy: 'loopback', noHttpIntegration: true });
  });
  it('Koa with the SDK per-request scope: no leaks', async () => {
    await interleave('koa', { proxy: true, maxIpsCount: 1 });
  });
  it('Koa without the SDK HTTP integration: no leaks', async () => {
    await interleave('koa', { proxy: true, maxIpsCount: 1, noHttpIntegration: true });
  });
});
