/**
 * `clawbridge share` (issue 55 item 2, ADR 0052) with real agents on loopback and real curl: A shares a
 * folder through B, which listens on its loopback port. A download arrives byte-exact; `curl -r
 * 100-199` gets exactly those bytes and `curl -C -` resumes; `--path-as-is` with `/../`, `/%2e%2e/`,
 * encoded slashes, backslashes and symlinks leading out of the folder gets no byte from outside it; a
 * name with markup is listed escaped; other methods are 405; a password is asked for and never saved
 * in clear; the share comes back after A's agent restarts, its connections are in both audit logs (one
 * line each with its request count; each refused request a line with its path and status), and
 * `share stop` frees B's port.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ShareInfo } from '../../src-main/share/share-contract.js';
import { agentCall, cli, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { addPeer, ok, online, startLoopbackNode } from '../helpers/loopback-nodes.js';
import { curlUnavailable, portFree } from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = curlUnavailable();
const OUTSIDE = 'OUTSIDE-THE-SHARE-7f3a';

interface Got {
  code: number | null;
  status: number;
  body: Buffer;
  headers: string;
}

/** `curl ARGS` (silent, no progress), its HTTP status, headers and body. */
function curl(args: string[], timeoutMs = 120_000): Promise<Got> {
  return new Promise((resolve, reject) => {
    // Headers to a file: node's pipes are sockets, which /dev/stderr cannot open.
    const dump = join(tempHome('share-curl'), 'headers');
    const child = spawn('curl', ['-sS', '--max-time', String(timeoutMs / 1000), '-D', dump, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`curl ${args.join(' ')} did not finish`));
    }, timeoutMs + 5_000);
    // `close`, not `exit`: then both pipes are read to their end.
    child.on('close', (code) => {
      clearTimeout(timer);
      let headers = '';
      try {
        headers = readFileSync(dump, 'utf8');
      } catch {
        // No answer at all: no headers.
      }
      const statuses = [...headers.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].map((m) => Number(m[1]));
      resolve({ code, status: statuses.at(-1) ?? 0, body: Buffer.concat(out), headers: headers + err });
    });
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The folder to share, with a secret file beside it and links leading to it. */
function makeFolder(): { dir: string; big: Buffer; small: Buffer } {
  const base = tempHome('share-data');
  const dir = join(base, 'shared');
  const outside = join(base, 'outside');
  mkdirSync(dir);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), `${OUTSIDE}\n`);
  writeFileSync(join(base, 'secret.txt'), `${OUTSIDE}\n`);
  const big = randomBytes(24 * 1024 * 1024);
  const small = randomBytes(1000);
  writeFileSync(join(dir, 'big.bin'), big);
  writeFileSync(join(dir, 'small.bin'), small);
  writeFileSync(join(dir, '.hidden'), `${OUTSIDE}\n`);
  // A name cannot hold `/` on disk: `<script>x</script>.txt` is the file `script>.txt` in `<script>x<`.
  mkdirSync(join(dir, '<script>x<'));
  writeFileSync(join(dir, '<script>x<', 'script>.txt'), 'in the odd folder\n');
  writeFileSync(join(dir, '<img src=x onerror=alert(1)>.txt'), 'markup\n');
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'link-out.txt'));
  symlinkSync(outside, join(dir, 'dir-out'));
  symlinkSync('small.bin', join(dir, 'link-in.bin'));
  return { dir, big, small };
}

async function shareOf(home: string, name: string): Promise<ShareInfo | undefined> {
  return (await agentCall(home, 'share.list', {})).find((s) => s.name === name);
}

