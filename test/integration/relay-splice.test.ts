/**
 * Splices on a real relay (relay/splices.ts, docs/relay-protocol.md §Splices), over ws:// and wss://:
 * two connections that present a token are piped only once both ends of one circuit named it, and
 * nothing else on the relay's port changes (WebSocket and HTTP still answer there). A token comes in a
 * splice line, or as the server name of the TLS client's ClientHello (ADR 0040), whose end then reads
 * into reused slabs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { get as httpsGet } from 'node:https';
import { get as httpGet } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { encodeSpliceLine, spliceServerName } from '../../src-main/protocol/relay-splice.js';
import type { Circuit } from '../../src-main/transport/circuit.js';
import type { Link } from '../../src-main/transport/link.js';
import { isReceivedIntoSlab } from '../../src-main/transport/receive-slabs.js';
import { spliceLink } from '../../src-main/transport/splice-link.js';
import type { RelayClient } from '../../src-main/transport/relay-client.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import type { RelayLimits } from '../../src-main/protocol/relay-limits.js';
import { generateIdentity } from '../../src-main/crypto/identity.js';
import { isClawError } from '../../src-main/core/errors.js';
import { connectedClient, nextIncoming, startTestRelay, within, WAIT_MS } from '../helpers/relay-harness.js';
import { helloNaming } from '../helpers/client-hello.js';
import { testIdentity } from '../helpers/identities.js';
import { until, sleep } from '../helpers/wait.js';

/** How long a test waits to be sure something does NOT happen, in ms. */
const QUIET_MS = 300;

type TestIdentity = Awaited<ReturnType<typeof testIdentity>>;

interface Setup {
  relay: RelayServer;
  a: RelayClient;
  b: RelayClient;
  ida: TestIdentity;
  idb: TestIdentity;
  ca: Circuit;
  cb: Circuit;
  stop(): Promise<void>;
}

async function setup(tls: boolean, limits: Partial<RelayLimits> = {}): Promise<Setup> {
  const relayId = await generateIdentity();
  const relay = await startTestRelay({
    limits,
    ...(tls ? { tls: { certPem: relayId.certPem, keyPem: relayId.keyPem } } : {}),
  });
  const pin = tls ? { pinnedFingerprint: relay.fingerprint! } : {};
  const ida = await testIdentity('splice-a');
  const idb = await testIdentity('splice-b');
  const a = await connectedClient(relay.url, ida, pin);
  const b = await connectedClient(relay.url, idb, pin);
  const incoming = nextIncoming(b);
  const ca = await a.openCircuit(b.nodeId, WAIT_MS);
  const cb = await incoming;
  return {
    relay,
    a,
    b,
    ida,
    idb,
    ca,
    cb,
    async stop() {
      a.stop();
      b.stop();
      await relay.close();
    },
  };
}

/** A TCP connection to the relay's port that has sent the splice line of `token`. */
async function join(
  relay: RelayServer,
  token: Uint8Array,
  opts: { allowHalfOpen?: boolean } = {},
): Promise<Socket & { got: () => string }> {
  const socket = connect({ port: relay.port, host: '127.0.0.1', ...opts });
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => undefined);
  await within('a TCP connection to the relay', new Promise((r) => socket.once('connect', r)));
  socket.write(encodeSpliceLine(token));
  return Object.assign(socket, { got: () => received });
}

/** Two connections for `token` that the relay must not pipe: nothing x sends reaches y. */
async function joinUnpiped(relay: RelayServer, token: Uint8Array): Promise<[Socket, Socket]> {
  const x = await join(relay, token);
  const y = await join(relay, token);
  x.write('should not pass');
  await sleep(QUIET_MS, 'nothing may pass within this window');
  assert.equal(y.got(), '');
  assert.equal(relay.stats().splices, 0);
  return [x, y];
}

const closed = (s: Socket) =>
  within('the relay to close the connection', new Promise((r) => s.once('close', r)));

