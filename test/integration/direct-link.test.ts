import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../src-main/core/errors.js';
import { createHash, randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { Mux, type MuxStream } from '../../src-main/mux/mux.js';
import { dialDirect } from '../../src-main/transport/direct.js';
import { newLaneToken } from '../../src-main/transport/lane-token.js';
import { MAX_LINK_FRAME } from '../../src-main/transport/link.js';
import { SOCKET_LINK_HIGH_WATER_BYTES } from '../../src-main/transport/socket-link.js';
import { directListener } from '../helpers/direct-listener.js';
import { testIdentity } from '../helpers/identities.js';
import { readAll, sendReusingOneBuffer } from '../helpers/stream-bytes.js';
import { until } from '../helpers/wait.js';

const setup = directListener;

test('pinned TLS 1.3 both ways: frames flow in order, peer ids are the fingerprints', async () => {
  const { a, b, listener, accepted, address } = await setup();
  const link = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint });
  assert.equal(link.peerId, b.fingerprint);
  assert.equal(link.path, 'direct');
  assert.equal(link.initiator, true);
  await until('the listener to have the link', () => accepted.length === 1);
  const server = accepted[0]!;
  assert.equal(server.peerId, a.fingerprint);
  const got: string[] = [];
  const done = new Promise<void>((resolve) =>
    server.onFrame((f) => {
      got.push(Buffer.from(f).toString());
      if (got.length === 100) resolve();
    }),
  );
  for (let i = 0; i < 100; i++) link.send(Buffer.from(`frame ${i}`));
  await done;
  assert.deepEqual(
    got,
    Array.from({ length: 100 }, (_, i) => `frame ${i}`),
  );
  const closed = new Promise<Error | undefined>((r) => server.onClose(r));
  link.close();
  assert.match(String((await closed)?.message), /closed by peer/);
  await listener.close();
});

test('each dialing identity presents its own certificate, redial after redial (contexts are per identity)', async () => {
  const { a, b, listener, accepted, refused, address } = await setup();
  const c = await testIdentity('c');
  for (const who of [a, c, a, c]) {
    const link = await dialDirect({ identity: who, address, expectedPeer: b.fingerprint }).catch(
      (err: unknown) => err as Error,
    );
    if (who === a) assert.ok(!(link instanceof Error), 'a is admitted');
    else assert.ok(link instanceof Error, 'c is refused: it is not a peer');
    if (!(link instanceof Error)) link.close();
  }
  await until('the listener to have both links of a', () => accepted.length >= 2);
  assert.deepEqual(
    accepted.map((l) => l.peerId),
    [a.fingerprint, a.fingerprint],
  );
  assert.deepEqual(refused, [c.fingerprint, c.fingerprint]);
  await listener.close();
});

test('a wrong pinned fingerprint is refused with tls fingerprint mismatch', async () => {
  const { a, listener, address } = await setup();
  const c = await testIdentity('c');
  await assert.rejects(dialDirect({ identity: a, address, expectedPeer: c.fingerprint }), (err: Error) => {
    assert.match(
      err.message,
      /^tls fingerprint mismatch: expected [0-9a-f]{4}…[0-9a-f]{4}, got [0-9a-f]{4}…[0-9a-f]{4}/,
    );
    return true;
  });
  await listener.close();
});

test("an unknown node is refused with the listener's reason, and the listener keeps serving", async () => {
  const { a, b, listener, refused, address } = await setup(false);
  await assert.rejects(
    dialDirect({ identity: a, address, expectedPeer: b.fingerprint }),
    (err: unknown) =>
      isClawError(err, 'UNKNOWN_PEER') &&
      err.refusal === 'REMOVED' &&
      /refused the link: node [0-9a-f]{8} is not a peer/.test(err.message),
  );
  assert.deepEqual(refused, [a.fingerprint]);
  await listener.close();
});

test('a dial to a closed port fails with a clear line', async () => {
  const a = await testIdentity('a');
  const b = await testIdentity('b');
  await assert.rejects(
    dialDirect({ identity: a, address: '127.0.0.1:1', expectedPeer: b.fingerprint }),
    /direct connection to 127.0.0.1:1 failed/,
  );
});

