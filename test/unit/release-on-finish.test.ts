import { channel } from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { EventFiller } from '../../src/binding/event-filler';
import type { FrameworkAccess } from '../../src/binding/framework';
import { releaseOnFinish, watchFinishedResponses } from '../../src/binding/release-on-finish';
import { RequestTie } from '../../src/binding/request-tie';
import { trustNothing } from '../../src/ip/trust';
import { ADAPTER_OPTION_NAMES } from '../../src/options/options';
import { parseOptions } from '../../src/options/parse-options';
import type { SentryHandle } from '../../src/sentry/locate-sentry';
import { tieToScope } from '../../src/sentry/request-registry';
import type { ScopeShape } from '../../src/sentry/sdk-shapes';

// Real Node HTTP and its real `http.server.response.finish` channel; the SDK's async context is played by `current`:
// the isolation scope the subscriber sees when a response finishes (it looks there only for a request without an entry:
// `/unarmed` plays one).
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
// mapUser gets the framework object: a tie with one keeps it until the app's finish/close listeners ran.
const mapUserFiller = new EventFiller(parseOptions({ mapUser: (principal: unknown) => principal }, ADAPTER_OPTION_NAMES, true), framework);
// An async getUser is called with the live request: the same.
const asyncGetUserFiller = new EventFiller(parseOptions({ getUser: async () => ({ id: 'async' }) }, ADAPTER_OPTION_NAMES, true), callingGetUserAccess());
// A synchronous getUser that reads the app's async context (played by `current`, as an AsyncLocalStorage would be).
const userOfScope = new WeakMap<ScopeShape, { id: string }>();
const callingGetUser: FrameworkAccess<http.IncomingMessage> = callingGetUserAccess();
function callingGetUserAccess(): FrameworkAccess<http.IncomingMessage> {
  return { ...framework, callGetUser: (getUser, req) => (getUser as (req: http.IncomingMessage) => unknown)(req) };
}
const contextGetUserFiller = new EventFiller(parseOptions({ getUser: () => userOfScope.get(current) }, ADAPTER_OPTION_NAMES, true), callingGetUser);
// The same, building a fresh object each call (`() => ({ ...als.getStore() })`): alike, though never the same object.
const freshContextGetUserFiller = new EventFiller(
  parseOptions({ getUser: () => ({ ...userOfScope.get(current) }) }, ADAPTER_OPTION_NAMES, true),
  callingGetUser,
);
// The same, with a principal that has none of the User keys (only what a mapUser would read).
const keylessContextGetUserFiller = new EventFiller(
  parseOptions({ getUser: () => ({ account: userOfScope.get(current)?.id }) }, ADAPTER_OPTION_NAMES, true),
  callingGetUser,
);
// A synchronous getUser that reads the request: users by the `u` query parameter (one user may have two tabs). Made
// anew for each block below: what its reader learns about it lasts for the reader's life.
const makeUserByQueryFiller = (): EventFiller<http.IncomingMessage> =>
  new EventFiller(
    parseOptions({ getUser: (req: http.IncomingMessage) => ({ id: new URL(req.url ?? '/', 'http://x').searchParams.get('u') }) }, ADAPTER_OPTION_NAMES, true),
    callingGetUser,
  );
let userByQueryFiller = makeUserByQueryFiller();
// A synchronous getUser that reads the request: no user for anonymous requests.
const anonymousOrUserFiller = new EventFiller(
  parseOptions({ getUser: (req: http.IncomingMessage) => (req.url?.endsWith('/nobody') ? undefined : { id: `user of ${req.url}` }) }, ADAPTER_OPTION_NAMES, true),
  callingGetUser,
);
// A synchronous getUser that reads the request itself.
const requestGetUserFiller = new EventFiller(
  parseOptions({ getUser: (req: http.IncomingMessage) => ({ id: `user of ${req.url}` }) }, ADAPTER_OPTION_NAMES, true),
  callingGetUser,
);
const requestScope = (): ScopeShape => ({ _sdkProcessingMetadata: { normalizedRequest: { headers: {} } } }) as ScopeShape;