for (const tls of [false, true]) {
  const scheme = tls ? 'wss' : 'ws';

  test(`${scheme}: both ends of a circuit name a token, and two connections with it are piped both ways`, async () => {
    const s = await setup(tls);
    try {
      const base = s.relay.stats().bytesForwarded;
      const token = randomBytes(32);
      assert.equal(s.ca.offerSplice?.(token), 'server-name');
      assert.equal(s.cb.offerSplice?.(token), 'server-name');
      const x = await join(s.relay, token);
      // Sent right after the line, before the other end is there: it waits in the pipe, not lost.
      x.write('early bytes from x;');
      const y = await join(s.relay, token);
      y.write('hello from y');
      await until('y to reach x', () => x.got() === 'hello from y');
      x.write('hello from x');
      await until('x to reach y', () => y.got() === 'early bytes from x;hello from x');
      assert.equal(s.relay.stats().splices, 1);
      const piped = 'early bytes from x;hello from xhello from y'.length;
      // Counted while the pipe runs (a long transfer shows in /metrics), not only when it ends…
      assert.equal(s.relay.stats().bytesForwarded - base, piped);
      assert.match(
        await s.relay.metricsText(),
        new RegExp(`^clawbridge_relay_bytes_forwarded_total ${base + piped}$`, 'm'),
      );
      x.end();
      await closed(y);
      await until('the splice to end', () => s.relay.stats().splices === 0);
      // …and not twice.
      assert.equal(s.relay.stats().bytesForwarded - base, piped);
    } finally {
      await s.stop();
    }
  });

  test(`${scheme}: one end's FIN ends only its direction; the other end's reply still arrives`, async () => {
    const s = await setup(tls);
    try {
      const token = randomBytes(32);
      assert.equal(s.ca.offerSplice?.(token), 'server-name');
      assert.equal(s.cb.offerSplice?.(token), 'server-name');
      const x = await join(s.relay, token, { allowHalfOpen: true });
      const y = await join(s.relay, token, { allowHalfOpen: true });
      x.end('last words from x');
      await within('x’s FIN to reach y', new Promise((r) => y.once('end', r)));
      assert.equal(y.got(), 'last words from x');
      y.end('a reply after x finished');
      await closed(x);
      assert.equal(x.got(), 'a reply after x finished');
      await until('the splice to end', () => s.relay.stats().splices === 0);
    } finally {
      await s.stop();
    }
  });

  test(`${scheme}: the WebSocket endpoint and /healthz still answer on the same port`, async () => {
    const s = await setup(tls);
    try {
      // setup() itself connected two clients over WebSocket through the sniffing listener.
      const status = await within(
        'GET /healthz',
        new Promise<number>((resolve, reject) => {
          const url = `${tls ? 'https' : 'http'}://127.0.0.1:${s.relay.port}/healthz`;
          const req = tls
            ? httpsGet(url, { rejectUnauthorized: false }, (res) => resolve(res.statusCode ?? 0))
            : httpGet(url, (res) => resolve(res.statusCode ?? 0));
          req.on('error', reject);
        }),
      );
      assert.equal(status, 200);
    } finally {
      await s.stop();
    }
  });

  for (const join of ['server-name', 'line'] as const) {
    test(`${scheme}: the circuit's opener joins by ${join}, the other end by its line; TLS between them carries frames both ways`, async () => {
      const s = await setup(tls);
      try {
        const token = randomBytes(32);
        s.ca.offerSplice?.(token);
        s.cb.offerSplice?.(token);
        const [opener, other] = await Promise.all([
          spliceLink({
            relayUrl: s.relay.url,
            token,
            identity: s.ida,
            peerId: s.idb.fingerprint,
            initiator: true,
            join,
          }),
          spliceLink({
            relayUrl: s.relay.url,
            token,
            identity: s.idb,
            peerId: s.ida.fingerprint,
            initiator: false,
          }),
        ]);
        assert.equal(s.relay.stats().splices, 1);
        // Each within one TLS record and over COPY_BELOW_BYTES, so a slab reader hands them on as read
        // (all but the first: an idle reader's first read goes to its small shared buffer, ADR 0039).
        const bulk = Array.from({ length: 4 }, () => randomBytes(8 * 1024));
        const atOpener = linkFrames(opener, bulk.length);
        const atOther = linkFrames(other, 1);
        for (const frame of bulk) {
          other.send(frame);
          // A frame a tick: each goes in a TLS write, so a record, of its own and is read whole.
          await new Promise((r) => setImmediate(r));
        }
        opener.send(Buffer.from('from the opener'));
        const received = await within('the frames at the opener', atOpener);
        assert.deepEqual(
          received.map((f) => Buffer.from(f)),
          bulk,
        );
        assert.equal(
          Buffer.from((await within('a frame at the other end', atOther))[0]!).toString(),
          'from the opener',
        );
        // Only a TLS client that named the splice by its hello is a plain tls.connect, with `onread`.
        assert.equal(isReceivedIntoSlab(received.at(-1)!), join === 'server-name');
        opener.close('done');
        other.close('done');
      } finally {
        await s.stop();
      }
    });
  }
}

