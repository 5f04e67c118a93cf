import { locateSentry, sdkKeepsPeer } from '../../src/sentry/locate-sentry';
import { Scope } from '@sentry/core';
import { boundRequestOf, boundRequestOfEvent, letGoOfSdkRequest, runInForkedScope, tieToScope, type BoundRequest } from '../../src/sentry/request-registry';
import type { AsyncContextStrategyShape, ScopeShape, VersionCarrierShape } from '../../src/sentry/sdk-shapes';
import type { SentryHandle } from '../../src/sentry/locate-sentry';

/** A request binding as the tie test needs it: only identity and liveness matter here. */
function bound(target: object, released = false): BoundRequest {
  return {
    isFor: (candidate) => candidate === target,
    released,
    captureFacts: () => ({}),
    fillEvent: (event) => event,
    fillSegmentSpan: () => false,
    fillUserAttributes: () => undefined,
    ranInForkedScope: () => undefined,
  };
}

function handleWith(carrier: VersionCarrierShape): SentryHandle {
  return { carrier, acs: {} as AsyncContextStrategyShape, version: 'test' };
}

describe('tieToScope never claims a scope it cannot prove is the request’s own', () => {
  const defaultScope: ScopeShape = {};
  /** What the SDK's HTTP instrumentation makes per request: a scope that carries its copy of the request. */
  const requestScope = (): ScopeShape => ({ _sdkProcessingMetadata: { normalizedRequest: { headers: {} } } }) as ScopeShape;
  const target = {};

  it.each([
    { name: 'the SDK’s default isolation scope', make: () => ({ handle: handleWith({ defaultIsolationScope: defaultScope }), scope: defaultScope }), expected: false },
    { name: 'any scope when the carrier has no default scope to compare with', make: () => ({ handle: handleWith({}), scope: requestScope() }), expected: false },
    { name: 'a fresh per-request scope', make: () => ({ handle: handleWith({ defaultIsolationScope: defaultScope }), scope: requestScope() }), expected: true },
    {
      name: 'a scope without the SDK’s copy of a request (the app’s own withIsolationScope around its server)',
      make: () => ({ handle: handleWith({ defaultIsolationScope: defaultScope }), scope: { _sdkProcessingMetadata: {} } as ScopeShape }),
      expected: false,
    },
    { name: 'early 8.x: the request itself in the metadata', make: () => ({ handle: handleWith({ defaultIsolationScope: defaultScope }), scope: { _sdkProcessingMetadata: { request: {} } } as ScopeShape }), expected: true },
  ])('$name → claimed: $expected', ({ make, expected }) => {
    const { handle, scope } = make();
    const tie = bound(target);
    expect(tieToScope(handle, scope, tie, target)).toBe(expected);
    expect(boundRequestOf(scope)).toBe(expected ? tie : undefined);
  });

  it('a scope another live request holds is not taken (the caller forks)', () => {
    const handle = handleWith({ defaultIsolationScope: defaultScope });
    const scope = requestScope();
    const first = bound({});
    expect(tieToScope(handle, scope, first, {})).toBe(true);
    const otherTarget = {};
    expect(tieToScope(handle, scope, bound(otherTarget), otherTarget)).toBe(false);
    expect(boundRequestOf(scope)).toBe(first);
  });

  it('a second middleware of the same live request takes over; a released request’s scope is not reused', () => {
    const handle = handleWith({ defaultIsolationScope: defaultScope });
    const scope = requestScope();
    const sameTarget = {};
    expect(tieToScope(handle, scope, bound(sameTarget), sameTarget)).toBe(true);
    const inner = bound(sameTarget);
    expect(tieToScope(handle, scope, inner, sameTarget)).toBe(true);
    expect(boundRequestOf(scope)).toBe(inner);

    const releasedScope = requestScope();
    expect(tieToScope(handle, releasedScope, bound(sameTarget, true), sameTarget)).toBe(true);
    expect(tieToScope(handle, releasedScope, bound(sameTarget), sameTarget)).toBe(false);
  });
});

describe('locateSentry with a carrier it does not recognise', () => {
  const globals = globalThis as { __SENTRY__?: unknown };
  const client = { getOptions: () => ({}) };
  afterEach(() => {
    delete globals.__SENTRY__;
    jest.restoreAllMocks();
  });

  it('an initialised SDK in an unknown layout: one warning naming the version and the fix, then pass-through', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    globals.__SENTRY__ = { version: '99.1.0', '99.1.0': { defaultCurrentScope: { getClient: () => client } } };
    expect(locateSentry()).toBeUndefined();
    expect(locateSentry()).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/Sentry 99\.1\.0 .*Update sentry-request-user/);
  });

  it('an SDK imported but not initialised yet: no warning, pass-through', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    globals.__SENTRY__ = { version: '11.12.0', '11.12.0': { defaultCurrentScope: { getClient: () => undefined } } };
    expect(locateSentry()).toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
  });

  it('no carrier at all: pass-through', () => {
    expect(locateSentry()).toBeUndefined();
  });
});

