// Per-event cost and address resolution, with tinybench on one process: our fill against @sentry/core's own
// request-data path on the same request; resolveClientIp against request-ip and proxy-addr on one mixed corpus.
import { createRequire } from 'node:module';
import path from 'node:path';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const { httpRequestToRequestData, requestDataIntegration } = require('@sentry/core');
const requestIp = require('request-ip');
const proxyAddr = require('proxy-addr');

function fakeRequest(peer, headers) {
  return {
    method: 'POST',
    url: '/checkout?step=2&token=abc',
    headers: { host: 'shop.example.com', 'user-agent': 'bench/1.0', accept: 'application/json', cookie: 'theme=dark; connect.sid=s%3Aabc', authorization: 'Bearer x', ...headers },
    socket: { remoteAddress: peer, encrypted: false },
    connection: { remoteAddress: peer },
    httpVersion: '1.1',
  };
}

/**
 * The per-event tasks for one build: our fill of a bare event, the SDK's own request-data path on the same request,
 * and our fill of the event the SDK's processors hand over (what a real pipeline runs). A string says why this
 * build's fill could not be found. Also used by per-event-instructions.mjs, which counts the same tasks.
 */
export function perEventTasks(packageDir) {
  const kit = require(path.join(packageDir, 'dist', 'cjs', 'src', 'adapter-kit.js'));
  const req = fakeRequest('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' });
  const principal = { id: 42, username: 'ada', email: 'ada@example.com', displayName: 'Ada', passwordHash: 'x' };

  // Our fill, exactly as the event processor runs it (the Express access pattern, a v11-like client).
  const access = {
    name: 'bench',
    request: (r) => r,
    response: () => undefined,
    detectPrincipal: () => principal,
    callGetUser: () => principal,
    mapUserArgument: (r) => r,
    frameworkTrust: () => kit.expressFrameworkTrust((addr, i) => i < 1 || addr === '127.0.0.1', 'loopback'),
  };
  const dataCollection = { userInfo: true, cookies: true, httpHeaders: { request: true, response: true }, urlQueryParams: true, httpBodies: [] };
  const client = { getOptions: () => ({}), getDataCollectionOptions: () => dataCollection };
  const sdkRequestData = requestDataIntegration();
  const ourFill = fillFunction(kit, access, req, client);
  if (typeof ourFill === 'string') return ourFill;

  // What the SDK's own processors (which run before ours) leave on event.request for this request: in a real
  // pipeline our fill completes and filters that. Shared by every iteration: the fill never changes it in place.
  const sdkRequest = sdkRequestData.processEvent(
    { event_id: 'x', level: 'error', sdkProcessingMetadata: { normalizedRequest: httpRequestToRequestData(req), ipAddress: req.socket.remoteAddress } },
    {},
    client,
  ).request;
  return {
    fill: () => ourFill({ event_id: 'x', level: 'error' }),
    sdkPath: () => {
      const normalizedRequest = httpRequestToRequestData(req);
      return sdkRequestData.processEvent({ event_id: 'x', level: 'error', sdkProcessingMetadata: { normalizedRequest, ipAddress: req.socket.remoteAddress } }, {}, client);
    },
    fillAfterSdk: () => ourFill({ event_id: 'x', level: 'error', request: sdkRequest }),
  };
}

export const PER_EVENT_TASK_NAMES = {
  fill: 'sentry-request-user: fill user + request (event processor)',
  sdkPath: '@sentry/core: httpRequestToRequestData + RequestData.processEvent',
  fillAfterSdk: "sentry-request-user: the same fill after the SDK's request data (the usual pipeline)",
};

export async function measurePerEvent({ time, packageDir }) {
  const { resolveClientIp } = require(path.join(packageDir, 'dist', 'cjs', 'src', 'index.js'));
  const tasks = perEventTasks(packageDir);
  if (typeof tasks === 'string') return { fillUnavailable: tasks, ...(await measureResolution({ time, resolveClientIp })) };

  const fill = new Bench({ time, warmupTime: Math.min(200, time) });
  for (const [key, name] of Object.entries(PER_EVENT_TASK_NAMES)) fill.add(name, tasks[key]);
  await fill.run();

  const resolution = await measureResolution({ time, resolveClientIp });
  return { fill: rows(fill), ...resolution };
}

const rows = (bench) =>
  bench.tasks.map((task) => {
    if (!task.result || task.result.error) throw new Error(`bench task "${task.name}" failed: ${task.result?.error ?? 'no result'}`);
    return { name: task.name, opsPerSec: task.result.throughput.mean, medianUs: task.result.latency.p50 * 1000 };
  });

/**
 * The package's event-time fill as a function of the event, for the package's internal shape (the adapters' kit
 * is not public API and changes between builds); a string says why it could not be found.
 */
function fillFunction(kit, access, req, client) {
  try {
    const options = kit.parseOptions({ trustProxy: 'loopback' }, kit.ADAPTER_OPTION_NAMES, true);
    if (typeof kit.EventFiller === 'function') {
      // Since the binding lets go of the request when its response closes: the facts of a live request are read
      // per event (principal, trust resolution), then filled — what the client hook does for an event in a request.
      const filler = new kit.EventFiller(options, access);
      const settle = () => undefined;
      return (event) =>
        filler.fillEvent(
          event,
          { principal: filler.reader.read(req, undefined, settle), request: access.request(req), resolution: filler.resolutionFor(req), mapUserArgument: access.mapUserArgument(req) },
          {},
          client,
        );
    }
    // 0.1.0: the binder filled from the request itself.
    const binder = kit.createRequestBinder(options, access);
    if (typeof binder.fillEvent === 'function') return (event) => binder.fillEvent(event, req, {}, client, undefined);
    return 'this build has no fill function the benchmark knows';
  } catch (error) {
    return `this build's internals differ (${error.message})`;
  }
}

async function measureResolution({ time, resolveClientIp }) {
  // One mixed corpus, every request resolved by each contender.
  const corpus = [
    fakeRequest('203.0.113.9', {}),
    fakeRequest('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }),
    fakeRequest('127.0.0.1', { 'x-forwarded-for': Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}`).join(', ') }),
    fakeRequest('::ffff:127.0.0.1', { 'x-forwarded-for': '2001:db8::1' }),
    fakeRequest('127.0.0.1', { 'x-forwarded-for': 'garbage, unknown' }),
    fakeRequest('2001:db8::9', { 'x-client-ip': '6.6.6.6' }),
  ];
  const options = { trustProxy: 'loopback' };
  const trust = proxyAddr.compile('loopback');
  const resolve = new Bench({ time, warmupTime: Math.min(200, time) });
  resolve.add('sentry-request-user resolveClientIp (trust loopback)', () => {
    for (const r of corpus) resolveClientIp(r, options);
  });
  resolve.add('request-ip getClientIp (header order, spoofable)', () => {
    for (const r of corpus) requestIp.getClientIp(r);
  });
  resolve.add('proxy-addr (trust loopback)', () => {
    for (const r of corpus) proxyAddr(r, trust);
  });
  await resolve.run();

  return { resolve: rows(resolve), corpusSize: corpus.length };
}
