import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { ApiEvents } from '../../../src-main/api/contract.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { MAX_UI_MESSAGE_BYTES, startWebUi, type WebUiServer } from '../../../src-main/api/web-ui/server.js';
import { UI_TOKEN_FILE } from '../../../src-main/api/web-ui/ui-token.js';
import { CLOSE_UNAUTHORIZED, UNAUTHORIZED_REASON } from '../../../src-main/api/web-ui/ws-session.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/wait.js';

type Listener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;
const listeners = new Set<Listener>();
const handler: ServedApi = {
  contract: agentContract,
  call: (method, params) => Promise.resolve({ method, params } as never),
  onEvent: (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

function rendererDir(): string {
  const dir = tempDir('cb-renderer-');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Clawbridge</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  return dir;
}

const servers: WebUiServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function start(extra: { rendererDir?: string; listen?: string } = {}) {
  const home = tempDir('cb-webui-');
  const notices: string[] = [];
  const ui = await startWebUi({
    listen: extra.listen ?? '127.0.0.1:0',
    allowRemote: false,
    home,
    handler,
    rendererDir: extra.rendererDir ?? rendererDir(),
    notice: (l) => notices.push(l),
  });
  servers.push(ui);
  const token = /#token=([0-9a-f]+)$/.exec(ui.url())![1]!;
  return { ui, home, token, notices, origin: `http://127.0.0.1:${ui.port}` };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  port: number,
  path: string,
  opts: { host?: string; method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { ...opts.headers, Host: opts.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a socket; resolves with it once open, or with the HTTP status it was refused with. */
function openWs(url: string, origin: string | undefined): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.once('error', reject);
  });
}

/** Messages of `ws` as parsed JSON, in order; `next()` waits for the following one. */
function reader(ws: WebSocket) {
  const queue: unknown[] = [];
  const waiting: ((m: unknown) => void)[] = [];
  ws.on('message', (data) => {
    const msg: unknown = JSON.parse((data as Buffer).toString('utf8'));
    const w = waiting.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  return {
    next: (): Promise<Record<string, unknown>> =>
      new Promise((resolve) => {
        if (queue.length) resolve(queue.shift() as Record<string, unknown>);
        else waiting.push(resolve as (m: unknown) => void);
      }),
  };
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
}

async function session(s: { ui: WebUiServer; token: string; origin: string }) {
  const ws = (await openWs(`ws://127.0.0.1:${s.ui.port}/api`, s.origin)) as WebSocket;
  const r = reader(ws);
  ws.send(JSON.stringify({ type: 'auth', token: s.token }));
  assert.deepEqual(await r.next(), { type: 'ready', version: 1 });
  return { ws, ...r };
}

test('a request with a foreign Host is refused with 421, on plain HTTP and on upgrades', async () => {
  const s = await start();
  const res = await get(s.ui.port, '/', { host: `evil.example:${s.ui.port}` });
  assert.equal(res.status, 421);
  assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
  const ws = await openWs(`ws://127.0.0.1:${s.ui.port}/api`, s.origin).catch(() => undefined);
  assert.ok(ws instanceof WebSocket, 'own Host and Origin pass');
  ws.close();
  const rebound = await new Promise<number>((resolve) => {
    const w = new WebSocket(`ws://127.0.0.1:${s.ui.port}/api`, {
      headers: { Host: `evil.example:${s.ui.port}` },
      origin: `http://evil.example:${s.ui.port}`,
    });
    w.once('unexpected-response', (_req, r) => resolve(r.statusCode!));
  });
  assert.equal(rebound, 421);
});

test('/ serves index.html with the CSP and headers; assets get their types; traversal is 404', async () => {
  const s = await start();
  const index = await get(s.ui.port, '/');
  assert.equal(index.status, 200);
  assert.match(index.body, /<title>Clawbridge<\/title>/);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(String(index.headers['content-security-policy']), /^default-src 'self'; script-src 'self'/);
  assert.equal(index.headers['referrer-policy'], 'no-referrer');
  assert.equal(index.headers['x-frame-options'], 'DENY');
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  // The page is revalidated on each visit (ADR 0107: no-cache with an ETag, a reload is a 304); the
  // API's answers stay no-store.
  assert.equal(index.headers['cache-control'], 'no-cache');
  assert.ok(index.headers.etag, 'index.html carries an ETag to revalidate against');
  const again = await get(s.ui.port, '/', { headers: { 'If-None-Match': String(index.headers.etag) } });
  assert.equal(again.status, 304, 'a reload with the ETag is answered 304');
  const js = await get(s.ui.port, '/assets/app.js?v=1');
  assert.equal(js.status, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  for (const path of [
    '/../../etc/passwd',
    '/assets/../../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2fetc%2fpasswd',
    '/%00',
    '/%E0%A4%A',
    '/assets',
    '/nope.js',
  ]) {
    assert.equal((await get(s.ui.port, path)).status, 404, path);
  }
  const head = await get(s.ui.port, '/', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  const post = await get(s.ui.port, '/', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  assert.equal((await get(s.ui.port, '/api')).status, 426);
});

test('without a built renderer / answers 503 saying to run npm run build', async () => {
  const s = await start({ rendererDir: tempDir('cb-empty-') });
  const res = await get(s.ui.port, '/');
  assert.equal(res.status, 503);
  assert.match(res.body, /run npm run build/);
  assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
});

test('a WebSocket from a foreign Origin, or none, is refused with 403; an unknown path 404', async () => {
  const s = await start();
  assert.equal(await openWs(`ws://127.0.0.1:${s.ui.port}/api`, 'http://evil.example'), 403);
  assert.equal(await openWs(`ws://127.0.0.1:${s.ui.port}/api`, `http://localhost:${s.ui.port}`), 403);
  assert.equal(await openWs(`ws://127.0.0.1:${s.ui.port}/api`, undefined), 403);
  assert.equal(await openWs(`ws://127.0.0.1:${s.ui.port}/other`, s.origin), 404);
});

test('a wrong token, or a first message that is not auth, closes the socket with 4401 and the reason', async () => {
  const s = await start();
  for (const first of [
    JSON.stringify({ type: 'auth', token: '0'.repeat(64) }),
    JSON.stringify({ type: 'auth', token: s.token.slice(1) }),
    JSON.stringify({ type: 'request', id: 1, method: 'status' }),
    'not json',
  ]) {
    const ws = (await openWs(`ws://127.0.0.1:${s.ui.port}/api`, s.origin)) as WebSocket;
    const done = closed(ws);
    ws.send(first);
    assert.deepEqual(await done, { code: CLOSE_UNAUTHORIZED, reason: UNAUTHORIZED_REASON });
  }
});

test('a socket that sends no token is closed with 4401 after 5 s', async () => {
  const s = await start();
  const ws = (await openWs(`ws://127.0.0.1:${s.ui.port}/api/stream`, s.origin)) as WebSocket;
  const t0 = Date.now();
  assert.deepEqual(await closed(ws), { code: CLOSE_UNAUTHORIZED, reason: UNAUTHORIZED_REASON });
  assert.ok(Date.now() - t0 >= 4_500, 'Date.now() - t0 >= 4_500');
});

test('with the token: ready, requests answered, bad ones get error replies and the socket goes on', async () => {
  const s = await start();
  const c = await session(s);
  c.ws.send(JSON.stringify({ type: 'request', id: 7, method: 'status', params: {} }));
  assert.deepEqual(await c.next(), {
    type: 'response',
    id: 7,
    ok: true,
    result: { method: 'status', params: {} },
  });
  c.ws.send(JSON.stringify({ type: 'request', id: 8, method: 'no.such', params: {} }));
  const bad = await c.next();
  assert.equal(bad.id, 8);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.error, { code: 'BAD_ARGUMENT', message: "unknown method 'no.such'" });
  c.ws.send(JSON.stringify({ type: 'request', id: 9, method: 'status', params: { extra: 1 } }));
  assert.equal(((await c.next()).error as { code: string }).code, 'BAD_ARGUMENT');
  c.ws.send(JSON.stringify({ type: 'hello', id: 10 }));
  assert.deepEqual(await c.next(), {
    type: 'response',
    id: 10,
    ok: false,
    error: { code: 'BAD_ARGUMENT', message: "message type 'hello': expected request or subscribe" },
  });
  c.ws.send('[]');
  assert.equal((await c.next()).ok, false);
  c.ws.send(JSON.stringify({ type: 'request', id: 11, method: 'peers.list' }));
  assert.deepEqual(await c.next(), {
    type: 'response',
    id: 11,
    ok: true,
    result: { method: 'peers.list', params: {} },
  });
  const subscribed = listeners.size;
  c.ws.send(JSON.stringify({ type: 'subscribe' }));
  await until('the page subscribed', () => listeners.size > subscribed);
  for (const l of listeners) l('changed', { seq: 3, domains: ['peers', 'settings'] });
  assert.deepEqual(await c.next(), {
    type: 'event',
    event: 'changed',
    data: { seq: 3, domains: ['peers', 'settings'] },
  });
  c.ws.close();
});

test('malformed JSON closes with 1007, a message over MAX_UI_MESSAGE_BYTES with 1009', async () => {
  const s = await start();
  const a = await session(s);
  const aClosed = closed(a.ws);
  a.ws.send('{"type":');
  assert.equal((await aClosed).code, 1007);
  const b = await session(s);
  const bClosed = closed(b.ws);
  b.ws.send(
    JSON.stringify({
      type: 'request',
      id: 1,
      method: 'status',
      params: { x: 'y'.repeat(MAX_UI_MESSAGE_BYTES) },
    }),
  );
  assert.equal((await bClosed).code, 1009);
});

test('the token file is 0600; a new token closes the sessions that used the old one', async () => {
  const s = await start();
  const path = join(s.home, UI_TOKEN_FILE);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readFileSync(path, 'utf8').trim(), s.token);
  const old = await session(s);
  const oldClosed = closed(old.ws);
  const url = s.ui.url(true);
  const token = /#token=([0-9a-f]{64})$/.exec(url)![1]!;
  assert.notEqual(token, s.token);
  assert.deepEqual(await oldClosed, { code: CLOSE_UNAUTHORIZED, reason: UNAUTHORIZED_REASON });
  assert.equal(readFileSync(path, 'utf8').trim(), token);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const fresh = await session({ ...s, token });
  fresh.ws.send(JSON.stringify({ type: 'request', id: 1, method: 'status' }));
  assert.equal((await fresh.next()).ok, true);
  fresh.ws.close();
});

test('a taken port falls back to a free one and says so; a remote address needs allowRemote', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as { port: number }).port;
  const s = await start({ listen: `127.0.0.1:${taken}` });
  assert.notEqual(s.ui.port, taken);
  assert.match(s.notices.join('\n'), new RegExp(`port ${taken} is taken; serving it on port ${s.ui.port}`));
  assert.match(s.ui.url(), new RegExp(`^http://127\\.0\\.0\\.1:${s.ui.port}/#token=[0-9a-f]{64}$`));
  blocker.close();
  await assert.rejects(
    startWebUi({ listen: '0.0.0.0:0', allowRemote: false, home: s.home, handler }),
    /reachable from other machines: add --allow-remote-ui/,
  );
});

test('an address that cannot be bound is a clear error naming the flag', async () => {
  await assert.rejects(
    startWebUi({
      // TEST-NET-1 (RFC 5737): on no interface of this machine, so nothing is ever bound
      listen: '192.0.2.1:0',
      allowRemote: true,
      home: tempDir('cb-webui-'),
      handler,
    }),
    /cannot serve the web UI on 192\.0\.2\.1:0: .*EADDRNOTAVAIL.* — change --ui-listen, or --no-ui/,
  );
});
