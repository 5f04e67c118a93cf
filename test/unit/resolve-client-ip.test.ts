import proxyAddr from 'proxy-addr';
import { resolveClientIp, type ResolveClientIpOptions, type RequestLike } from '../../src/index.js';
import { MAX_FORWARDED_HOPS } from '../../src/ip/forwarded-header.js';
import { trustsEveryAddress } from '../../src/ip/trust.js';

function request(peer: string | undefined, headers: Record<string, string | string[]> = {}, extra: Partial<RequestLike> = {}): RequestLike {
  return { headers, socket: peer === undefined ? undefined : { remoteAddress: peer }, ...extra };
}

type Case = [description: string, peer: string | undefined, headers: Record<string, string | string[]>, options: ResolveClientIpOptions | undefined, expected: string | undefined];

const XFF = 'x-forwarded-for';

const cases: Case[] = [
  // DESIGN.md's table, row by row.
  ['untrusted peer ignores X-Forwarded-For', '203.0.113.9', { [XFF]: '6.6.6.6' }, undefined, '203.0.113.9'],
  ['loopback proxy: rightmost untrusted entry wins', '127.0.0.1', { [XFF]: '6.6.6.6, 198.51.100.7' }, { trustProxy: 'loopback' }, '198.51.100.7'],
  ['hop count 1: the entry the one proxy added', '10.0.0.2', { [XFF]: '6.6.6.6, 198.51.100.7' }, { trustProxy: 1 }, '198.51.100.7'],
  ['bracketed IPv6 with port in X-Forwarded-For', '127.0.0.1', { [XFF]: '[2001:db8::1]:443' }, { trustProxy: 'loopback' }, '2001:db8::1'],
  ['unknown entry stops at the trusted peer', '127.0.0.1', { [XFF]: 'unknown' }, { trustProxy: 'loopback' }, '127.0.0.1'],
  ['IPv4-mapped peer becomes IPv4', '::ffff:203.0.113.9', {}, undefined, '203.0.113.9'],
  ['RFC 7239 quoted IPv6 with port', '127.0.0.1', { forwarded: 'for="[2001:db8:cafe::17]:4711"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '2001:db8:cafe::17'],
  // Peer handling.
  ['no socket: undefined and no header read', undefined, { [XFF]: '6.6.6.6' }, { trustProxy: 'loopback' }, undefined],
  ['garbage peer: undefined', 'not-an-ip', { [XFF]: '6.6.6.6' }, { trustProxy: () => true }, undefined],
  ['IPv6 peer is compressed and lower-cased', '2001:DB8:0:0:0:0:0:1', {}, undefined, '2001:db8::1'],
  ['IPv6 peer zone id stripped', 'fe80::1%eth0', {}, undefined, 'fe80::1'],
  ['untrusted IPv6 peer ignores headers', '2001:db8::9', { [XFF]: '1.1.1.1' }, { trustProxy: 'loopback' }, '2001:db8::9'],
  // Trust forms.
  ['trustProxy false trusts nothing', '127.0.0.1', { [XFF]: '198.51.100.7' }, { trustProxy: false }, '127.0.0.1'],
  ['hop count 0 trusts nothing', '127.0.0.1', { [XFF]: '198.51.100.7' }, { trustProxy: 0 }, '127.0.0.1'],
  ['hop count 2 skips two proxies', '10.0.0.2', { [XFF]: '6.6.6.6, 198.51.100.7, 10.0.0.1' }, { trustProxy: 2 }, '198.51.100.7'],
  ['hop count larger than the chain gives the farthest', '10.0.0.2', { [XFF]: '198.51.100.7, 10.0.0.1' }, { trustProxy: 5 }, '198.51.100.7'],
  ['CIDR string', '10.1.2.3', { [XFF]: '198.51.100.7' }, { trustProxy: '10.0.0.0/8' }, '198.51.100.7'],
  ['CIDR string not matching the peer', '11.1.2.3', { [XFF]: '198.51.100.7' }, { trustProxy: '10.0.0.0/8' }, '11.1.2.3'],
  ['comma list of preset and address', '192.0.2.10', { [XFF]: '198.51.100.7, 127.0.0.1' }, { trustProxy: 'loopback, 192.0.2.10' }, '198.51.100.7'],
  ['array of ranges', '172.16.5.4', { [XFF]: '198.51.100.7' }, { trustProxy: ['10.0.0.0/8', '172.16.0.0/12'] }, '198.51.100.7'],
  ['dotted netmask', '10.9.9.9', { [XFF]: '198.51.100.7' }, { trustProxy: '10.0.0.0/255.0.0.0' }, '198.51.100.7'],
  ['uniquelocal preset covers 192.168/16', '192.168.1.1', { [XFF]: '198.51.100.7' }, { trustProxy: 'uniquelocal' }, '198.51.100.7'],
  ['uniquelocal preset covers fc00::/7', 'fd00::1', { [XFF]: '198.51.100.7' }, { trustProxy: 'uniquelocal' }, '198.51.100.7'],
  ['linklocal preset', '169.254.1.1', { [XFF]: '198.51.100.7' }, { trustProxy: 'linklocal' }, '198.51.100.7'],
  ['loopback preset covers ::1', '::1', { [XFF]: '198.51.100.7' }, { trustProxy: 'loopback' }, '198.51.100.7'],
  ['IPv6 CIDR', '2001:db8:1::5', { [XFF]: '198.51.100.7' }, { trustProxy: '2001:db8::/32' }, '198.51.100.7'],
  ['IPv4-mapped IPv6 range matches an IPv4 peer', '10.0.0.5', { [XFF]: '198.51.100.7' }, { trustProxy: '::ffff:10.0.0.0/104' }, '198.51.100.7'],
  ['function gets the address and hop', '10.0.0.2', { [XFF]: '6.6.6.6, 198.51.100.7' }, { trustProxy: (address, hop) => hop === 0 && address === '10.0.0.2' }, '198.51.100.7'],
  ['throwing trust function trusts nothing', '10.0.0.2', { [XFF]: '198.51.100.7' }, { trustProxy: () => { throw new Error('x'); } }, '10.0.0.2'],
  ['trust function returning a truthy non-boolean is not trust', '10.0.0.2', { [XFF]: '198.51.100.7' }, { trustProxy: (() => 1) as unknown as () => boolean }, '10.0.0.2'],
  // The walk.
  ['all hops trusted: the farthest', '127.0.0.1', { [XFF]: '10.0.0.1, 10.0.0.2' }, { trustProxy: 'loopback, uniquelocal' }, '10.0.0.1'],
  ['garbage entry stops at the nearest trusted hop', '127.0.0.1', { [XFF]: '6.6.6.6, garbage, 10.0.0.3' }, { trustProxy: 'loopback, uniquelocal' }, '10.0.0.3'],
  ['obfuscated entry is unusable', '127.0.0.1', { [XFF]: '_hidden' }, { trustProxy: 'loopback' }, '127.0.0.1'],
  ['0.0.0.0 is unusable', '127.0.0.1', { [XFF]: '0.0.0.0' }, { trustProxy: 'loopback' }, '127.0.0.1'],
  [':: is unusable', '127.0.0.1', { [XFF]: '::' }, { trustProxy: 'loopback' }, '127.0.0.1'],
  ['bad port is unusable', '127.0.0.1', { [XFF]: '198.51.100.7:99999' }, { trustProxy: 'loopback' }, '127.0.0.1'],
  ['IPv4 with port is stripped', '127.0.0.1', { [XFF]: '198.51.100.7:8080' }, { trustProxy: 'loopback' }, '198.51.100.7'],
  ['leading-zero octets rejected', '127.0.0.1', { [XFF]: '010.0.0.1' }, { trustProxy: 'loopback' }, '127.0.0.1'],
  ['hostname rejected', '127.0.0.1', { [XFF]: 'evil.example.com' }, { trustProxy: 'loopback' }, '127.0.0.1'],
  ['IPv4-mapped entry becomes IPv4', '127.0.0.1', { [XFF]: '::ffff:198.51.100.7' }, { trustProxy: 'loopback' }, '198.51.100.7'],
  ['upper-case IPv6 entry canonicalised', '127.0.0.1', { [XFF]: '2001:DB8:0::0:1' }, { trustProxy: 'loopback' }, '2001:db8::1'],
  ['repeated header lines are one list (array form)', '127.0.0.1', { [XFF]: ['6.6.6.6', '198.51.100.7'] }, { trustProxy: 'loopback' }, '198.51.100.7'],
  ['whitespace around entries ignored', '127.0.0.1', { [XFF]: '  198.51.100.7  ' }, { trustProxy: 'loopback' }, '198.51.100.7'],
  ['no header from a trusted peer: the peer', '127.0.0.1', {}, { trustProxy: 'loopback' }, '127.0.0.1'],
  ['x-forwarded-for ignored when forwardedHeader is forwarded', '127.0.0.1', { [XFF]: '198.51.100.7' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  // RFC 7239.
  ['Forwarded: plain IPv4', '127.0.0.1', { forwarded: 'for=198.51.100.7' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  ['Forwarded: parameter names are case-insensitive', '127.0.0.1', { forwarded: 'For=198.51.100.7;PROTO=https' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  ['Forwarded: rightmost element first', '127.0.0.1', { forwarded: 'for=6.6.6.6, for=198.51.100.7;by=10.0.0.1' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  ['Forwarded: unknown stops', '127.0.0.1', { forwarded: 'for=6.6.6.6, for=unknown' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: obfuscated node stops', '127.0.0.1', { forwarded: 'for=_gazonk' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: obfuscated port is fine', '127.0.0.1', { forwarded: 'for="198.51.100.7:_p1"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  ['Forwarded: unquoted IPv6 is malformed', '127.0.0.1', { forwarded: 'for=[2001:db8::1]' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: unbracketed IPv6 in quotes is malformed', '127.0.0.1', { forwarded: 'for="2001:db8::1"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: repeated parameter makes the element unusable', '127.0.0.1', { forwarded: 'for=198.51.100.7;for=6.6.6.6' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: element without for is unusable', '127.0.0.1', { forwarded: 'for=6.6.6.6, proto=https' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: unterminated quote is unusable', '127.0.0.1', { forwarded: 'for="198.51.100.7' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: comma inside quotes does not split', '127.0.0.1', { forwarded: 'for=198.51.100.7;ext="a,b"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  ['Forwarded: an empty port is malformed', '127.0.0.1', { forwarded: 'for="198.51.100.7:"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: an empty port after brackets is malformed', '127.0.0.1', { forwarded: 'for="[2001:db8::1]:"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: a port above 65535 is malformed', '127.0.0.1', { forwarded: 'for="198.51.100.7:65536"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: an obfuscated port after brackets is fine', '127.0.0.1', { forwarded: 'for="[2001:db8::1]:_p-1.x"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '2001:db8::1'],
  ['Forwarded: brackets around IPv4 are malformed', '127.0.0.1', { forwarded: 'for="[198.51.100.7]"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: two colons without brackets are malformed', '127.0.0.1', { forwarded: 'for="198.51.100.7:80:81"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: UNKNOWN in capitals is unknown', '127.0.0.1', { forwarded: 'for=UNKNOWN' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: a parameter repeated in another case makes the element unusable', '127.0.0.1', { forwarded: 'for=198.51.100.7;FOR=6.6.6.6' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: a repeated extension parameter makes the element unusable', '127.0.0.1', { forwarded: 'for=198.51.100.7;ext=1;EXT=2' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '127.0.0.1'],
  ['Forwarded: distinct extension parameters are fine', '127.0.0.1', { forwarded: 'for=198.51.100.7;ext=1;other="a;b"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  ['Forwarded: a quoted-pair in the for value is unescaped', '127.0.0.1', { forwarded: 'for="198.51.100.\\7"' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  ['Forwarded: a quoted-pair in another value does not matter', '127.0.0.1', { forwarded: 'host="a\\"b";for=198.51.100.7' }, { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  ['Forwarded: trusted chain to the farthest', '127.0.0.1', { forwarded: 'for=198.51.100.7, for=10.0.0.1' }, { trustProxy: 'loopback, uniquelocal', forwardedHeader: 'forwarded' }, '198.51.100.7'],
  // Single-address vendor header.
  ['clientIpHeader from a trusted peer', '127.0.0.1', { 'cf-connecting-ip': '198.51.100.7', [XFF]: '6.6.6.6' }, { trustProxy: 'loopback', clientIpHeader: 'CF-Connecting-IP' }, '198.51.100.7'],
  ['clientIpHeader from an untrusted peer is ignored', '203.0.113.9', { 'cf-connecting-ip': '198.51.100.7' }, { clientIpHeader: 'cf-connecting-ip' }, '203.0.113.9'],
  ['clientIpHeader with two addresses: the peer', '127.0.0.1', { 'x-real-ip': '198.51.100.7, 6.6.6.6' }, { trustProxy: 'loopback', clientIpHeader: 'x-real-ip' }, '127.0.0.1'],
  ['clientIpHeader invalid: the peer', '127.0.0.1', { 'x-real-ip': 'nope' }, { trustProxy: 'loopback', clientIpHeader: 'x-real-ip' }, '127.0.0.1'],
  ['clientIpHeader missing: the peer', '127.0.0.1', {}, { trustProxy: 'loopback', clientIpHeader: 'x-real-ip' }, '127.0.0.1'],
  ['clientIpHeader with IPv6', '127.0.0.1', { 'x-real-ip': '2001:DB8::7' }, { trustProxy: 'loopback', clientIpHeader: 'x-real-ip' }, '2001:db8::7'],
];

/** RFC 9110 §5.6.1: a recipient ignores empty list elements; they are not hops and not unusable entries. */
const emptyElementCases: [description: string, value: string | string[], expected: string][] = [
  ['trailing empty elements', '198.51.100.7,, ,', '198.51.100.7'],
  ['one trailing comma', '198.51.100.7,', '198.51.100.7'],
  ['leading empty elements', ', ,198.51.100.7', '198.51.100.7'],
  ['empty elements between hops do not count as hops', '6.6.6.6, ,, 198.51.100.7', '198.51.100.7'],
  ['empty elements between trusted hops', '198.51.100.7, , 10.0.0.1,,', '198.51.100.7'],
  ['tabs and spaces only', '198.51.100.7,\t, \t ,', '198.51.100.7'],
  ['nothing but empty elements: the peer', ' , ,, ', '127.0.0.1'],
  ['an empty header value: the peer', '', '127.0.0.1'],
  ['an empty header line after the proxy line', ['198.51.100.7', ''], '198.51.100.7'],
  ['empty lines around the list', ['', '6.6.6.6, 198.51.100.7', ' '], '198.51.100.7'],
  ['an empty element does not hide garbage', 'garbage, , 198.51.100.7', '198.51.100.7'],
  ['garbage after empty elements still stops the walk', '198.51.100.7, garbage,,', '127.0.0.1'],
];

const emptyForwardedCases: [description: string, value: string | string[], expected: string][] = [
  ['trailing empty elements', 'for=198.51.100.7,, ,', '198.51.100.7'],
  ['leading empty elements', ' ,,for=198.51.100.7', '198.51.100.7'],
  ['empty elements between trusted hops', 'for=198.51.100.7, ,for=10.0.0.1, ', '198.51.100.7'],
  ['an empty header line after the proxy line', ['for=198.51.100.7', ''], '198.51.100.7'],
  ['nothing but empty elements: the peer', ', ,', '127.0.0.1'],
  // Not empty: an element with pairs but no `for` (or only `;`) still stops the walk.
  ['an element of only ";" is not empty and has no for', 'for=198.51.100.7, ;', '127.0.0.1'],
  ['an element without for still stops', 'for=198.51.100.7, proto=https,', '127.0.0.1'],
];

describe('resolveClientIp ignores empty list elements (RFC 9110 §5.6.1)', () => {
  const options: ResolveClientIpOptions = { trustProxy: 'loopback, uniquelocal' };

  it.each(emptyElementCases)('X-Forwarded-For: %s', (_description, value, expected) => {
    expect(resolveClientIp(request('127.0.0.1', { [XFF]: value }), options)).toBe(expected);
  });

  // proxy-addr keeps unusable entries and does not treat tabs as whitespace; every other row must agree with it.
  it.each(emptyElementCases.filter(([description]) => !description.includes('garbage') && !description.includes('tabs')))(
    'X-Forwarded-For: %s — the same as Express req.ip (proxy-addr)',
    (_description, value, expected) => {
      // Node joins repeated X-Forwarded-For lines with ', ', which is what Express then reads.
      const joined = Array.isArray(value) ? value.join(', ') : value;
      const req = { headers: { [XFF]: joined }, socket: { remoteAddress: '127.0.0.1' } };
      expect(proxyAddr(req as never, proxyAddr.compile(['loopback', 'uniquelocal']))).toBe(expected);
    },
  );

  it.each(emptyForwardedCases)('Forwarded: %s', (_description, value, expected) => {
    expect(resolveClientIp(request('127.0.0.1', { forwarded: value }), { ...options, forwardedHeader: 'forwarded' })).toBe(expected);
  });

  it('empty elements do not use up the hop cap', () => {
    const chain = Array.from({ length: MAX_FORWARDED_HOPS - 1 }, (_, i) => `10.0.0.${i + 1}`);
    const header = ['198.51.100.7', ...chain].join(',,  ,,');
    expect(resolveClientIp(request('127.0.0.1', { [XFF]: header }), options)).toBe('198.51.100.7');
  });

  it('a header of 100,000 commas resolves to the peer', () => {
    expect(resolveClientIp(request('127.0.0.1', { [XFF]: ','.repeat(100000) }), options)).toBe('127.0.0.1');
    expect(resolveClientIp(request('127.0.0.1', { forwarded: ','.repeat(100000) }), { ...options, forwardedHeader: 'forwarded' })).toBe('127.0.0.1');
  });
});

describe('resolveClientIp', () => {
  it.each(cases)('%s', (_description, peer, headers, options, expected) => {
    expect(resolveClientIp(request(peer, headers), options)).toBe(expected);
  });

  it('believes a vendor header only when sent exactly once (rawHeaders)', () => {
    const options: ResolveClientIpOptions = { trustProxy: 'loopback', clientIpHeader: 'x-real-ip' };
    const once = request('127.0.0.1', { 'x-real-ip': '198.51.100.7' }, { rawHeaders: ['X-Real-IP', '198.51.100.7'] });
    const twice = request('127.0.0.1', { 'x-real-ip': '198.51.100.7' }, { rawHeaders: ['X-Real-IP', '198.51.100.7', 'x-real-ip', '6.6.6.6'] });
    expect(resolveClientIp(once, options)).toBe('198.51.100.7');
    expect(resolveClientIp(twice, options)).toBe('127.0.0.1');
  });

  it('believes a vendor header only when sent exactly once (headersDistinct)', () => {
    const options: ResolveClientIpOptions = { trustProxy: 'loopback', clientIpHeader: 'x-real-ip' };
    const twice = request('127.0.0.1', { 'x-real-ip': '198.51.100.7' }, { headersDistinct: { 'x-real-ip': ['198.51.100.7', '6.6.6.6'] } });
    expect(resolveClientIp(twice, options)).toBe('127.0.0.1');
  });

  it(`reads at most ${MAX_FORWARDED_HOPS} hops of a trusted chain and stops at the last one reached`, () => {
    const chain = Array.from({ length: 100 }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    const result = resolveClientIp(request('10.255.255.1', { [XFF]: ['198.51.100.7', ...chain].join(', ') }), { trustProxy: 'uniquelocal' });
    const entriesFromRight = [...chain].reverse();
    expect(result).toBe(entriesFromRight[MAX_FORWARDED_HOPS - 1]);
  });

  it('a 10,000-entry header resolves like a short one', () => {
    const long = `${Array.from({ length: 10000 }, () => '6.6.6.6').join(', ')}, 198.51.100.7`;
    expect(resolveClientIp(request('127.0.0.1', { [XFF]: long }), { trustProxy: 'loopback' })).toBe('198.51.100.7');
  });

  it('a 64 KiB single garbage entry is unusable', () => {
    expect(resolveClientIp(request('127.0.0.1', { [XFF]: 'a'.repeat(65536) }), { trustProxy: 'loopback' })).toBe('127.0.0.1');
    expect(resolveClientIp(request('127.0.0.1', { forwarded: `for="${'a'.repeat(65536)}"` }), { trustProxy: 'loopback', forwardedHeader: 'forwarded' })).toBe('127.0.0.1');
  });

  it('survives a request whose socket getter throws', () => {
    const hostile = { headers: {}, get socket(): never { throw new Error('no'); } } as unknown as RequestLike;
    expect(resolveClientIp(hostile, { trustProxy: 'loopback' })).toBeUndefined();
  });
});

describe('trustProxy settings that trust every address are rejected like true', () => {
  it.each<[string, unknown]>([
    ['true', true],
    ['both families, comma list', '0.0.0.0/0, ::/0'],
    ['both families, no space', '0.0.0.0/0,::/0'],
    ['both families, array', ['0.0.0.0/0', '::/0']],
    ['::/0 alone (covers IPv4 through the mapped block, as in Express)', '::/0'],
    ['::/1 covers the mapped block too, with 8000::/1', '::/1, 8000::/1'],
    ['halves of both spaces', ['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1']],
    ['with a preset added', 'loopback, 0.0.0.0/0, ::/0'],
    ['a netmask of all zeros', '0.0.0.0/0.0.0.0, ::/0'],
    ['the mapped block in IPv6 form with all of IPv6', '::ffff:0.0.0.0/96, ::/0'],
  ])('%s', (_description, trustProxy) => {
    const attempt = (): unknown => resolveClientIp(request('127.0.0.1'), { trustProxy } as ResolveClientIpOptions);
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(/would trust every hop, so any client could choose its own address.*number of proxies/);
  });

  it.each<[string, ResolveClientIpOptions['trustProxy'], string, string]>([
    ['all of IPv4 only: IPv6 peers stay untrusted', '0.0.0.0/0', '2001:db8::9', '2001:db8::9'],
    ['all of IPv4 only: an IPv4 peer is trusted', '0.0.0.0/0', '203.0.113.9', '198.51.100.7'],
    ['all of global unicast IPv6: IPv4 peers stay untrusted', '2000::/3', '203.0.113.9', '203.0.113.9'],
    ['::ffff:0:0/96 trusts every IPv4 peer', '::ffff:0.0.0.0/96', '203.0.113.9', '198.51.100.7'],
    ['::ffff:0:0/96 trusts an IPv4-mapped peer', '::ffff:0.0.0.0/96', '::ffff:203.0.113.9', '198.51.100.7'],
    ['::ffff:0:0/96 does not trust IPv6 peers', '::ffff:0.0.0.0/96', '2001:db8::9', '2001:db8::9'],
  ])('accepted: %s', (_description, trustProxy, peer, expected) => {
    expect(resolveClientIp(request(peer, { [XFF]: '198.51.100.7' }), { trustProxy })).toBe(expected);
  });

  it.each<[unknown, boolean]>([
    [true, true],
    ['0.0.0.0/0,::/0', true],
    [['0.0.0.0/0', '::/0'], true],
    ['::/0', true],
    ['loopback', false],
    ['0.0.0.0/0', false],
    [false, false],
    [2, false],
    ['not an address', false],
    [() => true, false],
  ])('trustsEveryAddress(%p) is %p (for warnings about a framework setting)', (setting, expected) => {
    expect(trustsEveryAddress(setting)).toBe(expected);
  });

  it('an IPv6 range over the mapped block trusts IPv4 peers the way Express does', () => {
    const trust = proxyAddr.compile('::ffff:0.0.0.0/96');
    const req = { headers: { [XFF]: '198.51.100.7' }, socket: { remoteAddress: '203.0.113.9' } };
    expect(proxyAddr(req as never, trust)).toBe('198.51.100.7');
    expect(resolveClientIp(request('203.0.113.9', { [XFF]: '198.51.100.7' }), { trustProxy: '::ffff:0.0.0.0/96' })).toBe('198.51.100.7');
  });
});

describe('resolveClientIp configuration errors', () => {
  it.each<[string, unknown, RegExp]>([
    ['trustProxy true', { trustProxy: true }, /trust every hop.*number of proxies/],
    ['negative hop count', { trustProxy: -1 }, /whole number of proxy hops/],
    ['fractional hop count', { trustProxy: 1.5 }, /whole number/],
    ['misspelt preset', { trustProxy: 'loopbak' }, /did you mean 'loopback'/],
    ['bad CIDR prefix', { trustProxy: '10.0.0.0/33' }, /invalid prefix/],
    ['address with a port', { trustProxy: '10.0.0.1:80' }, /not an IP address/],
    ['non-string array entry', { trustProxy: [1] }, /must be strings/],
    ['misspelt option', { trustproxy: 1 }, /did you mean 'trustProxy'/],
    ['bad forwardedHeader', { forwardedHeader: 'x-forwarded' }, /must be 'x-forwarded-for' or 'forwarded'.*did you mean/],
    ['list header as clientIpHeader', { clientIpHeader: 'X-Forwarded-For' }, /use forwardedHeader/],
    ['invalid header name', { clientIpHeader: 'x real ip' }, /header name/],
    ['options not an object', 'loopback', /options must be an object/],
  ])('%s throws a TypeError that says the fix', (_name, options, message) => {
    expect(() => resolveClientIp(request('127.0.0.1'), options as ResolveClientIpOptions)).toThrow(TypeError);
    expect(() => resolveClientIp(request('127.0.0.1'), options as ResolveClientIpOptions)).toThrow(message);
  });
});
