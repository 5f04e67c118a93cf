import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { resolveClientIp, type ResolveClientIpOptions } from '../../src/index.js';

/**
 * Repeated and empty header lines as a real Node server receives them: the raw request is written on a socket, so
 * Node's own parser decides how the lines are joined (what every framework on Node then sees).
 */
let server: http.Server;
let port: number;
let options: ResolveClientIpOptions = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ip: resolveClientIp(req, options) ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function send(headerLines: string[]): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(['GET / HTTP/1.1', 'Host: test', 'Connection: close', ...headerLines, '', ''].join('\r\n'));
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      // res.end(string) sends a Content-Length body: everything after the blank line is the JSON.
      resolve((JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4)) as { ip: string | null }).ip);
    });
  });
}

describe('list headers over several lines, with empty lines and elements, through a real Node server', () => {
  it.each<[string, ResolveClientIpOptions, string[], string]>([
    ['X-Forwarded-For: the client line, then an empty line', { trustProxy: 'loopback' }, ['X-Forwarded-For: 198.51.100.7', 'X-Forwarded-For: '], '198.51.100.7'],
    ['X-Forwarded-For: empty elements on either line', { trustProxy: 'loopback' }, ['X-Forwarded-For: 6.6.6.6,,', 'X-Forwarded-For: , 198.51.100.7, ,'], '198.51.100.7'],
    ['X-Forwarded-For: a trusted hop after empty elements', { trustProxy: 'loopback, uniquelocal' }, ['X-Forwarded-For: 198.51.100.7, ,', 'X-Forwarded-For: 10.0.0.1,'], '198.51.100.7'],
    ['X-Forwarded-For: only empty lines leave the peer', { trustProxy: 'loopback' }, ['X-Forwarded-For: ', 'X-Forwarded-For: ,'], '127.0.0.1'],
    ['Forwarded: the client line, then an empty element line', { trustProxy: 'loopback', forwardedHeader: 'forwarded' }, ['Forwarded: for=198.51.100.7', 'Forwarded: ,'], '198.51.100.7'],
    ['Forwarded: quoted IPv6 and empty elements over two lines', { trustProxy: 'loopback, uniquelocal', forwardedHeader: 'forwarded' }, ['Forwarded: for="[2001:db8:cafe::17]:4711",', 'Forwarded: , for=10.0.0.1;proto=https'], '2001:db8:cafe::17'],
    ['untrusted peer: empty elements or not, the peer', {}, ['X-Forwarded-For: 198.51.100.7,,'], '127.0.0.1'],
  ])('%s', async (_description, given, lines, expected) => {
    options = given;
    expect(await send(lines)).toBe(expected);
  });
});
