import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventFiller } from '../../src/binding/event-filler';
import type { FrameworkAccess } from '../../src/binding/framework';
import { watchFinishedResponses } from '../../src/binding/release-on-finish';
import { RequestTie } from '../../src/binding/request-tie';
import { trustNothing } from '../../src/ip/trust';
import { ADAPTER_OPTION_NAMES } from '../../src/options/options';
import { parseOptions } from '../../src/options/parse-options';
import type { SentryHandle } from '../../src/sentry/locate-sentry';
import { tieToScope } from '../../src/sentry/request-registry';
import type { ScopeShape } from '../../src/sentry/sdk-shapes';

// Real Node HTTP and its real `http.server.response.finish` channel; the SDK's async context is played by `current`:
// the isolation scope the subscriber sees when a response finishes.
const framework: FrameworkAccess<http.IncomingMessage> = {
  name: 'Node',
  request: (req) => req,
  response: () => undefined,
  detectPrincipal: () => undefined,
  callGetUser: () => undefined,
  mapUserArgument: (req) => req,
  frameworkTrust: () => ({ trust: trustNothing, trustsEveryHop: false }),
};
const filler = new EventFiller(parseOptions(undefined, ADAPTER_OPTION_NAMES, true), framework);
const requestScope = (): ScopeShape => ({ _sdkProcessingMetadata: { normalizedRequest: { headers: {} } } }) as ScopeShape;

let current: ScopeShape = {};
let failing = false;
const handle: SentryHandle = {
  carrier: { defaultIsolationScope: {} },
  acs: {
    getCurrentScope: () => current,
    getIsolationScope: () => {
      if (failing) throw new Error('scope unavailable');
      return current;
    },
    withIsolationScope: (callback) => callback(current),
  },
  version: 'test',
};
watchFinishedResponses(handle);

interface Held {
  readonly tie: RequestTie<http.IncomingMessage>;
  readonly scope: ScopeShape;
  readonly res: http.ServerResponse;
}

const arrived: Held[] = [];
const server = http.createServer((req, res) => {
  const scope = requestScope();
  const tie = new RequestTie(filler, req, false, false);
  expect(tieToScope(handle, scope, tie, req)).toBe(true);
  arrived.push({ tie, scope, res });
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Sends a request and resolves with its response body once the handler answered it. */
function get(): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function arrivals(count: number): Promise<Held[]> {
  while (arrived.length < count) await new Promise((resolve) => setTimeout(resolve, 2));
  return arrived.splice(0, count);
}

describe('a finished response lets go of its own request only (Node’s finish channel, no listener per request)', () => {
  it('the tie on the isolation scope current at finish is released when it is that response’s request', async () => {
    const answer = get();
    const [one] = await arrivals(1);
    current = one!.scope;
    one!.res.end('done');
    expect(await answer).toBe('done');
    expect(one!.tie.released).toBe(true);
  });

  it('a response ended from another request’s async context releases neither: the other request’s tie stays live', async () => {
    const answers = [get(), get()];
    const [first, second] = await arrivals(2);
    current = second!.scope; // a library that lost the context: the first response ends while the second's scope is current
    first!.res.end('first');
    expect(await answers[0]).toBe('first');
    expect(second!.tie.released).toBe(false);
    expect(first!.tie.released).toBe(false); // kept until the SDK drops the scope, as documented
    second!.res.end('second');
    expect(await answers[1]).toBe('second');
    expect(second!.tie.released).toBe(true);
  });

  it('a scope that throws when read does not reach the app: the response goes out, the tie stays', async () => {
    const answer = get();
    const [one] = await arrivals(1);
    current = one!.scope;
    failing = true;
    try {
      one!.res.end('still sent');
      expect(await answer).toBe('still sent');
      await new Promise((resolve) => setImmediate(resolve)); // Node would rethrow a subscriber's error on the next tick
      expect(one!.tie.released).toBe(false);
    } finally {
      failing = false;
    }
  });
});
