/**
 * Both sides of a reverse forward over an in-memory link, with the real services: A asks B to listen,
 * B's port carries bytes to A's target, B closes the listener the moment `listen` is taken away (A then
 * says why and retries), and a `reverse-connect` with an id A does not know is refused. Reverse UDP
 * too: B's UDP port carries whole datagrams (up to 65,507 bytes) to A's target and back, each client
 * its own flow, counted on A and listed there as `reverse-udp`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import type { StateChange } from '../../../src-main/state/state-changes.js';
import type { ForwardRecord } from '../../../src-main/forwards/saved-forward-schema.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import { ConnectionTable } from '../../../src-main/connections/connection-table.js';
import { MAX_UDP_DATAGRAM_BYTES } from '../../../src-main/protocol/udp-frames.js';
import { ClawError, isClawError } from '../../../src-main/core/errors.js';
import { ReverseForwards } from '../../../src-main/forwards/reverse-forwards.js';
import { registerReverseListenService } from '../../../src-main/forwards/reverse-listen-service.js';
import { REVERSE_CONNECT_SERVICE } from '../../../src-main/forwards/reverse-protocol.js';
import { StreamResumes } from '../../../src-main/forwards/stream-resumes.js';
import { muxPair } from '../mux/mux-fixtures.js';
import { memoryLogger } from './fixtures.js';
import { client, roundTrip, udpEcho } from './udp-fixtures.js';
import { freePort } from '../../helpers/ports.js';
import { until } from '../../helpers/wait.js';

const FA = 'a'.repeat(64);
const FB = 'b'.repeat(64);

const echo = createServer((s) => s.pipe(s));
await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
after(() => echo.close());

function entry(fingerprint: string, name: string): ReadonlyPeerEntry {
  return {
    fingerprint,
    record: { name, fingerprint },
    links: { active: {} },
  } as unknown as ReadonlyPeerEntry;
}

function setup() {
  // B's record of A: what A may do there (mutable, as the owner changes it).
  let aOnB: PeerRecord = { fingerprint: FA, name: 'a', allow: ['listen'], addresses: [], addedAt: '' };
  const subscribers: ((change: StateChange) => void)[] = [];
  const connections = new ConnectionTable();
  // Each node's registry lists what it serves; B's follows its settings (services/services.ts).
  const registryA = new ServiceRegistry({ name: () => 'a', connections });
  const stateB = {
    get: () => ({ allowRemoteReverseListen: false }) as never,
    peer: (fp: string) => (fp === FA ? aOnB : undefined),
    subscribe: (fn: (change: StateChange) => void) => (subscribers.push(fn), () => undefined),
  };
  const registryB = new ServiceRegistry({ name: () => 'b', state: stateB });
  // A link between A and B; `relink()` puts a new one beside it (the peer's next path) and returns the old.
  const link = () =>
    muxPair({
      link: { bytesPerTick: 256 * 1024 },
      a: { onStream: (req) => registryA.dispatch('a', { fingerprint: FB, name: 'b', allow: [] }, req) },
      b: {
        onStream: (req) => registryB.dispatch('b', { fingerprint: FA, name: 'a', allow: aOnB.allow }, req),
      },
    });
  const pairs = [link()];
  let pair = pairs[0]!;
  const relink = () => {
    const old = pair;
    pair = link();
    pairs.push(pair);
    return old;
  };
  const log = memoryLogger().log;
  const saved = new Map<string, ForwardRecord>();
  const resumes = new StreamResumes(5_000);
  resumes.register(registryA);
  const reverse = new ReverseForwards(
    {
      log,
      notices: { changed: () => undefined, notice: () => undefined, onChanged: () => () => undefined },
      saved: { forward: (n) => saved.get(n), saveForward: (f) => void saved.set(f.name, f) },
      links: {
        peerEntries: () => [entry(FB, 'b')],
        openStream: async (_e, service, args) => ({
          stream: await pair.ma.open(service, args),
          path: 'direct',
          remote: '',
        }),
      },
      services: registryA,
    },
    undefined,
    resumes,
  );
  const listeningB = registerReverseListenService({
    name: 'b',
    log,
    state: stateB,
    services: registryB,
    links: {
      peerEntries: () => [entry(FA, 'a')],
      openStream: async (_e, service, args) => ({
        stream: await pair.mb.open(service, args),
        path: 'direct',
        remote: '',
      }),
      activePath: () => ({ mux: pair.mb, path: 'direct', link: { remote: '127.0.0.1:1' } }) as never,
    },
    resumeMs: 5_000,
  });
  const revoke = () => {
    const before = aOnB;
    aOnB = { ...aOnB, allow: [] };
    for (const s of subscribers) s({ kind: 'peer', id: FA, before, after: aOnB });
  };
  return {
    reverse,
    pair,
    relink,
    saved,
    revoke,
    connections,
    resumes,
    stop: async () => {
      reverse.stop();
      await listeningB.stop();
      for (const p of pairs) p.close();
    },
  };
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
  assert.ok(saved.has('rev'), "saved.has('rev')");
  assert.equal(await exchange(port, 'ping'), 'ping');
  const info = reverse.info(record, 'b');
  assert.equal(info.state, 'listening');
  assert.equal(info.connections, 1);
  assert.equal(info.bytesIn, 4);
  assert.equal(info.bytesOut, 4);

  revoke();
  await until("B's port free once listen is taken away", () => portFree(port));
  await until('A to hear the forward ended', () => reverse.info(record, 'b').state !== 'listening');
  const after = reverse.info(record, 'b');
  assert.equal(after.state, 'error');
  await stop();
});

test('a reverse connection survives its link dying mid-download, byte-exact on the next link', async () => {
  const { reverse, relink, resumes, stop } = setup();
  const body = randomBytes(6 * 1024 * 1024);
  const file = createServer((s) => s.end(body));
  await new Promise<void>((r) => file.listen(0, '127.0.0.1', r));
  const port = await freePort();
  await reverse.add({
    name: 'rev',
    kind: 'tcp',
    direction: 'reverse',
    listen: `127.0.0.1:${port}`,
    via: 'b',
    viaFingerprint: FB,
    remote: `127.0.0.1:${(file.address() as AddressInfo).port}`,
    enabled: true,
  });
  const chunks: Buffer[] = [];
  let got = 0;
  const client = connect(port, '127.0.0.1');
  const cut = new Promise<void>((resolve) =>
    client.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= 1024 * 1024) resolve();
    }),
  );
  const ended = new Promise<string>((resolve) => {
    client.once('end', () => resolve('end'));
    client.once('error', (err) => resolve(`error: ${err.message}`));
  });
  await cut;
  // The link dies under both ends (B's listener goes with it); the connection carries on on the next.
  relink().a.fail(new ClawError('LINK_CLOSED', 'path died'));
  assert.equal(await ended, 'end', 'the client saw a clean end, not a reset');
  assert.ok(Buffer.concat(chunks).equals(body), 'every byte arrived once, in order');
  client.destroy();
  file.close();
  await until("A to keep the finished half's count only", () => resumes.size === 1);
  assert.equal(resumes.size, 1, "A keeps the finished half's count only");
  await stop();
});

test('a reverse-connect with an id A does not know is refused', async () => {
  const { pair, stop } = setup();
  await assert.rejects(pair.mb.open(REVERSE_CONNECT_SERVICE, { id: 'f'.repeat(16) }), (err: unknown) => {
    assert.ok(isClawError(err, 'STREAM_REJECTED'), "isClawError(err, 'STREAM_REJECTED')");
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

function udpPortFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('reverse UDP: whole datagrams both ways, a flow per client, counted and listed on A', async () => {
  const { reverse, revoke, connections, stop } = setup();
  const echoUdp = await udpEcho();
  const port = await freePort();
  const record: ForwardRecord = {
    name: 'revu',
    kind: 'tcp',
    direction: 'reverse',
    protocol: 'udp',
    udpIdleMs: 5_000,
    listen: `127.0.0.1:${port}`,
    via: 'b',
    viaFingerprint: FB,
    remote: `127.0.0.1:${echoUdp.port}`,
    enabled: true,
  };
  await reverse.add(record);
  const one = await client();
  const two = await client();
  try {
    for (const size of [0, 1, 1200, MAX_UDP_DATAGRAM_BYTES]) {
      const d = Buffer.alloc(size, size & 0xff);
      assert.ok((await roundTrip(one, port, d)).equals(d), `${size} bytes`);
    }
    assert.equal((await roundTrip(two, port, Buffer.from('two'))).toString(), 'two');
    const info = reverse.info(record, 'b');
    assert.equal(info.state, 'listening');
    assert.equal(info.protocol, 'udp');
    assert.equal(info.udpIdleS, 5);
    assert.equal(info.connections, 2, 'one flow per client address');
    assert.equal(info.open, 2);
    assert.equal(info.datagramsIn, 5);
    assert.equal(info.datagramsOut, 5);
    assert.equal(info.dropped, 0);
    const total = 1 + 1200 + MAX_UDP_DATAGRAM_BYTES + 3;
    assert.equal(info.bytesIn, total);
    assert.equal(info.bytesOut, total);
    const listed = connections.list().filter((c) => c.kind === 'reverse-udp');
    assert.equal(listed.length, 2);
    assert.equal(listed[0]!.to, `127.0.0.1:${echoUdp.port}`);
    assert.match(listed[0]!.from, /^b 127\.0\.0\.1:\d+ \(UDP\)$/);
    assert.ok(
      listed[0]!.bytesOut > 0 && listed[0]!.bytesIn === listed[0]!.bytesOut,
      'listed[0]!.bytesOut > 0 && listed[0]!.bytesIn === listed[0]!.bytesOut',
    );

    // `connections close` cuts that one flow only; the other goes on.
    connections.close(listed[0]!.id);
    await until('that flow cut', () => reverse.info(record, 'b').open <= 1);
    assert.equal(reverse.info(record, 'b').open, 1);
    assert.equal(connections.list().filter((c) => c.kind === 'reverse-udp').length, 1);
    assert.equal((await roundTrip(two, port, Buffer.from('still'))).toString(), 'still');

    // Taking `listen` away on B closes its UDP port at once; A's flows end with it.
    revoke();
    await until('the UDP port free again', () => udpPortFree(port));
    assert.ok(await udpPortFree(port), "B's UDP port is free once listen is taken away");
    await until("A's flows ended", () => reverse.info(record, 'b').open === 0);
    assert.equal(reverse.info(record, 'b').open, 0);
    assert.equal(connections.list().filter((c) => c.kind === 'reverse-udp').length, 0);
    assert.equal(reverse.info(record, 'b').state, 'error');
  } finally {
    one.close();
    two.close();
    echoUdp.socket.close();
    await stop();
  }
});

test('reverse UDP: B’s refusal reaches A in one line naming the protocol, and nothing is saved', async () => {
  const { reverse, revoke, saved, stop } = setup();
  revoke();
  const port = await freePort();
  const record: ForwardRecord = {
    name: 'revu',
    kind: 'tcp',
    direction: 'reverse',
    protocol: 'udp',
    listen: `127.0.0.1:${port}`,
    via: 'b',
    viaFingerprint: FB,
    remote: '127.0.0.1:9',
    enabled: true,
  };
  await assert.rejects(
    reverse.add(record),
    /b refused to listen on 127\.0\.0\.1:\d+ \(UDP\): permission denied: .*peers allow a listen/,
  );
  assert.equal(saved.size, 0);
  await stop();
});
