/**
 * Both sides of a reverse forward over an in-memory link, with the real services: A asks B to listen,
 * B's port carries bytes to A's target, B closes the listener the moment `listen` is taken away (A then
 * says why and retries), and a `reverse-connect` with an id A does not know is refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { PeerEntry } from '../../../src-main/agent/ports.js';
import { ServiceRegistry } from '../../../src-main/agent/services.js';
import type { ForwardRecord, PeerRecord } from '../../../src-main/agent/settings.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { ReverseForwards } from '../../../src-main/forwards/reverse-forwards.js';
import { registerReverseListenService } from '../../../src-main/forwards/reverse-listen-service.js';
import { REVERSE_CONNECT_SERVICE } from '../../../src-main/forwards/reverse-protocol.js';
import { muxPair } from '../mux/mux-fixtures.js';
import { memoryLogger } from './fixtures.js';

const FA = 'a'.repeat(64);
const FB = 'b'.repeat(64);

const echo = createServer((s) => s.pipe(s));
await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
after(() => echo.close());

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function entry(fingerprint: string, name: string): PeerEntry {
  return { fingerprint, record: { name }, links: { active: {} } } as unknown as PeerEntry;
}

function setup() {
  const registryA = new ServiceRegistry();
  const registryB = new ServiceRegistry();
  // B's record of A: what A may do there (mutable, as the owner changes it).
  let aOnB: PeerRecord = { fingerprint: FA, name: 'a', allow: ['listen'], addresses: [], addedAt: '' };
  const subscribers: (() => void)[] = [];
  const pair = muxPair({
    a: { onStream: (req) => registryA.dispatch('a', { fingerprint: FB, name: 'b', allow: [] }, req) },
    b: {
      onStream: (req) => registryB.dispatch('b', { fingerprint: FA, name: 'a', allow: aOnB.allow }, req),
    },
  });
  const log = memoryLogger().log;
  const saved = new Map<string, ForwardRecord>();
  const reverse = new ReverseForwards({
    log,
    notices: { changed: () => undefined, notice: () => undefined, onChanged: () => () => undefined },
    state: { forward: (n) => saved.get(n), saveForward: (f) => void saved.set(f.name, f) },
    links: {
      peerEntries: () => [entry(FB, 'b')],
      openStream: async (_e, service, args) => ({
        stream: await pair.ma.open(service, args),
        path: 'direct',
        remote: '',
      }),
    },
    services: registryA,
  });
  const stopB = registerReverseListenService({
    name: 'b',
    log,
    state: {
      get: () => ({ allowRemoteReverseListen: false }) as never,
      peer: (fp: string) => (fp === FA ? aOnB : undefined),
      subscribe: (fn: () => void) => (subscribers.push(fn), () => undefined),
    } as never,
    services: registryB,
    links: {
      peerEntries: () => [entry(FA, 'a')],
      openStream: async (_e, service, args) => ({
        stream: await pair.mb.open(service, args),
        path: 'direct',
        remote: '',
      }),
    },
  });
  const revoke = () => {
    aOnB = { ...aOnB, allow: [] };
    for (const s of subscribers) s();
  };
  return { reverse, pair, saved, revoke, stop: async () => (reverse.stop(), await stopB(), pair.close()) };
}

function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(text));
    let got = '';
    s.setEncoding('utf8').on('data', (c: string) => (got += c));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

test('B listens for A; bytes reach A’s target; taking listen away closes B’s port at once', async () => {
  const { reverse, saved, revoke, stop } = setup();
  const port = await freePort();
  const record: ForwardRecord = {
    name: 'rev',
    kind: 'tcp',
    direction: 'reverse',
    listen: `127.0.0.1:${port}`,
    via: 'b',
    viaFingerprint: FB,
    remote: `127.0.0.1:${(echo.address() as AddressInfo).port}`,
    enabled: true,
  };
  await reverse.add(record);
  assert.ok(saved.has('rev'));
  assert.equal(await exchange(port, 'ping'), 'ping');
  const info = reverse.info(record, 'b');
  assert.equal(info.state, 'listening');
  assert.equal(info.connections, 1);
  assert.equal(info.bytesIn, 4);
  assert.equal(info.bytesOut, 4);

  revoke();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(await portFree(port), "B's port is free once listen is taken away");
  const after = reverse.info(record, 'b');
  assert.equal(after.state, 'error');
  await stop();
});

test('a reverse-connect with an id A does not know is refused', async () => {
  const { pair, stop } = setup();
  await assert.rejects(pair.mb.open(REVERSE_CONNECT_SERVICE, { id: 'f'.repeat(16) }), (err: unknown) => {
    assert.ok(isClawError(err, 'STREAM_REJECTED'));
    assert.match((err as Error).message, /no reverse forward here listens on b under that id/);
    return true;
  });
  await stop();
});

test('add refuses (and saves nothing) when B does not allow listen', async () => {
  const { reverse, saved, revoke, stop } = setup();
  revoke();
  const port = await freePort();
  await assert.rejects(
    reverse.add({
      name: 'rev',
      kind: 'tcp',
      direction: 'reverse',
      listen: `127.0.0.1:${port}`,
      via: 'b',
      viaFingerprint: FB,
      remote: '127.0.0.1:1',
      enabled: true,
    }),
    /b refused to listen on 127\.0\.0\.1:\d+: permission denied: b does not allow listening from a .*peers allow a listen/,
  );
  assert.equal(saved.size, 0);
  await stop();
});
