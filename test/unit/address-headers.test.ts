import { appearsInAddressHeaders, isAddressHeader } from '../../src/request/address-headers';

describe('isAddressHeader: headers whose value carries an address', () => {
  it.each(['forwarded', 'x-forwarded-for', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip', 'x-client-ip', 'fastly-client-ip', 'x-cluster-client-ip', 'via', 'x-forwarded', 'forwarded-for', 'x-vercel-forwarded-for', 'fly-client-ip', 'x-forwarded-ips', 'x-vercel-forwarded-for', 'x-original-forwarded-for', 'cloudfront-viewer-address', 'x-azure-clientip', 'x-azure-socketip', 'cf-connecting-ipv6', 'x-client-ip-address', 'x-remote-addr', 'x-envoy-external-address'])(
    '%s carries an address',
    (name) => expect(isAddressHeader(name)).toBe(true),
  );
  it.each(['host', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'user-agent', 'zip', 'x-skip', 'accept', 'email-address-verified', 'strip'])('%s does not', (name) => expect(isAddressHeader(name)).toBe(false));
});

describe('appearsInAddressHeaders: could a client have written this address?', () => {
  const req = (headers: Record<string, string | string[] | undefined>) => ({ headers, socket: { remoteAddress: '127.0.0.1' } });
  it.each([
    { name: 'leftmost X-Forwarded-For entry', headers: { 'x-forwarded-for': '6.6.6.6, 10.0.0.1' }, address: '6.6.6.6', expected: true },
    { name: 'X-Client-IP', headers: { 'x-client-ip': '5.5.5.5' }, address: '5.5.5.5', expected: true },
    { name: 'Forwarded for= with port, bracketed IPv6', headers: { forwarded: 'for="[2001:db8::1]:4711"' }, address: '2001:DB8::1', expected: true },
    { name: 'a repeated header line', headers: { 'x-real-ip': ['4.4.4.4', '3.3.3.3'] }, address: '3.3.3.3', expected: true },
    { name: 'a prefix of an entry is not the entry', headers: { 'x-forwarded-for': '16.6.6.60' }, address: '6.6.6.6', expected: false },
    { name: 'an address only in a non-address header', headers: { 'x-note': '6.6.6.6' }, address: '6.6.6.6', expected: false },
    { name: 'no headers at all', headers: {}, address: '192.0.2.55', expected: false },
    { name: 'not an address', headers: { 'x-forwarded-for': 'unknown' }, address: 'unknown', expected: false },
    { name: 'the unspecified IPv6 address, which the SDK takes from X-Client-IP', headers: { 'x-client-ip': '::' }, address: '::', expected: true },
    { name: 'the unspecified IPv4 address', headers: { 'x-forwarded-for': '0.0.0.0, 10.0.0.1' }, address: '0.0.0.0', expected: true },
    { name: 'the unspecified address not in any header', headers: { 'x-forwarded-for': '6.6.6.6' }, address: '::', expected: false },
  ])('$name → $expected', ({ headers, address, expected }) => {
    expect(appearsInAddressHeaders(req(headers), address)).toBe(expected);
  });

  it('never throws for a request whose headers getter throws', () => {
    const hostile = Object.defineProperty({ socket: {} }, 'headers', {
      get() {
        throw new Error('no headers');
      },
    });
    expect(appearsInAddressHeaders(hostile as never, '6.6.6.6')).toBe(false);
  });
});
