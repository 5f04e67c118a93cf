import { sdkRequestOfScope } from '../../src/sentry/sdk-request.js';
import type { ScopeShape } from '../../src/sentry/sdk-shapes.js';

const scopeWith = (normalizedRequest: Record<string, unknown>, ipAddress = '203.0.113.9'): ScopeShape =>
  ({ _sdkProcessingMetadata: { normalizedRequest, ipAddress } }) as unknown as ScopeShape;

describe('sdkRequestOfScope (the SDK’s copy of a request, read after the request let go of its framework object)', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ['an https URL the SDK took from the socket: encrypted', { url: 'https://shop.example/a', headers: { host: 'shop.example' } }, true],
    ['an http URL: not encrypted', { url: 'http://shop.example/a', headers: { host: 'shop.example' } }, false],
    ['an https URL that a client-settable X-Forwarded-Proto named: not believed', { url: 'https://shop.example/a', headers: { host: 'shop.example', 'x-forwarded-proto': 'https' } }, false],
    ['no URL (no Host header): not encrypted', { headers: {} }, false],
  ])('%s', (_name, normalizedRequest, encrypted) => {
    expect(sdkRequestOfScope(scopeWith(normalizedRequest))?.socket).toEqual({ remoteAddress: '203.0.113.9', encrypted });
  });

  it('keeps the path and query of the SDK’s absolute URL, and its method and headers', () => {
    const headers = { host: 'shop.example', 'x-forwarded-for': '198.51.100.7' };
    expect(sdkRequestOfScope(scopeWith({ url: 'https://shop.example/a/b?x=1', method: 'POST', headers }))).toMatchObject({ url: '/a/b?x=1', method: 'POST', headers });
  });

  it('for the address only (a segment span): the headers and the peer, nothing else built', () => {
    const headers = { host: 'shop.example', 'x-forwarded-for': '198.51.100.7' };
    expect(sdkRequestOfScope(scopeWith({ url: 'https://shop.example/a/b?x=1', method: 'POST', headers }), undefined, true)).toEqual({ headers, socket: { remoteAddress: '203.0.113.9' } });
  });
});
