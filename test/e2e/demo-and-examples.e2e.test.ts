import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { eventMatching, startEnvelopeReceiver, type EnvelopeReceiver } from './harness.js';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** Runs an example exactly as the command at its top says, against a local receiver. */
function startExample(file: string, dsn: string, instrument = path.dirname(file)): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', path.join(ROOT, 'examples', instrument, 'instrument.mjs'), path.join(ROOT, 'examples', file)], {
    cwd: ROOT,
    env: { ...process.env, SENTRY_DSN: dsn, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`example exited with ${code}: ${err}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(chunk.toString());
      if (match) {
        resolve({
          url: match[1] as string,
          stop: () =>
            new Promise((done) => {
              child.removeAllListeners('exit');
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

describe('npm run demo', () => {
  it('runs the tour in under a minute, prints what Sentry stores beside @sentry/node alone, and exits 0', async () => {
    const started = Date.now();
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'demo/run-demo.mjs')], { cwd: ROOT, timeout: 60000 });
    expect(Date.now() - started).toBeLessThan(60000);
    const block = (id: string) => stdout.slice(stdout.indexOf(` ${id}. `), stdout.indexOf('\n\n', stdout.indexOf(` ${id}. `)));
    // The forger: we store the address it connected from; the SDK alone stores what it typed.
    expect(block('4')).toMatch(/sentry-request-user\s+—\s+127\.0\.0\.2\s+127\.0\.0\.2 {2}\(2: REMOTE_ADDR\)/);
    expect(block('4')).toMatch(/@sentry\/node alone\s+ip=5\.5\.5\.5/);
    expect(block('1')).toMatch(/sentry-request-user\s+id=7 ada <ada@example\.com>/);
    expect(block('2')).toMatch(/sentry-request-user\s+id=user_8431/);
    expect(block('3')).toMatch(/sentry-request-user\s+—\s+198\.51\.100\.23/);
    expect(block('5')).toMatch(/sentry-request-user\s+—\s+—\s+none/);
    expect(block('6')).toMatch(/sentry-request-user\s+id=user_8431.*203\.0\.113\.77/);
    expect(block('6b')).toMatch(/sentry-request-user\s+user_8431\s+203\.0\.113\.77\s+203\.0\.113\.77/);
    // A log line of the request carries its user; the SDK alone's does not.
    expect(block('6c')).toMatch(/sentry-request-user\s+user_8431\s+lin@example\.com\s+order 1002/);
    expect(block('6c')).toMatch(/@sentry\/node alone\s+—\s+—\s+order 1002/);
    expect(stdout).toContain('Where to look next');
    expect(stdout).not.toContain('(no event)');
    // No example process is left behind.
    const { stdout: processes } = await run('ps', ['-eo', 'args']);
    expect(processes).not.toMatch(/examples\/(express-passport|koa-jwt)\/app\.mjs/);
  });

  it('with SENTRY_DSN set, forwards every envelope to that Sentry', async () => {
    const upstream = await startEnvelopeReceiver();
    try {
      await run(process.execPath, [path.join(ROOT, 'demo/run-demo.mjs')], { cwd: ROOT, timeout: 60000, env: { ...process.env, SENTRY_DSN: upstream.dsn } });
      expect(upstream.events().length).toBeGreaterThanOrEqual(12);
    } finally {
      await upstream.close();
    }
  });
});

describe('examples', () => {
  let receiver: EnvelopeReceiver;
  beforeAll(async () => {
    receiver = await startEnvelopeReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('express-passport: the signed-in user on a route error', async () => {
    const example = await startExample('express-passport/app.mjs', receiver.dsn);
    try {
      const agent = request.agent(example.url);
      await agent.post('/login').type('form').send({ username: 'ada', password: 'lovelace' }).expect(200);
      await agent.get('/account/checkout').expect(500);
      const event = await eventMatching(receiver, 'checkout failed');
      expect(event.user).toEqual({ id: '7', username: 'ada', email: 'ada@example.com', name: 'Ada Lovelace' });
      expect(event.request.env.REMOTE_ADDR).toBe('127.0.0.1');
    } finally {
      await example.stop();
    }
  });

  it('koa-jwt: the token subject on a route error, address from the one trusted hop', async () => {
    const example = await startExample('koa-jwt/app.mjs', receiver.dsn);
    try {
      const token = jwt.sign({ sub: 'k-1' }, 'example-only-secret', { algorithm: 'HS256' });
      await request(example.url).get('/api/orders/77').set('Authorization', `Bearer ${token}`).set('X-Forwarded-For', '6.6.6.6, 198.51.100.40').expect(500);
      const event = await eventMatching(receiver, 'order 77');
      expect(event.user).toEqual({ id: 'k-1' });
      expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.40');
    } finally {
      await example.stop();
    }
  });

  it('nestjs: the user a guard set after all middleware, on an error the global exception filter reported', async () => {
    const example = await startExample('nestjs/app.mjs', receiver.dsn);
    try {
      const token = jwt.sign({ sub: 'n-1', email: 'ada@example.com' }, 'example-only-secret', { algorithm: 'HS256' });
      await request(example.url).get('/account/orders/5150').set('Authorization', `Bearer ${token}`).set('X-Forwarded-For', '6.6.6.6, 198.51.100.44').expect(500);
      const event = await eventMatching(receiver, 'order 5150: payment backend timed out');
      expect(event.user).toEqual({ id: 'n-1', email: 'ada@example.com' });
      expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.44');
    } finally {
      await example.stop();
    }
  });

  it('node-http: the core functions alone fill user and REMOTE_ADDR', async () => {
    const example = await startExample('node-http/server.mjs', receiver.dsn, 'express-passport');
    try {
      const response = await request(example.url).get('/').set('X-Forwarded-For', '198.51.100.41').expect(200);
      expect(response.text).toBe('your address: 198.51.100.41\n');
      await request(example.url).get('/boom').set('X-Session', 's3cr3t').set('X-Forwarded-For', '6.6.6.6, 198.51.100.42').expect(500);
      const event = await eventMatching(receiver, 'raw http failure');
      expect(event.user).toEqual({ id: '42', username: 'grace', email: 'grace@example.com' });
      expect(event.request.env.REMOTE_ADDR).toBe('198.51.100.42');
    } finally {
      await example.stop();
    }
  });
});
