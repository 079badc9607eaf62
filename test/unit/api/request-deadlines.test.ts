/**
 * The web UI's per-connection request deadlines (src-main/api/web-ui/request-deadlines.ts), on a bare
 * HTTP server with short deadlines: half-sent headers and a body that never ends are cut, whether on a
 * new connection or on a kept-alive one after its first answer; whole requests in a row and an
 * upgraded socket are left alone.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { enforceRequestDeadlines } from '../../../src-main/api/web-ui/request-deadlines.js';
import { sleep, until } from '../../helpers/wait.js';

const HEADERS_MS = 300;
const REQUEST_MS = 700;

const servers: Server[] = [];
after(() =>
  Promise.all(
    servers.map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  ),
);

async function start(): Promise<number> {
  const server = createServer({ headersTimeout: 0, requestTimeout: 0 }, (req, res) => {
    // `/slow` is answered after both deadlines: the answer's own time is not the request's.
    if (req.url === '/slow') setTimeout(() => res.end('ok'), REQUEST_MS + 300);
    else res.end('ok');
  });
  enforceRequestDeadlines(server, { headersMs: HEADERS_MS, requestMs: REQUEST_MS });
  server.on('upgrade', (_req, socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\n\r\n'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A connection, with what it has received so far and a promise of its close (ms after `since()`). */
async function open(port: number) {
  const sock: Socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => sock.once('connect', resolve));
  let received = '';
  sock.setEncoding('utf8').on('data', (d: string) => (received += d));
  sock.on('error', () => undefined);
  let t0 = performance.now();
  // Never open for more than 3 s: a connection no deadline cuts reads as Infinity.
  const closed = new Promise<number>((resolve) => {
    const limit = setTimeout(() => resolve(Infinity), 3_000);
    sock.once('close', () => {
      clearTimeout(limit);
      resolve(performance.now() - t0);
    });
  });
  return {
    sock,
    received: () => received,
    /** Restarts the clock the close is measured from. */
    since: () => (t0 = performance.now()),
    closed,
  };
}

const get = (port: number) => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
const answers = (text: string) => text.split('HTTP/1.1 200').length - 1;

test('headers that never end are cut at the headers deadline', async () => {
  const port = await start();
  const c = await open(port);
  c.sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
  const took = await c.closed;
  assert.ok(took >= HEADERS_MS - 50 && took < REQUEST_MS, `closed after ${took.toFixed(0)} ms`);
});

test('a kept-alive connection has the headers deadline again after each answer', async () => {
  const port = await start();
  const c = await open(port);
  // Three whole requests, each within the deadline of the previous answer: all answered, none cut.
  for (let i = 0; i < 3; i++) {
    c.sock.write(get(port));
    await sleep(HEADERS_MS / 2, 'each request half a headers deadline after the last answer');
  }
  assert.equal(answers(c.received()), 3);
  assert.equal(c.sock.destroyed, false);
  // Then the start of a fourth that never ends.
  c.since();
  c.sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
  const took = await c.closed;
  assert.ok(
    took >= HEADERS_MS - 50 - HEADERS_MS / 2 && took < REQUEST_MS,
    `closed after ${took.toFixed(0)} ms`,
  );
});

test('a whole request answered slowly is not cut, and the connection carries the next one', async () => {
  const port = await start();
  const c = await open(port);
  c.sock.write(`GET /slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  await sleep(REQUEST_MS + 500, 'past the request deadline while the slow answer is made');
  assert.equal(answers(c.received()), 1, 'the slow answer arrived');
  c.sock.write(get(port));
  await until('the next answer', () => answers(c.received()) === 2);
  assert.equal(c.sock.destroyed, false);
  c.sock.destroy();
});

test('a body sent a byte at a time is cut at the request deadline, answered or not', async () => {
  const port = await start();
  const c = await open(port);
  c.sock.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 1000\r\n\r\n`);
  const drip = setInterval(() => c.sock.write('x'), HEADERS_MS / 3);
  const took = await c.closed;
  clearInterval(drip);
  c.sock.destroy();
  assert.ok(took >= REQUEST_MS - 50 && took < REQUEST_MS + 500, `closed after ${took.toFixed(0)} ms`);
  assert.equal(answers(c.received()), 1, 'answered at once; the body it never read did not hold it');
});

test('an upgraded socket outlives both deadlines', async () => {
  const port = await start();
  const c = await open(port);
  c.sock.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
  );
  await sleep(REQUEST_MS + 200, 'past both deadlines: an upgraded socket is not cut');
  assert.equal(c.sock.destroyed, false);
  assert.match(c.received(), /101 Switching Protocols/);
  c.sock.destroy();
});