let current: ScopeShape = {};
/** Where the tie is kept: on the request itself (frameworks whose requests share a class), or in the weak map (Express). */
let tieOnRequest = true;
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
  /** Whether the tie had let go when the app's own `finish` listener ran. */
  releasedInFinishListener?: boolean;
  /** Whether it had when the response's `close` listeners ran (where the SDK ends the request's span). */
  releasedInCloseListener?: boolean;
}

const arrived: Held[] = [];
const server = http.createServer((req, res) => {
  const scope = requestScope();
  userOfScope.set(scope, { id: `user of ${req.url}` });
  const byPath: [string, EventFiller<http.IncomingMessage>][] = [
    ['/context-user', contextGetUserFiller],
    ['/fresh-context-user', freshContextGetUserFiller],
    ['/keyless-context-user', keylessContextGetUserFiller],
    ['/request-user', requestGetUserFiller],
    ['/user-by-query', userByQueryFiller],
    ['/map-user', mapUserFiller],
    ['/anonymous-or-user', anonymousOrUserFiller],
    ['/async-user', asyncGetUserFiller],
  ];
  const chosen = byPath.find(([prefix]) => req.url?.startsWith(prefix))?.[1] ?? filler;
  const tie = new RequestTie(chosen, req, false, false);
  expect(tieToScope(handle, scope, tie, req)).toBe(true);
  if (!req.url?.startsWith('/unarmed')) expect(releaseOnFinish(req, tie as RequestTie<unknown>, tieOnRequest)).toBe(true);
  const held: Held = { tie, scope, res };
  res.on('finish', () => (held.releasedInFinishListener = tie.released));
  res.on('close', () => (held.releasedInCloseListener = tie.released));
  arrived.push(held);
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections(); // a failed test may leave a response unsent
  await new Promise((resolve) => server.close(resolve));
});