test('frames sent in one tick leave together: large and small intact, in order; backpressure and drain', async () => {
  const { a, b, listener, accepted, address } = await setup();
  const link = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint });
  await until('the listener to have the link', () => accepted.length === 1);
  const server = accepted[0]!;
  const sizes = [1, MAX_LINK_FRAME, 0, 40_000, 5, MAX_LINK_FRAME, 3];
  const frames = sizes.map((n, i) => Buffer.alloc(n, i + 1));
  const got: Buffer[] = [];
  const done = new Promise<void>((resolve) =>
    server.onFrame((f) => {
      got.push(Buffer.from(f));
      if (got.length === frames.length) resolve();
    }),
  );
  const verdicts = frames.map((f) => link.send(f));
  // Above SOCKET_LINK_HIGH_WATER_BYTES queued in this tick send() says stop; drain follows.
  assert.deepEqual(verdicts.slice(0, 2), [true, true]);
  assert.equal(verdicts.at(-1), false);
  const drained = new Promise<void>((resolve) => link.onDrain(resolve));
  await Promise.all([done, drained]);
  assert.deepEqual(
    got.map((f) => f.length),
    sizes,
  );
  for (const [i, f] of got.entries())
    assert.ok(
      f.every((byte) => byte === i + 1),
      `frame ${i} intact`,
    );
  assert.ok(
    frames.reduce((n, f) => n + f.length, 0) > SOCKET_LINK_HIGH_WATER_BYTES,
    'frames.reduce((n, f) => n + f.length, 0) > SOCKET_LINK_HIGH_WATER_BYTES',
  );
  link.close();
  await listener.close();
});

test('the frames of one tick reach the TLS socket as one buffer, not a writev of several', async () => {
  // Node's TLS socket turns a writev of several buffers into one zero-filled allocation and a second
  // copy of every byte; SocketLink copies a tick's frames into one batch buffer instead (BATCH_BYTES).
  const { a, b, listener, accepted, address } = await setup();
  const link = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint });
  await until('the listener to have the link', () => accepted.length === 1);
  const server = accepted[0]!;
  const writes: number[] = [];
  const proto = Socket.prototype as unknown as {
    _write: (chunk: Buffer, enc: string, cb: () => void) => void;
    _writev: (chunks: { chunk: Buffer }[], cb: () => void) => void;
  };
  const { _write, _writev } = proto;
  proto._write = function (chunk, enc, cb) {
    writes.push(1);
    _write.call(this, chunk, enc, cb);
  };
  proto._writev = function (chunks, cb) {
    writes.push(chunks.length);
    _writev.call(this, chunks, cb);
  };
  try {
    const sizes = [60_000, 7, 60_000, 60_000];
    const got: number[] = [];
    const done = new Promise<void>((resolve) =>
      server.onFrame((f) => {
        got.push(f.length);
        if (got.length === sizes.length) resolve();
      }),
    );
    for (const n of sizes) link.send(Buffer.alloc(n, 1));
    await done;
    assert.deepEqual(got, sizes);
    assert.deepEqual(writes, [1], 'one write of one buffer for the whole tick');
  } finally {
    proto._write = _write;
    proto._writev = _writev;
  }
  link.close();
  await listener.close();
});

test(
  'a mux over the direct link is byte-exact both ways while writers reuse their buffers',
  { timeout: 30_000 },
  async () => {
    // SocketLink copies DATA frames into reused buffers (frame-buffers.ts): neither the writer's reuse
    // nor the link's own reuse may corrupt a frame still queued on the TLS socket.
    const { a, b, listener, accepted, address } = await setup();
    const link = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint });
    await until('the listener to have the link', () => accepted.length === 1);
    let far!: MuxStream;
    const ma = new Mux(link);
    const mb = new Mux(accepted[0]!, { onStream: (req) => (far = req.accept()) });
    const near = await ma.open('echo', {});
    const up = randomBytes(6 * 1024 * 1024 + 5);
    const down = randomBytes(3 * 1024 * 1024 + 1);
    const atFar = readAll(far);
    const atNear = readAll(near);
    await Promise.all([sendReusingOneBuffer(near, up, 64 * 1024), sendReusingOneBuffer(far, down, 50_000)]);
    const sha = (x: Buffer) => createHash('sha256').update(x).digest('hex');
    assert.equal(sha(await atFar), sha(up));
    assert.equal(sha(await atNear), sha(down));
    ma.close();
    mb.close();
    await listener.close();
  },
);

test('a dial that names a quiet lane token reaches the listener as that token; others carry none', async () => {
  const { a, b, listener, accepted, address } = await setup();
  const token = newLaneToken();
  const plain = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint });
  const lane = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint, lane: token });
  await until('the listener to have both links', () => accepted.length === 2);
  assert.deepEqual(
    accepted.map((l) => l.laneToken),
    [undefined, token],
  );
  plain.close();
  lane.close();
  await listener.close();
});
