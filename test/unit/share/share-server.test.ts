/**
 * The share's file server in process (ADR 0052), fed connections the way a reverse forward feeds it
 * (`serve(stream, …)`; here each stream is a loopback socket): conditional requests (If-None-Match,
 * If-Modified-Since, If-Range), HEAD, 405 for writes, a folder's redirect to its `/`, Content-Type by
 * extension, dot-files only when asked, a FIFO refused without waiting for a writer, the password,
 * and each answer reported with its path and status.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ShareServer, type ShareConfig } from '../../../src-main/share/share-server.js';
import { hashSharePassword } from '../../../src-main/share/share-password.js';
import { failTest } from '../../helpers/unawaited.js';

const dir = mkdtempSync(join(tmpdir(), 'share-server-'));
const answers: { method: string; path: string; status: number; complete: boolean }[] = [];
let sent = 0;
let config: ShareConfig = { name: 't', dir, dotfiles: false };
let net: Server;
let base = '';

before(async () => {
  writeFileSync(join(dir, 'a.txt'), 'hello world\n');
  writeFileSync(join(dir, 'page.html'), '<p>x</p>');
  writeFileSync(join(dir, '.env'), 'dot');
  mkdirSync(join(dir, 'sub dir'));
  execFileSync('mkfifo', [join(dir, 'pipe')]);
  const server = new ShareServer(pino({ level: 'silent' }));
  net = createServer((socket) => {
    server
      .serve(socket, 't', () => config, {
        received: () => undefined,
        sent: (n) => (sent += n),
        answered: (a) => answers.push(a),
      })
      .catch(failTest('server.serve'));
  });
  await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(net.address() as AddressInfo).port}`;
});
after(() => {
  net.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { redirect: 'manual', ...init });

test('a file: type, validators, and its answer reported with path and status', async () => {
  const r = await get('/a.txt');
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'hello world\n');
  assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(r.headers.get('accept-ranges'), 'bytes');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(r.headers.get('etag')?.startsWith('"'), "r.headers.get('etag')?.startsWith('\"')");
  assert.ok(r.headers.get('last-modified'), "r.headers.get('last-modified')");
  assert.equal((await get('/page.html')).headers.get('content-type'), 'text/html; charset=utf-8');
  assert.deepEqual(
    answers.find((x) => x.path === '/a.txt'),
    { method: 'GET', path: '/a.txt', status: 200, complete: true },
  );
  assert.ok(sent >= 12, 'sent >= 12');
});

test('conditional requests: 304, and If-Range that no longer holds sends it whole', async () => {
  const first = await get('/a.txt');
  const etag = first.headers.get('etag')!;
  const modified = first.headers.get('last-modified')!;
  await first.arrayBuffer();
  assert.equal((await get('/a.txt', { headers: { 'If-None-Match': etag } })).status, 304);
  assert.equal((await get('/a.txt', { headers: { 'If-None-Match': `"other", W/${etag}` } })).status, 304);
  assert.equal((await get('/a.txt', { headers: { 'If-None-Match': '"other"' } })).status, 200);
  assert.equal((await get('/a.txt', { headers: { 'If-Modified-Since': modified } })).status, 304);
  const old = new Date(Date.parse(modified) - 3_600_000).toUTCString();
  assert.equal((await get('/a.txt', { headers: { 'If-Modified-Since': old } })).status, 200);
  const part = await get('/a.txt', { headers: { Range: 'bytes=0-4', 'If-Range': etag } });
  assert.equal(part.status, 206);
  assert.equal(await part.text(), 'hello');
  const stale = await get('/a.txt', { headers: { Range: 'bytes=0-4', 'If-Range': '"changed"' } });
  assert.equal(stale.status, 200);
  assert.equal(await stale.text(), 'hello world\n');
  const suffix = await get('/a.txt', { headers: { Range: 'bytes=-6' } });
  assert.equal(suffix.status, 206);
  assert.equal(suffix.headers.get('content-range'), 'bytes 6-11/12');
  assert.equal(await suffix.text(), 'world\n');
  const none = await get('/a.txt', { headers: { Range: 'bytes=12-' } });
  assert.equal(none.status, 416);
  assert.equal(none.headers.get('content-range'), 'bytes */12');
});

test('HEAD sends the headers only; writes are 405', async () => {
  const head = await get('/a.txt', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '12');
  assert.equal(await head.text(), '');
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await get('/a.txt', { method, ...(method === 'OPTIONS' ? {} : { body: 'x' }) });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  }
});

test('folders: redirected to their `/`, listed with a strict policy', async () => {
  const r = await get('/sub%20dir');
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), '/sub%20dir/');
  const page = await get('/');
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const html = await page.text();
  assert.ok(html.includes('href="sub%20dir/"'), html);
  assert.ok(!html.includes('.env') && !html.includes('pipe'), html);
  assert.equal((await get('/a.txt/')).status, 404);
});

test('dot-files only with dotfiles; a FIFO is refused without waiting', async () => {
  assert.equal((await get('/.env')).status, 404);
  config = { ...config, dotfiles: true };
  try {
    assert.equal(await (await get('/.env')).text(), 'dot');
  } finally {
    config = { ...config, dotfiles: false };
  }
  const fifo = await get('/pipe', { signal: AbortSignal.timeout(10_000) });
  assert.equal(fifo.status, 404);
});

test('a password: 401 without or with a wrong one, served with it', async () => {
  config = { ...config, passwordHash: await hashSharePassword('s3cret: with colon') };
  try {
    const none = await get('/a.txt');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="t"/);
    const basic = (p: string) => ({ Authorization: `Basic ${Buffer.from(`u:${p}`).toString('base64')}` });
    assert.equal((await get('/a.txt', { headers: basic('wrong') })).status, 401);
    assert.equal((await get('/a.txt', { headers: basic('s3cret: with colon') })).status, 200);
  } finally {
    config = { name: 't', dir, dotfiles: false };
  }
});

test('a share no longer there answers 503', async () => {
  const saved = config;
  config = undefined as unknown as ShareConfig;
  try {
    assert.equal((await get('/a.txt')).status, 503);
  } finally {
    config = saved;
  }
});

test('a share on loopback answers only to loopback names (DNS rebinding)', async () => {
  const withHost = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${base}/a.txt`, { headers: { Host: host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  config = { ...config, loopbackOnly: true };
  try {
    assert.equal(await withHost('evil.example:8000'), 421);
    assert.equal(await withHost('192.0.2.7:8000'), 421);
    assert.equal(await withHost('127.0.0.1:8000'), 200);
    assert.equal(await withHost('localhost:9000'), 200);
    assert.equal(await withHost('[::1]:8000'), 200);
  } finally {
    config = { name: 't', dir, dotfiles: false };
  }
  assert.equal(await withHost('evil.example:8000'), 200, 'a share on another address takes any name');
});