describe('errors that escape a forked scope are attributed to their request only when unambiguous', () => {
  const scope: ScopeShape = {};
  const handle: SentryHandle = {
    carrier: {},
    acs: { getIsolationScope: () => scope, getCurrentScope: () => scope, withIsolationScope: (callback) => callback({}) },
    version: 'test',
  };

  async function escape(bound: BoundRequest, error: object): Promise<void> {
    await runInForkedScope(handle, bound, () => Promise.reject(error)).catch(() => undefined);
  }

  it('an error one request threw is found through the error', async () => {
    const alice = bound({});
    const error = new Error('alice only');
    await escape(alice, error);
    expect(boundRequestOfEvent(handle, { type: 'transaction' }, { originalException: error })).toBe(alice);
  });

  it('an error object two requests threw (a shared constant) belongs to neither', async () => {
    const shared = new Error('shared');
    await escape(bound({}), shared);
    await escape(bound({}), shared);
    expect(boundRequestOfEvent(handle, { type: 'transaction' }, { originalException: shared })).toBeUndefined();
  });

  it('an error the framework caught itself (Hono: c.error) is attributed after next() resolves', async () => {
    const caught = new Error('caught by the framework');
    const hono = bound({});
    await runInForkedScope(handle, hono, () => Promise.resolve('response'), () => caught);
    expect(boundRequestOfEvent(handle, { type: 'transaction' }, { originalException: caught })).toBe(hono);
  });
});

describe('letGoOfSdkRequest: what the SDK put on a scope we forked about the request that ended becomes a copy', () => {
  // A real @sentry/core scope: its setSDKProcessingMetadata merges two levels deep, so it keeps a shallow copy of the
  // request's own properties, not the request — found by the request's own rawHeaders array.
  const rawHeaders = ['Host', 'a.test'];
  const req = { headers: { host: 'a.test' }, rawHeaders, method: 'GET', url: '/boom', res: { big: 'graph' } };
  const copy = { headers: { host: 'a.test' }, method: 'GET', url: '/boom', socket: { remoteAddress: '10.0.0.1' } };
  const metadataOf = (scope: Scope): Record<string, unknown> => scope.getScopeData().sdkProcessingMetadata;
  const scopeWith = (request: unknown): Scope => new Scope().setSDKProcessingMetadata({ request, normalizedRequest: { url: '/boom' } });

  it.each([
    ['with a copy: the copy', copy, copy],
    ['without a copy: nothing', undefined, undefined],
  ])('the ended request is replaced; %s, none of the request’s own properties merged in', (_name, replacement, expected) => {
    const scope = scopeWith(req);
    letGoOfSdkRequest(scope as unknown as ScopeShape, req, req, replacement);
    expect(metadataOf(scope).request).toEqual(expected);
    expect(metadataOf(scope).normalizedRequest).toEqual({ url: '/boom' });
  });

  it.each([
    ['another request', { headers: {}, rawHeaders: ['Host', 'a.test'], res: {} }],
    ['an object without rawHeaders', { headers: {} }],
    ['nothing', undefined],
  ])('%s on the scope is left as it is', (_name, request) => {
    const scope = scopeWith(request);
    const before = metadataOf(scope).request;
    letGoOfSdkRequest(scope as unknown as ScopeShape, req, req, copy);
    expect(metadataOf(scope).request).toBe(before);
  });

  it('a scope without setSDKProcessingMetadata (not a Sentry scope) is not touched', () => {
    const scope = { _sdkProcessingMetadata: { request: req } };
    letGoOfSdkRequest(scope as unknown as ScopeShape, req, req, copy);
    expect(scope._sdkProcessingMetadata.request).toBe(req);
  });
});

describe('sdkKeepsPeer: the socket peer is read at release only where the SDK keeps none on its scope', () => {
  it.each([
    ['8.55.2', false],
    ['8.0.0', false],
    ['9.0.1', true],
    ['11.12.0', true],
    ['unknown', false],
    ['', false],
  ])('@sentry/core %s: keeps the peer = %s', (version, keeps) => {
    expect(sdkKeepsPeer({ carrier: {}, acs: {} as AsyncContextStrategyShape, version })).toBe(keeps);
  });
});
