// A loopback Sentry ingest sink for the benchmarks: accepts every envelope (200, `{}`), counts them, keeps nothing.
// Unlike support/envelope-receiver.cjs it neither parses nor stores, so a long traced run costs the load-generating
// process almost nothing and its memory stays flat.
import http from 'node:http';

export async function startSink() {
  let envelopes = 0;
  let bytes = 0;
  const server = http.createServer((req, res) => {
    req.on('data', (chunk) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      envelopes++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    dsn: `http://public@127.0.0.1:${port}/1`,
    stats: () => ({ envelopes, bytes }),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