/** The next `count` frames `link` receives. */
function linkFrames(link: Link, count: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  return new Promise((resolve) => {
    const off = link.onFrame((frame) => {
      frames.push(frame);
      if (frames.length < count) return;
      off();
      resolve(frames);
    });
  });
}

test('a line and a named hello sent a byte at a time still join, and the hello reaches the other end whole', async () => {
  const s = await setup(false);
  try {
    const token = randomBytes(32);
    s.ca.offerSplice?.(token);
    s.cb.offerSplice?.(token);
    const hello = helloNaming(spliceServerName(token));
    const trickle = async (bytes: Uint8Array): Promise<Socket & { got: () => Buffer }> => {
      const socket = connect({ port: s.relay.port, host: '127.0.0.1', noDelay: true });
      const chunks: Buffer[] = [];
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('error', () => undefined);
      await within('a TCP connection to the relay', new Promise((r) => socket.once('connect', r)));
      for (const byte of bytes) {
        socket.write(Uint8Array.of(byte));
        await new Promise((r) => setImmediate(r));
      }
      return Object.assign(socket, { got: () => Buffer.concat(chunks) });
    };
    const [named, line] = await Promise.all([trickle(hello), trickle(encodeSpliceLine(token))]);
    await until('the hello to reach the line end', () => line.got().length >= hello.length);
    assert.deepEqual(line.got(), hello);
    line.write('back');
    await until('bytes back to the named end', () => named.got().toString() === 'back');
    named.destroy();
    line.destroy();
  } finally {
    await s.stop();
  }
});

test('a splice named by server name that the relay has no offer for fails with LINK_CLOSED', async () => {
  const s = await setup(true);
  try {
    await assert.rejects(
      spliceLink({
        relayUrl: s.relay.url,
        token: randomBytes(32),
        identity: s.ida,
        peerId: s.idb.fingerprint,
        initiator: true,
        join: 'server-name',
      }),
      (err) => isClawError(err, 'LINK_CLOSED') && /closed before TLS completed|failed/.test(err.message),
    );
  } finally {
    await s.stop();
  }
});

test('wss: a ClientHello naming another server still reaches the relay; one naming an unknown splice is closed', async () => {
  const s = await setup(true);
  try {
    const status = await within(
      'GET /healthz with a server name',
      new Promise<number>((resolve, reject) => {
        const url = `https://127.0.0.1:${s.relay.port}/healthz`;
        httpsGet(url, { rejectUnauthorized: false, servername: 'relay.example.org' }, (res) =>
          resolve(res.statusCode ?? 0),
        ).on('error', reject);
      }),
    );
    assert.equal(status, 200);
    const stranger = tlsConnect({
      host: '127.0.0.1',
      port: s.relay.port,
      servername: spliceServerName(randomBytes(32)),
      rejectUnauthorized: false,
    });
    stranger.on('error', () => undefined);
    await within('the relay to close it', new Promise((r) => stranger.once('close', r)));
    assert.match(
      await s.relay.metricsText(),
      /clawbridge_relay_frames_dropped_total\{reason="splice_unknown_token"\} 1/,
    );
  } finally {
    await s.stop();
  }
});

test('a token only one end named pipes nothing, and goes when that end leaves the relay', async () => {
  const s = await setup(false);
  try {
    const token = randomBytes(32);
    assert.equal(s.ca.offerSplice?.(token), 'server-name');
    const [x, y] = await joinUnpiped(s.relay, token);
    s.a.stop(); // the offering node's connection ends: its offer and both waiting connections go
    await Promise.all([closed(x), closed(y)]);
  } finally {
    await s.stop();
  }
});

test('a token no circuit named is closed at once; a third connection for a piped token too', async () => {
  const s = await setup(false);
  try {
    const stranger = await join(s.relay, randomBytes(32));
    await closed(stranger);
    const token = randomBytes(32);
    s.ca.offerSplice?.(token);
    s.cb.offerSplice?.(token);
    const x = await join(s.relay, token);
    const y = await join(s.relay, token);
    await until('the splice', () => s.relay.stats().splices === 1);
    const third = await join(s.relay, token);
    await closed(third);
    x.write('still piped');
    await until('x to reach y', () => y.got() === 'still piped');
    x.destroy();
    y.destroy();
  } finally {
    await s.stop();
  }
});

