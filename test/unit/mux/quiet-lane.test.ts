/**
 * A link's quiet lane (src-main/mux/quiet-lane.ts, ADR 0042) on a real mux pair: terminals opened once
 * the lane is up travel on it and only on it, a key there does not wait behind the main connection's
 * queue, frames on the wrong connection close the link, and a lane that dies takes the link with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mux, type MuxStream } from '../../../src-main/mux/mux.js';
import { LANE_STREAM_BIT } from '../../../src-main/mux/stream-ids.js';
import { decodeFrame, encodeFrame, FrameType } from '../../../src-main/protocol/mux-frames.js';
import { createLinkPair, type LinkPairOptions } from '../../helpers/link-pair.js';
import { closeOf, muxPair, settle } from './mux-fixtures.js';
import { until, sleep } from '../../helpers/wait.js';

/** Waits for `promise` at most 5 s (the link pair's timers do not keep the process alive). */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within 5 s`)), 5_000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Streams end with the link's error when a test closes it; that error is not what these tests check. */
function quietErrors(streams: MuxStream[]): void {
  const push = streams.push.bind(streams);
  streams.push = (...added: MuxStream[]) => {
    for (const s of added) s.on('error', () => undefined);
    return push(...added);
  };
}

/** A mux pair whose main link and lane have their own options; records the stream IDs each carried. */
function lanedPair(main: LinkPairOptions = {}, laneLink: LinkPairOptions = {}, timing = {}) {
  const pair = muxPair({ link: main, a: timing, b: timing });
  quietErrors(pair.accepted);
  const lane = createLinkPair(laneLink);
  const seen = { main: new Set<number>(), lane: new Set<number>() };
  pair.b.onFrame((bytes) => seen.main.add(decodeFrame(bytes).streamId));
  lane.b.onFrame((bytes) => seen.lane.add(decodeFrame(bytes).streamId));
  pair.ma.addLane(lane.a);
  pair.mb.addLane(lane.b);
  return { ...pair, lane, seen };
}

test('a terminal opened once the lane is up travels on the lane, a forward on the main connection', async () => {
  const p = lanedPair();
  try {
    const terminal = (await p.ma.open('terminal', {})).on('error', () => undefined);
    const forward = (await p.ma.open('tcp-connect', {})).on('error', () => undefined);
    terminal.write('ls\n');
    forward.write('GET /');
    const [termPeer, forwardPeer] = p.accepted as [MuxStream, MuxStream];
    const got = await new Promise<string>((resolve) =>
      termPeer.once('data', (c: Buffer) => resolve(String(c))),
    );
    assert.equal(got, 'ls\n');
    await new Promise((resolve) => forwardPeer.once('data', resolve));
    assert.ok(terminal.id >= LANE_STREAM_BIT, `terminal got ID ${terminal.id}`);
    assert.ok(forward.id < LANE_STREAM_BIT, `forward got ID ${forward.id}`);
    assert.deepEqual(
      [...p.seen.lane].filter((id) => id !== 0),
      [terminal.id],
    );
    assert.ok(!p.seen.main.has(terminal.id), 'a terminal frame went over the main connection');
    assert.ok(p.seen.main.has(forward.id), 'p.seen.main.has(forward.id)');
    assert.equal(p.ma.hasQuietLane, true);
  } finally {
    p.close();
  }
});

test('a key on a lane terminal arrives before bulk bytes the main connection took earlier', async () => {
  // The main connection holds what it is given for 200 ms, as a congestion window cut to four packets
  // holds a kernel's send buffer; the lane is an idle connection of its own.
  const p = lanedPair({ latencyMs: 200, highWaterMark: 64 * 1024 * 1024 });
  try {
    const bulk = (await p.ma.open('tcp-connect', {})).on('error', () => undefined);
    const terminal = (await p.ma.open('terminal', {})).on('error', () => undefined);
    const [bulkPeer, termPeer] = p.accepted as [MuxStream, MuxStream];
    let bulkReceived = 0;
    bulkPeer.on('data', (c: Buffer) => (bulkReceived += c.length));
    bulk.write(Buffer.alloc(128 * 1024));
    await settle(2);
    const bulkBeforeKey = new Promise<number>((resolve) =>
      termPeer.once('data', () => resolve(bulkReceived)),
    );
    terminal.write('x');
    assert.equal(await bulkBeforeKey, 0);
    await until('the bulk bytes', () => bulkReceived === 128 * 1024);
  } finally {
    p.close();
  }
});

test('without a lane a terminal stays on the main connection, in its ID space', async () => {
  const pair = muxPair();
  quietErrors(pair.accepted);
  try {
    const terminal = (await pair.ma.open('terminal', {})).on('error', () => undefined);
    assert.ok(terminal.id < LANE_STREAM_BIT, 'terminal.id < LANE_STREAM_BIT');
    assert.equal(pair.ma.hasQuietLane, false);
  } finally {
    pair.close();
  }
});

test("a frame of a lane stream on the main connection closes the link, and a main stream's on the lane", async () => {
  for (const onLane of [false, true]) {
    const p = lanedPair();
    const closed = closeOf(p.mb);
    const id = onLane ? 1 : LANE_STREAM_BIT + 1;
    (onLane ? p.lane.a : p.a).send(
      encodeFrame({ type: FrameType.Open, streamId: id, service: 'x', args: null }),
    );
    const { error } = await closed;
    const expected = onLane
      ? /arrived on the quiet lane, but its ID is the main/
      : /arrived on the main connection, but its ID is the quiet lane/;
    assert.match(String(error?.message), expected);
    p.close();
  }
});

test('OPENs of the two spaces may cross: each space only has to rise', async () => {
  const { a, b } = createLinkPair();
  const lane = createLinkPair();
  const opened: number[] = [];
  const mux = new Mux(b, {
    onStream: (req) => opened.push(req.accept().on('error', () => undefined).id),
  });
  mux.addLane(lane.b);
  const open = (streamId: number) =>
    encodeFrame({ type: FrameType.Open, streamId, service: 'x', args: null });
  lane.a.send(open(LANE_STREAM_BIT + 3));
  a.send(open(1));
  a.send(open(5));
  lane.a.send(open(LANE_STREAM_BIT + 5));
  await until('four streams', () => opened.length === 4);
  assert.equal(mux.closed, false);
  const closed = closeOf(mux);
  lane.a.send(open(LANE_STREAM_BIT + 5));
  assert.match(String((await closed).error?.message), /not above the last one/);
});

test('a lane that goes silent fails the link, though the main connection is fine', async () => {
  const p = lanedPair({}, {}, { heartbeatMs: 20, deadAfterMs: 150 });
  try {
    const closed = closeOf(p.ma);
    p.lane.a.blackhole();
    const { error } = await closed;
    assert.match(String(error?.message), /the quiet lane to .*: heartbeat timeout/);
  } finally {
    p.close();
  }
});

test('a busy terminal on the lane does not hide a dead main connection', async () => {
  const p = lanedPair({}, {}, { heartbeatMs: 20, deadAfterMs: 200 });
  const closed = closeOf(p.ma);
  const terminal = (await p.ma.open('terminal', {})).on('error', () => undefined);
  const peer = p.accepted[0]!;
  peer.on('data', (c: Buffer) => peer.write(c)); // echo
  terminal.resume();
  p.a.blackhole();
  const typing = setInterval(() => terminal.write('x'), 5);
  try {
    const { error } = await closed;
    assert.match(String(error?.message), /^heartbeat timeout/);
  } finally {
    clearInterval(typing);
    p.close();
  }
});

test('a key sent into a dead lane is found within an RTO, though the main connection answers', async () => {
  const p = lanedPair({}, {}, { heartbeatMs: 20, deadAfterMs: 60_000, rtoFloorMs: 100, rtoCapMs: 150 });
  const closed = closeOf(p.ma);
  const terminal = (await p.ma.open('terminal', {})).on('error', () => undefined);
  p.lane.a.blackhole();
  terminal.write('x');
  const { error } = await closed;
  assert.match(
    String(error?.message),
    /the quiet lane to .*: no reply from peer for .* while data was outstanding/,
  );
  p.close();
});

test("a terminal's last output reaches the other side when the peer closes the link right after it", async () => {
  // The lane is slower than the main connection here, so the main connection's GOAWAY comes first.
  const p = lanedPair({}, { latencyMs: 30 });
  const terminal = (await p.ma.open('terminal', {})).on('error', () => undefined);
  const peer = p.accepted[0]!;
  const got: Buffer[] = [];
  terminal.on('data', (c: Buffer) => got.push(c));
  const closed = within(closeOf(p.ma), 'the link to close');
  // Closed once the FIN is on the lane, as an agent hangs up a peer's terminals before its links.
  peer.end('logout\r\n', () => p.mb.close('the owner removed this peer'));
  assert.match(String((await closed).error?.message), /the owner removed this peer/);
  // Without waiting for the lane, the link closed at the GOAWAY and these bytes never came.
  assert.equal(Buffer.concat(got).toString(), 'logout\r\n');
});

test('a terminal opened while the lane is ending goes on the main connection', async () => {
  const p = lanedPair();
  quietErrors(p.accepted);
  try {
    p.lane.b.close('going');
    await until('the lane to end', () => p.lane.a.closed);
    const terminal = (await p.ma.open('terminal', {})).on('error', () => undefined);
    assert.ok(terminal.id < LANE_STREAM_BIT, `terminal got ID ${terminal.id}`);
  } finally {
    p.close();
  }
});

test('a lane that keeps answering keeps an otherwise idle link up', async () => {
  const p = lanedPair({}, {}, { heartbeatMs: 20, deadAfterMs: 150 });
  try {
    await sleep(400, 'well past the dead-after: the answering lane must keep the link up');
    assert.equal(p.ma.closed, false);
    assert.equal(p.mb.closed, false);
  } finally {
    p.close();
  }
});

test("a peer closing the link is reported with its GOAWAY's reason, not as its lane closing", async () => {
  const p = lanedPair({ latencyMs: 20 });
  const closed = closeOf(p.ma);
  p.mb.close('the owner removed this peer');
  assert.match(String((await closed).error?.message), /the owner removed this peer/);
  assert.equal(p.lane.a.closed, true);
});

test('a lane that breaks alone fails the link after its grace', async () => {
  const p = lanedPair();
  const closed = closeOf(p.ma);
  p.lane.a.fail(new Error('connection reset'));
  assert.match(String((await closed).error?.message), /quiet lane to .* failed: connection reset/);
  p.close();
});

test('a lane to another peer, or a second one, is refused and closed', () => {
  const p = lanedPair();
  try {
    const other = createLinkPair();
    assert.throws(() => p.ma.addLane(other.a), /already/);
    assert.equal(other.a.closed, true);
    const stranger = createLinkPair().b; // its peer is a…a, not b…b
    const fresh = muxPair();
    assert.throws(() => fresh.ma.addLane(stranger), /same peer/);
    assert.equal(stranger.closed, true);
    fresh.close();
  } finally {
    p.close();
  }
});
