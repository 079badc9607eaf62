/**
 * The web UI server's connection limits (docs/security.md "Listener limits"): sockets without the token
 * have their own small cap and never lock the owner out; the server's TCP connections are capped in
 * total and per source, the oldest unproven one making room; half-sent requests end at the headers
 * deadline.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { ApiHandler } from '../../../src-main/api/contract.js';
import {
  MAX_UI_CONNECTIONS,
  MAX_UI_CONNECTIONS_PER_SOURCE,
  startWebUi,
  UI_HEADERS_TIMEOUT_MS,
  type WebUiServer,
} from '../../../src-main/api/web-ui/server.js';
import { MAX_UNAUTHENTICATED_UI_SOCKETS } from '../../../src-main/api/web-ui/ws-session.js';
import { uiProtocols } from '../../../src-renderer/api/ui-protocols.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/relay-harness.js';

const handler: ApiHandler = {
  call: (method) => Promise.resolve({ method } as never),
  onEvent: () => () => undefined,
};

const servers: WebUiServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function start() {
  const dir = tempDir('cb-renderer-');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Clawbridge</title>');
  const ui = await startWebUi({
    listen: '127.0.0.1:0',
    allowRemote: false,
    home: tempDir('cb-webui-'),
    handler,
    rendererDir: dir,
  });
  servers.push(ui);
  const token = /#token=([0-9a-f]+)$/.exec(ui.url())![1]!;
  return { ui, token, origin: `http://127.0.0.1:${ui.port}` };
}

/** A WebSocket to `/api` that never authenticates; resolves once open (or with the refusal status). */
function silentSocket(port: number, origin: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { origin });
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.once('close', () => resolve(0));
  });
}

/** The owner's page: connects, authenticates, resolves with `ready` or the reason it could not. */
function ownerSession(port: number, origin: string, token: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { origin });
    ws.on('error', () => undefined);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
    ws.once('message', (data) => {
      resolve((JSON.parse((data as Buffer).toString('utf8')) as { type: string }).type);
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
    ws.once('close', (code) => resolve(`closed ${code}`));
  });
}

/** A TCP connection that sends the start of a request and nothing more. */
function halfSent(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress }, () => {
      s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      resolve(s);
    });
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

const isClosed = (s: Socket) => s.destroyed || s.readyState === 'closed' || !s.readable;

test('sockets without the token cannot lock the owner out: their own cap, oldest out first', async () => {
  const s = await start();
  const ATTACKERS = 300;
  const silent = await Promise.all(
    Array.from({ length: ATTACKERS }, () => silentSocket(s.ui.port, s.origin)),
  );
  // Before: all of them shared MAX_UI_SOCKETS (256) with the owner, who got 503.
  const t0 = Date.now();
  assert.equal(await ownerSession(s.ui.port, s.origin, s.token), 'ready');
  assert.ok(Date.now() - t0 < 1_000, `the owner's page got in after ${Date.now() - t0} ms`);
  const open = () => silent.filter((w) => typeof w !== 'number' && w.readyState === WebSocket.OPEN).length;
  await until('the excess silent sockets to be ended', () => open() <= MAX_UNAUTHENTICATED_UI_SOCKETS);
  for (const w of silent) if (typeof w !== 'number') w.terminate();
});

test('half-sent requests are capped in total (oldest destroyed) and the owner still gets a page', async () => {
  const s = await start();
  const extra = 100;
  const sockets: Socket[] = [];
  // Several source addresses, as the attack used, so the per-source cap alone would not stop them.
  for (let i = 0; i < MAX_UI_CONNECTIONS + extra; i++) {
    sockets.push(await halfSent(s.ui.port, `127.0.${1 + (i % 16)}.${1 + Math.floor(i / 16)}`));
  }
  await until('the server to destroy the oldest beyond its cap', () => {
    return sockets.filter(isClosed).length >= extra;
  });
  assert.equal(await ownerSession(s.ui.port, s.origin, s.token), 'ready');
  // The oldest went first: the newest are still held (until their headers deadline).
  assert.ok(sockets.slice(0, extra).every(isClosed), 'the oldest half-sent requests were destroyed');
  assert.ok(!isClosed(sockets[sockets.length - 1]!), 'the newest is still open');
  for (const sock of sockets) sock.destroy();
});

test('one source address holds at most MAX_UI_CONNECTIONS_PER_SOURCE; others are not evicted by it', async () => {
  const s = await start();
  const other = await halfSent(s.ui.port, '127.0.0.3');
  const mine: Socket[] = [];
  for (let i = 0; i < MAX_UI_CONNECTIONS_PER_SOURCE + 10; i++)
    mine.push(await halfSent(s.ui.port, '127.0.0.2'));
  await until('the source to be held to its cap', () => mine.filter(isClosed).length >= 10);
  assert.ok(!isClosed(other), "another source's connection stays");
  for (const sock of [other, ...mine]) sock.destroy();
});

test('a half-sent request is closed at the headers deadline, not after 60 s', async () => {
  const s = await start();
  const sock = await halfSent(s.ui.port);
  const t0 = Date.now();
  await new Promise<void>((resolve) => sock.once('close', () => resolve()));
  const took = Date.now() - t0;
  assert.ok(took >= UI_HEADERS_TIMEOUT_MS - 500, `closed after ${took} ms`);
  assert.ok(took <= UI_HEADERS_TIMEOUT_MS + 2_500, `closed after ${took} ms`);
});

test('a socket whose upgrade carried the token is not evicted by sockets without it; one without is', async () => {
  const s = await start();
  const url = `ws://127.0.0.1:${s.ui.port}/api`;
  const opened = (ws: WebSocket) =>
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  const withToken = new WebSocket(url, uiProtocols(s.token), { origin: s.origin });
  const without = new WebSocket(url, { origin: s.origin });
  await Promise.all([opened(withToken), opened(without)]);
  assert.equal(withToken.protocol, 'clawbridge.v1', 'the server selects the UI subprotocol');
  // A flood opens before either sends its auth message: the cap is passed, the oldest waiting go.
  const silent = await Promise.all(
    Array.from({ length: MAX_UNAUTHENTICATED_UI_SOCKETS + 2 }, () => silentSocket(s.ui.port, s.origin)),
  );
  await until('the socket without the token in its upgrade to be evicted', () => {
    return without.readyState === WebSocket.CLOSED;
  });
  const ready = new Promise<string>((resolve) => {
    withToken.once('message', (d) =>
      resolve((JSON.parse((d as Buffer).toString('utf8')) as { type: string }).type),
    );
    withToken.once('close', (code) => resolve(`closed ${code}`));
    if (withToken.readyState !== WebSocket.OPEN) resolve('closed by the flood');
  });
  withToken.send(JSON.stringify({ type: 'auth', token: s.token }));
  assert.equal(await ready, 'ready');
  assert.equal(
    await ownerSession(s.ui.port, s.origin, s.token),
    'ready',
    'the usual handshake still works without the subprotocol',
  );
  withToken.close();
  for (const w of silent) if (typeof w !== 'number') w.terminate();
});