test('a node that is not the other end of the circuit cannot agree to its token', async () => {
  const s = await setup(false);
  const c = await connectedClient(s.relay.url, await testIdentity('splice-c'));
  try {
    const incoming = nextIncoming(s.b);
    const cc = await c.openCircuit(s.b.nodeId, WAIT_MS);
    await incoming;
    const token = randomBytes(32);
    assert.equal(s.ca.offerSplice?.(token), 'server-name');
    assert.equal(cc.offerSplice?.(token), 'server-name'); // C repeats A's token on its own circuit to B
    const [x, y] = await joinUnpiped(s.relay, token);
    x.destroy();
    y.destroy();
  } finally {
    c.stop();
    await s.stop();
  }
});

test('a malformed splice line is closed and counted', async () => {
  const s = await setup(false);
  try {
    const socket = connect(s.relay.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await within('connect', new Promise((r) => socket.once('connect', r)));
    socket.write(`CLAWBRIDGE-SPLICE/1 ${'G'.repeat(64)}\n`);
    await closed(socket);
    assert.match(
      await s.relay.metricsText(),
      /clawbridge_relay_frames_rejected_total\{reason="malformed_splice_line"\} 1/,
    );
  } finally {
    await s.stop();
  }
});

test('a node may have circuitsPerNode splices piping at once, even once their circuits are closed', async () => {
  const s = await setup(false, { circuitsPerNode: 2, circuitsPerPair: 2 });
  const pipes: Socket[] = [];
  try {
    let circuit = s.ca;
    let other = s.cb;
    for (let i = 0; i < 3; i++) {
      if (i > 0) {
        const incoming = nextIncoming(s.b);
        circuit = await s.a.openCircuit(s.b.nodeId, WAIT_MS);
        other = await incoming;
      }
      const token = randomBytes(32);
      circuit.offerSplice?.(token);
      other.offerSplice?.(token);
      const x = await join(s.relay, token);
      const y = await join(s.relay, token);
      pipes.push(x, y);
      x.write(`pipe ${i}`);
      if (i < 2) {
        await until(`splice ${i} to pipe`, () => y.got() === `pipe ${i}`);
        circuit.close(); // the pipe goes on without its circuit
      } else {
        await sleep(QUIET_MS, 'nothing may pass within this window');
        assert.equal(y.got(), '', 'a third splice is refused');
      }
    }
    assert.equal(s.relay.stats().splices, 2);
  } finally {
    for (const p of pipes) p.destroy();
    await s.stop();
  }
});

test('splicesPerIp: splice connections from one address beyond it are closed, and the budget comes back', async () => {
  // Throwaway identities are free, so the per-node cap alone let one address hold any number of pipes.
  const s = await setup(false, { splicesPerIp: 3 });
  const sockets: Socket[] = [];
  const agreed = async (): Promise<Uint8Array> => {
    const incoming = nextIncoming(s.b);
    const circuit = await s.a.openCircuit(s.b.nodeId, WAIT_MS);
    const other = await incoming;
    const token = randomBytes(32);
    assert.equal(circuit.offerSplice?.(token), 'server-name');
    assert.equal(other.offerSplice?.(token), 'server-name');
    return token;
  };
  try {
    const first = await agreed();
    const [x1, y1] = [await join(s.relay, first), await join(s.relay, first)];
    sockets.push(x1, y1);
    x1.write('one');
    await until('the first splice to pipe', () => y1.got() === 'one');

    const second = await agreed();
    const x2 = await join(s.relay, second);
    sockets.push(x2);
    const y2 = await join(s.relay, second);
    sockets.push(y2);
    await closed(y2); // the fourth splice connection from 127.0.0.1
    assert.match(await s.relay.metricsText(), /auth_failures_total\{reason="too_many_splices"\} 1/);
    assert.equal(s.relay.stats().splices, 1);
    assert.equal(s.relay.stats().connections, 2, 'the nodes themselves stay connected');

    x1.destroy();
    await until('the first splice to end', () => s.relay.stats().splices === 0);
    const y3 = await join(s.relay, second);
    sockets.push(y3);
    x2.write('two');
    await until('the freed budget to take a splice again', () => y3.got() === 'two');
  } finally {
    for (const socket of sockets) socket.destroy();
    await s.stop();
  }
});
