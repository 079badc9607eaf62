/**
 * Reverse forwards (like `ssh -R`; ADR 0018) with real agents on loopback: A publishes its own HTTP
 * server on B's loopback port, over a direct link and over a relay-only one (B has --no-direct), and a
 * 100 MiB download through it arrives byte-exact (the size); refused without `listen` (the line names `peers allow
 * … listen`), outside B's `listenOn` limits, and on a non-loopback address without B's consent; B's
 * port taken → state error saying why, and listening again once it is free; switched off → B's port
 * is free again.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { ForwardInfo } from '../../src-main/forwards/forwards-contract.js';
import { agentCall, cli, stopAll, tempHome, nodeId } from '../helpers/processes.js';
import {
  curl,
  curlUnavailable,
  fileServer,
  ok,
  portFree,
  startAgent,
  startPair,
  startRelay,
  waitForPath,
} from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const MIB = 1024 * 1024;
const skip = curlUnavailable();

/** The forward `name` as `forward list --json` lists it, asked over the control socket (polled). */
async function forwardOf(home: string, name: string): Promise<ForwardInfo | undefined> {
  return (await agentCall(home, 'forward.list', {})).find((f) => f.name === name);
}

function reverseAdd(home: string, listen: string, to: string, name: string): ReturnType<typeof cli> {
  return cli([
    'forward',
    'add',
    '--reverse',
    '--via',
    'b',
    '--listen',
    listen,
    '--to',
    to,
    '--name',
    name,
    '--home',
    home,
  ]);
}

function block(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

test('over a direct link: refusals, download, port taken, off', { skip, timeout: 180_000 }, async () => {
  const file = await fileServer(100 * MIB);
  after(() => file.server.close());
  const pair = await startPair();
  const to = `127.0.0.1:${file.port}`;
  const port = await freePort();

  // B has not allowed `listen` (not a default): refused, in one line that says what to run on B.
  const denied = await reverseAdd(pair.homeA, String(port), to, 'rev');
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /b refused to listen on 127\.0\.0\.1:\d+: .*peers allow a listen/);
  assert.equal(denied.stderr.trim().split('\n').length, 1, denied.stderr);
  assert.equal(await forwardOf(pair.homeA, 'rev'), undefined, 'a refused forward is not saved');

  await ok(['peers', 'allow', 'a', 'listen', '--home', pair.homeB]);
  const added = await reverseAdd(pair.homeA, String(port), to, 'rev');
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /reverse forward rev: b:127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \(listening\)/);

  // B's clients reach A's server: byte-exact.
  const got = await curl([`http://127.0.0.1:${port}/file`]);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(got.bytes, file.size);
  assert.equal(got.sha256, file.sha256);
  const listed = await until(
    'counters',
    async () => {
      const f = await forwardOf(pair.homeA, 'rev');
      return f && f.open === 0 && f.connections === 1 ? f : undefined;
    },
    30_000,
  );
  assert.equal(listed.direction, 'reverse');
  assert.equal(listed.state, 'listening');
  assert.equal(listed.local, to);
  assert.equal(listed.remote, `127.0.0.1:${port}`);
  assert.ok(listed.bytesOut >= file.size, `bytesOut ${listed.bytesOut}`);
  const table = await ok(['forward', 'list', '--home', pair.homeA]);
  assert.match(table, /rev\s+reverse\s+127\.0\.0\.1:\d+\s+b\s+127\.0\.0\.1:\d+/);

  // Limits on B: only that one port.
  await ok(['peers', 'limit', 'a', '--listen', `127.0.0.1:${port}`, '--home', pair.homeB]);
  const other = await freePort();
  const limited = await reverseAdd(pair.homeA, String(other), to, 'rev2');
  assert.notEqual(limited.code, 0);
  assert.match(limited.stderr, /b does not allow a to listen on 127\.0\.0\.1:\d+.*peers limit a --listen/);
  await ok(['peers', 'limit', 'a', '--listen', '--any', '--home', pair.homeB]);

  // Not loopback: B's owner has not consented.
  const wide = await reverseAdd(pair.homeA, `0.0.0.0:${other}`, to, 'rev3');
  assert.notEqual(wide.code, 0);
  assert.match(wide.stderr, /loopback addresses only.*--allow-remote-reverse-listen/);

  // Off: B's port is free again (nothing stays bound there).
  await ok(['forward', 'disable', 'rev', '--home', pair.homeA]);
  await until('port free on b', () => portFree(port), 30_000);
  assert.equal((await forwardOf(pair.homeA, 'rev'))?.state, 'off');

  // Taken on B: error with why, and listening again once it is free (the backoff schedule).
  const blocker = await block(port);
  await ok(['forward', 'enable', 'rev', '--home', pair.homeA]);
  const failing = await until(
    'error state',
    async () => {
      const f = await forwardOf(pair.homeA, 'rev');
      return f?.state === 'error' && /in use/.test(f.error ?? '') ? f : undefined;
    },
    30_000,
  );
  assert.match(
    failing.error ?? '',
    /b refused to listen on 127\.0\.0\.1:\d+: b cannot listen: .*already in use/,
  );
  await new Promise<void>((r) => blocker.close(() => r()));
  await until(
    'listening again',
    async () => (await forwardOf(pair.homeA, 'rev'))?.state === 'listening',
    20_000,
  );
  // Carrying bytes again: the whole file already went through this forward above.
  const again = await curl([`http://127.0.0.1:${port}/head`]);
  assert.equal(again.sha256, file.headSha256);

  await ok(['forward', 'rm', 'rev', '--home', pair.homeA]);
  await until('port free after rm', () => portFree(port), 30_000);
});

test('over a relay-only link, and back after the peer restarts', { skip, timeout: 180_000 }, async () => {
  const file = await fileServer(100 * MIB);
  after(() => file.server.close());
  const relay = await startRelay();
  const homeA = tempHome('ra');
  const homeB = tempHome('rb');
  await startAgent(homeA, { name: 'a', relay: relay.url, listen: '127.0.0.1:0' });
  let b = await startAgent(homeB, { name: 'b', relay: relay.url, listen: false });
  const fa = (await nodeId(homeA)).fingerprint;
  const fb = (await nodeId(homeB)).fingerprint;
  await agentCall(homeA, 'peers.add', { fingerprint: fb, name: 'b' });
  await agentCall(homeB, 'peers.add', { fingerprint: fa, name: 'a', allow: ['listen'] });
  await waitForPath(homeA, 'b', 'relay');
  const port = await freePort();
  const added = await reverseAdd(homeA, String(port), `127.0.0.1:${file.port}`, 'rev');
  assert.equal(added.code, 0, added.stderr);
  const got = await curl([`http://127.0.0.1:${port}/file`]);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(got.sha256, file.sha256);

  // B goes away and comes back: A asks again by itself.
  await b.stop();
  await until('waiting for b', async () => (await forwardOf(homeA, 'rev'))?.state === 'error', 20_000);
  b = await startAgent(homeB, { name: 'b', relay: relay.url, listen: false });
  await until('listening again', async () => (await forwardOf(homeA, 'rev'))?.state === 'listening', 40_000);
  // Carrying bytes again: the whole file already went through this forward above.
  const again = await curl([`http://127.0.0.1:${port}/head`]);
  assert.equal(again.sha256, file.headSha256);
});