test('share a folder through a peer', { skip, timeout: 600_000 }, async () => {
  const { dir, big, small } = makeFolder();
  const a = await startLoopbackNode('a', 'share');
  const b = await startLoopbackNode('b', 'share');
  await addPeer(b, a, 'listen');
  await addPeer(a, b, 'none', true);
  await online(a, 'b');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  const added = await cli([
    'share',
    dir,
    '--via',
    'b',
    '--listen',
    String(port),
    '--name',
    'docs',
    '--home',
    a.home,
  ]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(
    added.stdout,
    new RegExp(`share docs: http://127\\.0\\.0\\.1:${port}/ on b -> .*shared \\(listening\\)`),
  );

  // On B, the node that listens: `status` and `share list` show the port it opened for a.
  const listening = new RegExp(
    `listening (here )?for a: 127\\.0\\.0\\.1:${port} \\(its reverse forward or share; \\d+ open\\)`,
  );
  assert.match(await ok(['status', '--home', b.home]), listening);
  assert.match(await ok(['share', 'list', '--home', b.home]), listening);

  // Byte-exact through B's port.
  const whole = await curl([`${base}/big.bin`]);
  assert.equal(whole.status, 200, whole.headers);
  assert.equal(whole.body.length, big.length);
  assert.equal(sha256(whole.body), sha256(big));
  assert.match(whole.headers, /content-type: application\/octet-stream/i);
  assert.match(whole.headers, /etag: "/i);
  assert.match(whole.headers, /last-modified: /i);

  // One range: exactly those 100 bytes.
  const part = await curl(['-r', '100-199', `${base}/small.bin`]);
  assert.equal(part.status, 206);
  assert.deepEqual(part.body, small.subarray(100, 200));
  assert.match(part.headers, /content-range: bytes 100-199\/1000/i);
  const past = await curl(['-r', '5000-', `${base}/small.bin`]);
  assert.equal(past.status, 416);

  // `curl -C -` carries on from what a file holds.
  const partial = join(tempHome('share-resume'), 'big.part');
  writeFileSync(partial, big.subarray(0, 5_000_000));
  const resumed = await curl(['-C', '-', '-o', partial, `${base}/big.bin`]);
  assert.equal(resumed.code, 0, resumed.headers);
  assert.equal(resumed.status, 206);
  assert.equal(sha256(readFileSync(partial)), sha256(big));

  // A conditional GET with the ETag it was given: 304, no body.
  const etag = /etag: (".*?")/i.exec(whole.headers)![1]!;
  const same = await curl(['-H', `If-None-Match: ${etag}`, `${base}/small.bin`]);
  assert.ok(same.status === 304 || same.status === 200, same.headers);

  // Nothing from outside the folder, however the path is spelt.
  for (const path of [
    '/../secret.txt',
    '/../outside/secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/outside/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/sub/..%2f..%2fsecret.txt',
    '/link-out.txt',
    '/dir-out/secret.txt',
    '/dir-out/',
    '/.hidden',
    '/%2ehidden',
    '/small.bin%00.txt',
  ]) {
    const got = await curl(['--path-as-is', `${base}${path}`]);
    assert.ok(!got.body.toString('latin1').includes(OUTSIDE), `${path} served a byte from outside`);
    assert.ok([400, 404].includes(got.status), `${path}: ${got.status}`);
  }
  // A link that stays inside is served.
  assert.deepEqual((await curl([`${base}/link-in.bin`])).body, small);

  // The listing: names escaped, links encoded; nothing outside listed.
  const listing = await curl([`${base}/`]);
  assert.equal(listing.status, 200);
  const page = listing.body.toString('utf8');
  assert.ok(!/<script>|<img/i.test(page), page);
  assert.ok(page.includes('&#60;script&#62;x&#60;/'), page);
  assert.ok(page.includes('&#60;img src=x onerror=alert(1)&#62;.txt'), page);
  assert.ok(!page.includes('link-out') && !page.includes('dir-out') && !page.includes('.hidden'), page);
  const odd = await curl([`${base}/%3Cscript%3Ex%3C/`]);
  assert.ok(
    odd.body.toString('utf8').includes('href="script%3E.txt">script&#62;.txt</a>'),
    "odd.body.toString('utf8').includes('href=\"script%3E.txt\">script&#62;.txt</a>')",
  );
  assert.equal(
    (await curl([`${base}/%3Cscript%3Ex%3C/script%3E.txt`])).body.toString(),
    'in the odd folder\n',
  );

  // A download under way is listed in `connections` on A as the share's connection; cut, it ends.
  const slow = spawn('curl', ['-sS', '-o', '/dev/null', '--limit-rate', '1M', `${base}/big.bin`], {
    stdio: 'ignore',
  });
  try {
    await until(
      'the download in connections',
      async () => {
        const list = await agentCall(a.home, 'connections.list', {});
        return list.some(
          (c) => c.kind === 'share' && c.to === 'share docs' && c.peer?.name === 'b' && c.bytesIn > 0,
        );
      },
      20_000,
    );
  } finally {
    slow.kill('SIGKILL');
  }
  await until(
    'the download ended',
    async () => !(await agentCall(a.home, 'connections.list', {})).some((c) => c.kind === 'share'),
    20_000,
  );

  // Read only.
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const got = await curl(['-X', method, '--data-binary', 'x', `${base}/new.txt`]);
    assert.equal(got.status, 405, method);
  }

  // Listed, with its URL; its connections and downloads in the audit log on both sides.
  const info = await until(
    'share listed',
    async () => {
      const s = await shareOf(a.home, 'docs');
      return s?.state === 'listening' && s.open === 0 && s;
    },
    20_000,
  );
  assert.equal(info.url, `${base}/`);
  assert.equal(info.password, false);
  assert.ok(info.bytesSent >= big.length, `bytesSent ${info.bytesSent}`);
  // On A: one line per connection, saying how many requests it carried (not one per request), and
  // each refused request with its path and status.
  const auditA = await until(
    'a audit',
    async () => {
      const { events } = await agentCall(a.home, 'audit.list', {});
      return events.some((e) => e.kind === 'refused' && e.what.includes('DELETE /new.txt → 405')) && events;
    },
    20_000,
  );
  const download = auditA.find(
    (e) => e.kind === 'connection' && e.connection === 'share' && e.bytesIn >= big.length,
  );
  assert.ok(download?.kind === 'connection', JSON.stringify(auditA));
  assert.match(download.what, /→ share docs$/);
  assert.equal(download.reason, '1 request');
  assert.ok(
    !auditA.some((e) => e.kind === 'connection' && e.what.includes('/big.bin')),
    'no line of its own per request',
  );
  const traversal = auditA.find((e) => e.kind === 'refused' && e.what.includes('GET /../secret.txt'));
  assert.ok(traversal?.kind === 'refused', 'a traversal attempt is logged, with its path');
  assert.equal(traversal.service, 'share');
  assert.equal(traversal.outcome, 'refused');
  assert.match(traversal.what, /^share docs: GET \/\.\.\/secret\.txt → 404$/);
  assert.deepEqual(traversal.peer, { name: 'b', fingerprint: b.fingerprint });
  await until(
    'b audit',
    async () => {
      const { events } = await agentCall(b.home, 'audit.list', {});
      return events.some(
        (e) =>
          e.kind === 'connection' &&
          e.connection === 'reverse-served' &&
          e.bytesIn + e.bytesOut >= big.length,
      );
    },
    20_000,
  );

  // A password: asked for, checked, saved only as a hash.
  const port2 = await freePort();
  const pwFile = join(tempHome('share-pw'), 'pw');
  writeFileSync(pwFile, 'correct horse\n', { mode: 0o600 });
  await ok([
    'share',
    dir,
    '--via',
    'b',
    '--listen',
    String(port2),
    '--name',
    'locked',
    '--password-file',
    pwFile,
    '--home',
    a.home,
  ]);
  const locked = `http://127.0.0.1:${port2}/small.bin`;
  assert.equal((await curl([locked])).status, 401);
  assert.equal((await curl(['-u', 'x:wrong', locked])).status, 401);
  const opened = await curl(['-u', 'anyone:correct horse', locked]);
  assert.equal(opened.status, 200);
  assert.deepEqual(opened.body, small);
  assert.ok(
    !readFileSync(join(a.home, 'config.json'), 'utf8').includes('correct horse'),
    "!readFileSync(join(a.home, 'config.json'), 'utf8').includes('correct horse')",
  );
  assert.equal((await shareOf(a.home, 'locked'))?.password, true);
  await ok(['share', 'stop', 'locked', '--home', a.home]);

  // A's agent restarts: the share comes back by itself.
  await ok(['stop', '--home', a.home]);
  await until('b stops listening', () => portFree(port), 30_000);
  await startAgent(a.home, { name: 'a', listen: a.address, ui: false });
  await until('share back', async () => (await shareOf(a.home, 'docs'))?.state === 'listening', 60_000);
  const after = await curl([`${base}/big.bin`]);
  assert.equal(sha256(after.body), sha256(big));

  // Stopped: B's port is free, and nothing answers there.
  const stopped = await ok(['share', 'stop', 'docs', '--home', a.home]);
  assert.match(stopped, /stopped share docs/);
  await until('port free on b', () => portFree(port), 20_000);
  assert.equal(await shareOf(a.home, 'docs'), undefined);
  assert.notEqual((await curl(['--max-time', '5', `${base}/small.bin`])).code, 0);
});
