'use strict';
// A Sentry envelope receiver on 127.0.0.1: what the demo and the end-to-end tests send real SDK traffic to.
// It speaks just enough of Sentry's ingest API for @sentry/node's HTTP transport: POST /api/<project>/envelope/.
const http = require('node:http');
const zlib = require('node:zlib');

/** Splits an envelope body into its header and items; each item is { type, header, payload }. */
function parseEnvelope(body) {
  let offset = 0;
  const readLine = () => {
    const end = body.indexOf(0x0a, offset);
    const line = body.subarray(offset, end === -1 ? body.length : end).toString('utf8');
    offset = end === -1 ? body.length : end + 1;
    return line;
  };
  const header = JSON.parse(readLine());
  const items = [];
  while (offset < body.length) {
    const line = readLine();
    if (line.trim() === '') continue;
    const itemHeader = JSON.parse(line);
    let payloadText;
    if (typeof itemHeader.length === 'number') {
      // An explicit length counts bytes and may cover newlines.
      payloadText = body.subarray(offset, offset + itemHeader.length).toString('utf8');
      offset += itemHeader.length;
      if (body[offset] === 0x0a) offset++;
    } else {
      payloadText = readLine();
    }
    let payload = payloadText;
    try {
      payload = JSON.parse(payloadText);
    } catch {
      // Attachments and other non-JSON items stay text.
    }
    items.push({ type: itemHeader.type, header: itemHeader, payload });
  }
  return { header, items };
}

/**
 * Starts a receiver. `mode` can be changed at run time: 'ok' (200), 'error' (500), 'ratelimit' (429).
 * @returns {Promise<{dsn: string, port: number, items: object[], events: () => object[], spans: () => object[],
 *   waitFor: (predicate: (items: object[]) => boolean, timeoutMs?: number) => Promise<object[]>,
 *   setMode: (mode: string) => void, close: () => Promise<void>}>}
 */
async function startEnvelopeReceiver({ port = 0, host = '127.0.0.1', log, onEnvelope } = {}) {
  const items = [];
  const waiters = new Set();
  let mode = 'ok';
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      try {
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        if (onEnvelope) onEnvelope(body);
        if (mode === 'ok' && /\/envelope\/?/.test(req.url || '')) {
          const envelope = parseEnvelope(body);
          for (const item of envelope.items) {
            items.push(item);
            if (log) log(item);
          }
          for (const waiter of waiters) waiter();
        }
      } catch (error) {
        if (log) log({ type: 'receiver-error', payload: String(error) });
      }
      if (mode === 'error') res.writeHead(500).end('{}');
      else if (mode === 'ratelimit') res.writeHead(429, { 'retry-after': '1' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(port, host, resolve));
  const actualPort = server.address().port;
  const events = () => items.filter((item) => item.type === 'event' || item.type === 'transaction').map((item) => item.payload);
  const spans = () =>
    items
      .filter((item) => item.type === 'span')
      .flatMap((item) => (item.payload && Array.isArray(item.payload.items) ? item.payload.items : [item.payload]));
  /** Logs (`log` items) and metrics (`trace_metric` items) come in containers of `items`, flattened here. */
  const containerItems = (type) =>
    items
      .filter((item) => item.type === type)
      .flatMap((item) => (item.payload && Array.isArray(item.payload.items) ? item.payload.items : [item.payload]));
  return {
    dsn: `http://public@${host}:${actualPort}/1`,
    port: actualPort,
    items,
    events,
    spans,
    logs: () => containerItems('log'),
    metrics: () => containerItems('trace_metric'),
    setMode(next) {
      mode = next;
    },
    waitFor(predicate, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          let done = false;
          try {
            done = predicate(items);
          } catch {
            done = false;
          }
          if (done) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(items);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`envelope receiver: condition not met within ${timeoutMs} ms (${items.length} items received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}

module.exports = { startEnvelopeReceiver, parseEnvelope };
