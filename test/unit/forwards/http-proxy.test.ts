/**
 * The HTTP proxy front end with raw clients: CONNECT tunnels, plain absolute-URI requests rewritten to
 * origin form, 400 for malformed heads, 502 with a one-line reason when the target cannot be reached.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { handleHttpProxyConnection } from '../../../src-main/forwards/http-proxy.js';
import { listenTcp, type TcpListener } from '../../../src-main/forwards/listener.js';
import { closedPort, echoServer, frontEnd, memoryExit, RawClient, type ExitOptions } from './fixtures.js';
import { failTest } from '../../helpers/unawaited.js';

const echo = await echoServer(' bye');
/** An origin that answers with what it received: method, URL, headers and body. */
const origin = createHttpServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    res.end(body);
  });
});
await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
const originPort = (origin.address() as { port: number }).port;

const listeners: TcpListener[] = [];
const closers: (() => void)[] = [];
after(async () => {
  echo.server.close();
  origin.close();
  for (const c of closers) c();
  for (const l of listeners) await l.close();
});

async function httpProxy(exitOpts: ExitOptions = {}) {
  const exit = memoryExit(exitOpts);
  closers.push(exit.close);
  const fe = frontEnd(exit.dialer, 'http-test');
  const listener = await listenTcp('127.0.0.1', 0, (s) => {
    handleHttpProxyConnection(s, { ...fe.ctx, via: 'b' }).catch(failTest('handleHttpProxyConnection'));
  });
  listeners.push(listener);
  return { ...fe, port: Number(listener.address.split(':').pop()) };
}

/** Sends `head` (and more) and returns everything the proxy answers until it closes. */
async function exchange(port: number, data: string): Promise<string> {
  const client = await RawClient.open(port);
  client.write(data);
  return (await client.readToEnd()).toString('latin1');
}

function parseResponse(raw: string): { status: number; headers: string; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  return { status: Number(raw.slice(9, 12)), headers: raw.slice(0, end), body: raw.slice(end + 4) };
}

test('CONNECT opens a tunnel; early bytes and half-close pass through', async () => {
  const proxy = await httpProxy();
  const client = await RawClient.open(proxy.port);
  client.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: 127.0.0.1:${echo.port}\r\n\r\nearly`);
  const established = 'HTTP/1.1 200 Connection Established\r\n\r\n';
  assert.equal((await client.read(established.length)).toString(), established);
  assert.equal((await client.read(5)).toString(), 'early');
  client.end();
  assert.equal((await client.readToEnd()).toString(), ' bye');
});

test('a plain request goes out in origin form with hop-by-hop headers removed', async () => {
  const proxy = await httpProxy();
  const raw = await exchange(
    proxy.port,
    `POST http://127.0.0.1:${originPort}/a/b?c=d#frag HTTP/1.1\r\n` +
      'Host: wrong.example\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive, X-Hop\r\n' +
      'X-Hop: 1\r\nX-Keep: yes\r\nProxy-Authorization: Basic eDp5\r\nContent-Length: 5\r\n\r\nhello',
  );
  const res = parseResponse(raw);
  assert.equal(res.status, 200);
  const seen = JSON.parse(res.body) as {
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string;
  };
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/a/b?c=d');
  assert.equal(seen.headers.host, `127.0.0.1:${originPort}`);
  assert.equal(seen.headers.connection, 'close');
  assert.equal(seen.headers['x-keep'], 'yes');
  assert.equal(seen.headers['x-hop'], undefined);
  assert.equal(seen.headers['proxy-connection'], undefined);
  assert.equal(seen.headers['proxy-authorization'], undefined);
  assert.equal(seen.body, 'hello');
});

test('malformed requests get 400 with a reason; the proxy keeps serving', async () => {
  const proxy = await httpProxy();
  for (const [request, reason] of [
    ['GET /local HTTP/1.1\r\n\r\n', /^this is a proxy: send absolute URLs/],
    ['NONSENSE\r\n\r\n', /^malformed request line/],
    ['CONNECT nohost HTTP/1.1\r\n\r\n', /needs a port/],
    [
      'GET http://x/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
      /^both Content-Length/,
    ],
  ] as const) {
    const res = parseResponse(await exchange(proxy.port, request));
    assert.equal(res.status, 400, request);
    assert.match(res.body, reason);
    assert.ok(res.body.endsWith('\n') && res.body.indexOf('\n') === res.body.length - 1, 'one line');
  }
  assert.ok(
    proxy.lines.some((l) => l.level === 40 && /^http proxy: malformed request line/.test(l.msg)),
    'proxy.lines.some((l) => l.level === 40 && /^http proxy: malformed request line/.test(l.msg))',
  );
  const ok = parseResponse(
    await exchange(proxy.port, `GET http://127.0.0.1:${originPort}/ HTTP/1.1\r\n\r\n`),
  );
  assert.equal(ok.status, 200);
});

test('an unreachable target or a refusing peer is 502 with the reason as the body', async () => {
  const proxy = await httpProxy();
  const port = await closedPort();
  const refused = parseResponse(await exchange(proxy.port, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\n\r\n`));
  assert.equal(refused.status, 502);
  assert.equal(refused.body, `cannot reach 127.0.0.1:${port} via b: connection refused\n`);
  assert.match(refused.headers, /\r\nConnection: close/);

  const denied = await httpProxy({ allow: [] });
  const res = parseResponse(
    await exchange(denied.port, `GET http://127.0.0.1:${originPort}/ HTTP/1.1\r\n\r\n`),
  );
  assert.equal(res.status, 502);
  assert.equal(
    res.body,
    'permission denied: b does not allow forwards from a (its owner can run `clawbridge peers allow a forward` there)\n',
  );
});
