import { channel } from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { EventFiller } from '../../src/binding/event-filler';
import type { FrameworkAccess } from '../../src/binding/framework';
import { releaseOnFinish, watchFinishedResponses } from '../../src/binding/release-on-finish';
import { RequestTie } from '../../src/binding/request-tie';
import { trustNothing } from '../../src/ip/trust';
import { ADAPTER_OPTION_NAMES } from '../../src/options/options';
import { parseOptions } from '../../src/options/parse-options';
import type { SentryHandle } from '../../src/sentry/locate-sentry';
import { tieToScope } from '../../src/sentry/request-registry';
import type { ClientShape, ScopeShape } from '../../src/sentry/sdk-shapes';

// Two Koa-like framework objects over one Node request (an outer app hands req/res to an inner app's handler).
interface Ctx { req: http.IncomingMessage; name: string }
const access: FrameworkAccess<Ctx> = {
  name: 'Koa-like',
  request: (ctx) => ctx.req,
  response: () => undefined,
  detectPrincipal: () => undefined,
  callGetUser: (getUser, ctx) => (getUser as (ctx: Ctx) => unknown)(ctx),
  mapUserArgument: (ctx) => ctx,
  frameworkTrust: () => ({ trust: trustNothing, trustsEveryHop: false }),
};
// The outer app's getUser reads the app's own AsyncLocalStorage (the same user whichever ctx it is asked with).
const outerFiller = new EventFiller(parseOptions({ getUser: () => ({ id: 'u-from-als' }) }, ADAPTER_OPTION_NAMES, true), access);
const innerFiller = new EventFiller(parseOptions(undefined, ADAPTER_OPTION_NAMES, true), access);
const requestScope = (): ScopeShape => ({ _sdkProcessingMetadata: { normalizedRequest: { headers: {} } } }) as ScopeShape;
let current: ScopeShape = {};
const handle: SentryHandle = {
  carrier: { defaultIsolationScope: {} },
  acs: { getCurrentScope: () => current, getIsolationScope: () => current, withIsolationScope: (callback) => callback(current) },
  version: 'test',
} as SentryHandle;
watchFinishedResponses(handle);
const client = { getOptions: () => ({ sendDefaultPii: true }) } as unknown as ClientShape;

it.each([
  ['the inner app’s (its handler ended the response)', 'inner'],
  ['the outer app’s', 'outer'],
] as const)('an outer app’s tie let go of with the inner one’s, the response ended in %s context: it keeps its principal (a sync getUser) for events after the response', async (_name, endedIn) => {
  const socket = new net.Socket();
  const req = new http.IncomingMessage(socket);
  const outerScope = requestScope();
  const outer = new RequestTie(outerFiller, { req, name: 'outer' }, false, false);
  expect(tieToScope(handle, outerScope, outer, outer)).toBe(true);
  expect(releaseOnFinish(req, outer as RequestTie<unknown>, true)).toBe(true);
  // Inner app: the scope holds the outer tie, so it forks (its own scope), and displaces the outer tie.
  const innerScope = requestScope();
  const inner = new RequestTie(innerFiller, { req, name: 'inner' }, true, false);
  expect(tieToScope(handle, innerScope, inner, inner)).toBe(true);
  expect(releaseOnFinish(req, inner as RequestTie<unknown>, true, true)).toBe(true);
  current = endedIn === 'inner' ? innerScope : outerScope;
  channel('http.server.response.finish').publish({ request: req });
  await new Promise((resolve) => setImmediate(resolve));
  socket.destroy();
  expect(outer.released).toBe(true);
  // Work the outer request started logs after the response, in the outer request's context.
  current = outerScope;
  const attributes: Record<string, unknown> = {};
  outer.fillUserAttributes(attributes, outerScope, client, handle);
  expect(attributes['user.id']).toBe('u-from-als');
});