/** Sends a request and resolves with its response body once the handler answered it. */
function get(path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** Two requests pipelined on one connection: Node hands both to the app before the first response is sent. */
function pipelined(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

async function arrivals(count: number): Promise<Held[]> {
  while (arrived.length < count) await new Promise((resolve) => setTimeout(resolve, 2));
  return arrived.splice(0, count);
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.each([
  ['the tie on the request itself (Koa, Fastify, Hono)', true],
  ['the tie in a weak map keyed by the request (Express)', false],
])('a finished response lets go of its own request only (Node’s finish channel, no listener per request): %s', (_where, onRequest) => {
  beforeAll(() => {
    tieOnRequest = onRequest;
    userByQueryFiller = makeUserByQueryFiller();
  });

  it('by default the tie lets go when the response finishes: nothing filled later reads the request again', async () => {
    const answer = get();
    const [one] = await arrivals(1);
    current = one!.scope;
    one!.res.end('done');
    expect(await answer).toBe('done');
    expect(one!.releasedInFinishListener).toBe(true);
  });

  it.each([
    ['mapUser (it gets the request)', '/map-user'],
    ['an async getUser (called with the live request)', '/async-user'],
  ])('with %s the tie lets go only after the app’s own finish and close listeners ran', async (_what, path) => {
    const answer = get(path);
    const [one] = await arrivals(1);
    current = one!.scope;
    one!.res.end('done');
    expect(await answer).toBe('done');
    await nextTurn();
    expect([one!.releasedInFinishListener, one!.releasedInCloseListener]).toEqual([false, false]);
    expect(one!.tie.released).toBe(true);
  });

  it('with mapUser, two responses finishing in one turn: neither is let go of before its own close listeners ran', async () => {
    const answers = [get('/map-user/1'), get('/map-user/2')];
    const [first, second] = await arrivals(2);
    current = first!.scope;
    first!.res.end('first'); // both finish in the same drain of the tick queue, the first's close still pending
    second!.res.end('second');
    expect(await Promise.all(answers)).toEqual(['first', 'second']);
    await nextTurn();
    expect([first!.releasedInCloseListener, second!.releasedInCloseListener]).toEqual([false, false]);
    expect([first!.tie.released, second!.tie.released]).toEqual([true, true]);
  });

  it('a response ended from another request’s async context (a callback-style client) still lets go of its own request only', async () => {
    const answers = [get(), get()];
    const [first, second] = await arrivals(2);
    current = second!.scope; // the first response ends while the second's scope is current
    first!.res.end('first');
    expect(await answers[0]).toBe('first');
    await nextTurn();
    expect(first!.tie.released).toBe(true);
    expect(second!.tie.released).toBe(false);
    second!.res.end('second');
    expect(await answers[1]).toBe('second');
    await nextTurn();
    expect(second!.tie.released).toBe(true);
  });

  it.each([
    ['its own', 'its user', 'reads the app’s context', 'context-user', 'first', 'user of /context-user/1'],
    ['another request’s', 'no user, not that request’s', 'reads the app’s context', 'context-user', 'second', undefined],
    ['another request’s', 'no user, not that request’s', 'reads the app’s context into a fresh object', 'fresh-context-user', 'second', undefined],
    ['another request’s', 'no user, not that request’s', 'reads the app’s context into an object with no User keys', 'keyless-context-user', 'second', undefined],
    ['its own', 'its user', 'reads the request', 'request-user', 'first', 'user of /request-user/1'],
    ['another request’s', 'its own user', 'reads the request', 'request-user', 'second', 'user of /request-user/1'],
  ] as const)(
    'a response ended in %s async context keeps %s from a synchronous getUser that %s',
    async (_context, _kept, _reads, path, currentScope, keptPrincipal) => {
      const answers = [get(`/${path}/1`), get(`/${path}/2`)];
      const [first, second] = await arrivals(2);
      current = (currentScope === 'first' ? first : second)!.scope;
      first!.res.end('first');
      expect(await answers[0]).toBe('first');
      await nextTurn();
      expect(first!.tie.released).toBe(true);
      // What an event the first request's work captures later gets.
      const facts = first!.tie.captureFacts(first!.scope, handle) as { principal?: unknown };
      current = second!.scope;
      second!.res.end('second');
      expect(await answers[1]).toBe('second');
      expect(facts.principal).toEqual(keptPrincipal === undefined ? undefined : { id: keptPrincipal });
    },
  );

  it('an anonymous request that ended its own response first, then another’s in its context: that one keeps its user', async () => {
    // A long poll answered by an anonymous request (or pipelining): the second response finishes in the first's async
    // context; the first must still be able to answer (no user) so the two answers can be told apart.
    const answers = [get('/anonymous-or-user/nobody'), get('/anonymous-or-user/alice')];
    const [anonymous, alice] = await arrivals(2);
    current = anonymous!.scope;
    anonymous!.res.end('anonymous');
    alice!.res.end('alice');
    expect(await Promise.all(answers)).toEqual(['anonymous', 'alice']);
    await nextTurn();
    const kept = (alice!.tie.captureFacts(alice!.scope, handle) as { principal?: unknown }).principal;
    expect(kept).toEqual({ id: 'user of /anonymous-or-user/alice' });
  });

  it('once a getUser answered two requests in one context with different users, two tabs of one user keep theirs too', async () => {
    /** Ends the first of two requests in the second's context; returns the first's kept principal. */
    async function endFirstInSecondsContext(firstUser: string, secondUser: string): Promise<unknown> {
      const answers = [get(`/user-by-query/1?u=${firstUser}`), get(`/user-by-query/2?u=${secondUser}`)];
      const [first, second] = await arrivals(2);
      current = second!.scope;
      first!.res.end('first');
      await answers[0];
      await nextTurn();
      const kept = (first!.tie.captureFacts(first!.scope, handle) as { principal?: unknown }).principal;
      second!.res.end('second');
      await answers[1];
      return kept;
    }
    expect(await endFirstInSecondsContext('ada', 'ada')).toBeUndefined(); // alike: could be the app's context
    expect(await endFirstInSecondsContext('ada', 'grace')).toEqual({ id: 'ada' }); // differ: reads the request
    expect(await endFirstInSecondsContext('ada', 'ada')).toEqual({ id: 'ada' }); // known from now on
  });

  it('pipelined requests (one socket, both handed to the app before either answers) each let go when their own response finishes', async () => {
    const text = pipelined();
    const [first, second] = await arrivals(2);
    current = first!.scope;
    first!.res.end('first');
    second!.res.end('second');
    expect(await text).toMatch(/first[\s\S]*second/);
    await nextTurn();
    expect(first!.tie.released).toBe(true);
    expect(second!.tie.released).toBe(true);
  });

  it('a finished request without an entry is found on its own isolation scope (the context it finished in)', async () => {
    const answer = get('/unarmed');
    const [one] = await arrivals(1);
    current = one!.scope;
    one!.res.end('done');
    expect(await answer).toBe('done');
    expect(one!.tie.released).toBe(true);
  });

  it('a scope that throws when read does not reach the app: the response goes out, the tie stays', async () => {
    const answer = get('/unarmed');
    const [one] = await arrivals(1);
    current = one!.scope;
    failing = true; // a request without an entry can only be found through the scope
    try {
      one!.res.end('done');
      expect(await answer).toBe('done');
      await nextTurn(); // Node would rethrow a subscriber's error on the next tick
      expect(one!.tie.released).toBe(false);
    } finally {
      failing = false;
    }
  });

  it('pipelined requests, the first answered from the second’s async context: each lets go of its own request', async () => {
    const text = pipelined();
    const [first, second] = await arrivals(2);
    current = second!.scope; // the first response ends while the second's scope is current
    first!.res.end('first');
    second!.res.end('second');
    expect(await text).toMatch(/first[\s\S]*second/);
    await nextTurn();
    expect([first!.tie.released, second!.tie.released]).toEqual([true, true]);
  });

  it('a Node request wrapped in an app’s Proxy whose set trap throws: armed without throwing, and let go when a finish names that object', () => {
    const socket = new net.Socket();
    const wrapped = new Proxy(new http.IncomingMessage(socket), {
      set: () => {
        throw new Error('read-only request');
      },
    });
    const tie = new RequestTie(filler, wrapped, false, false);
    expect(releaseOnFinish(wrapped, tie as RequestTie<unknown>, onRequest)).toBe(true);
    channel('http.server.response.finish').publish({ request: wrapped });
    expect(tie.released).toBe(true);
    socket.destroy();
  });

  it('an app’s Proxy of the Node request (what the framework hands over): Node reports the real request, the response names the tie', () => {
    const socket = new net.Socket();
    const real = new http.IncomingMessage(socket);
    const res = new http.ServerResponse(real);
    const wrapped = new Proxy(real, {});
    type Target = { req: http.IncomingMessage; res: http.ServerResponse };
    const proxied: FrameworkAccess<Target> = {
      ...framework,
      request: (target: Target) => target.req,
      response: (target: Target) => target.res,
      mapUserArgument: (target: Target) => target,
    } as unknown as FrameworkAccess<Target>;
    const target = { req: wrapped, res };
    const tie = new RequestTie(new EventFiller(parseOptions(undefined, ADAPTER_OPTION_NAMES, true), proxied), target, false, false);
    const scope = requestScope();
    expect(tieToScope(handle, scope, tie, target)).toBe(true);
    expect(releaseOnFinish(wrapped, tie as RequestTie<unknown>, onRequest)).toBe(true);
    const before = current;
    current = scope;
    try {
      // Another response finishing in this context does not let go of it.
      channel('http.server.response.finish').publish({ request: new http.IncomingMessage(socket), response: new http.ServerResponse(real) });
      expect(tie.released).toBe(false);
      channel('http.server.response.finish').publish({ request: real, response: res });
    } finally {
      current = before;
    }
    expect(tie.released).toBe(true);
    socket.destroy();
  });

  it('a request object whose prototype cannot be read (a Proxy whose trap throws) is not armed, and nothing throws', () => {
    const hostile = new Proxy({}, { getPrototypeOf: () => { throw new Error('hostile'); } });
    const tie = new RequestTie(filler, hostile as unknown as http.IncomingMessage, false, false);
    expect(releaseOnFinish(hostile, tie as RequestTie<unknown>, onRequest)).toBe(false);
  });
});
