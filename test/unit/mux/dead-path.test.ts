/**
 * A dead path is noticed in seconds while traffic flows (issue 28 item 2): data or credit outstanding with
 * no frame back for an RTO (1–3 s) closes the link, while an idle link with the same silence waits for
 * its heartbeat timeout, and a live peer that merely stops reading is never mistaken for a dead one.
 * The 3 s design target is asserted with a margin (5 s); measured times are printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../../src-main/core/errors.js';
import { RTO_CAP_MS, RTO_FLOOR_MS } from '../../../src-main/mux/constants.js';
import { Heartbeat } from '../../../src-main/mux/heartbeat.js';
import type { MuxStream } from '../../../src-main/mux/mux.js';
import { closeOf, muxPair } from './mux-fixtures.js';
import { until, sleep } from '../../helpers/wait.js';

/** Heartbeats as on a real link but shorter, so the idle verdict comes within the test's patience. */
const LIVENESS = { heartbeatMs: 1_000, deadAfterMs: 7_000 };
const DEADLINE_MS = 5_000;
/**
 * The far side's own verdicts come much later, so what is measured is the near side's: a MemoryLink's
 * close reaches the other side even through a blackhole, which a real dead path would not carry.
 */
const FAR = { heartbeatMs: 1_000, deadAfterMs: 60_000, rtoFloorMs: 30_000, rtoCapMs: 30_000 };

/** Writes 16 KiB chunks for as long as the stream lives, honouring backpressure. */
function keepWriting(stream: MuxStream): void {
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const more = (): void => {
    while (!stream.destroyed && stream.write(chunk));
    if (!stream.destroyed) stream.once('drain', more);
  };
  stream.on('error', () => undefined);
  more();
}

test('mid-transfer, a dead path closes the link within an RTO; an idle link waits for its heartbeat timeout', async () => {
  const busy = muxPair({ a: LIVENESS, b: FAR });
  const idle = muxPair({ a: LIVENESS, b: FAR });
  // RTT samples first, as a real link has them (PeerLinkSet pings on attach).
  await Promise.all([busy.ma.ping(), idle.ma.ping()]);
  assert.equal(busy.ma.rtoMs, RTO_FLOOR_MS, 'a loopback RTT gives the floor');
  const up = await busy.ma.open('bulk', {});
  const down = busy.accepted[0]!;
  down.on('error', () => undefined);
  down.resume();
  keepWriting(up);
  await until('the transfer to be under way', () => down.bytesIn > 4 * 1024 * 1024);

  const busyClosed = closeOf(busy.ma, 20_000);
  const idleClosed = closeOf(idle.ma, 20_000);
  const cut = performance.now();
  busy.a.blackhole();
  idle.a.blackhole();

  const { error } = await busyClosed;
  const busyMs = performance.now() - cut;
  console.log(`busy link declared dead after ${Math.round(busyMs)} ms (design target ≤ ${RTO_CAP_MS} ms)`);
  assert.ok(isClawError(error, 'LINK_CLOSED'), "isClawError(error, 'LINK_CLOSED')");
  assert.match(error.message, /^no reply from peer for [\d.]+ s while data was outstanding/);
  assert.ok(busyMs <= DEADLINE_MS, `busy link declared dead after ${busyMs} ms`);
  assert.ok(busyMs >= RTO_FLOOR_MS - 50, `not before the RTO floor (${busyMs} ms)`);

  // The idle link saw the same silence for longer than the busy one needed, and more: still up.
  await sleep(
    Math.max(0, DEADLINE_MS - (performance.now() - cut)),
    'the idle link must outlive the deadline the busy one was judged by',
  );
  assert.equal(idle.ma.closed, false, 'an idle link is not judged by the RTO');
  const idleEnd = await idleClosed;
  const idleMs = performance.now() - cut;
  console.log(
    `idle link declared dead after ${Math.round(idleMs)} ms (heartbeat timeout ${LIVENESS.deadAfterMs} ms)`,
  );
  assert.match(String(idleEnd.error?.message), /^heartbeat timeout: no reply from peer for 7 s/);
  // Silence counts from the last frame in (at most a heartbeat before the cut), not from the cut.
  const earliest = LIVENESS.deadAfterMs - LIVENESS.heartbeatMs - 50;
  assert.ok(idleMs >= earliest, `idle link closed after ${idleMs} ms`);
  busy.close();
  idle.close();
});

test('credit sent on a dead path (the receiving side reads on) closes the link within an RTO', async () => {
  const p = muxPair({ a: LIVENESS, b: FAR });
  await p.ma.ping();
  const s = await p.ma.open('download', {});
  s.on('error', () => undefined);
  const sender = p.accepted[0]!;
  sender.on('error', () => undefined);
  // b sends a full window that a does not read yet; then the path dies and a reads: its WINDOW frames
  // (credit) go out and nothing comes back.
  sender.write(Buffer.alloc(256 * 1024));
  await until('the window to arrive', () => s.readableLength >= 200 * 1024);
  await sleep(LIVENESS.heartbeatMs * 2, 'an idle spell: heartbeats answered, nothing outstanding'); // an idle spell: heartbeats answered, nothing outstanding
  const closed = closeOf(p.ma, 20_000);
  p.a.blackhole();
  const cut = performance.now();
  s.resume();
  const { error } = await closed;
  const ms = performance.now() - cut;
  console.log(`receiver returning credit declared the link dead after ${Math.round(ms)} ms`);
  assert.match(String(error?.message), /while data was outstanding/);
  assert.ok(ms <= DEADLINE_MS, `${ms} ms`);
  p.close();
});

test('a wait that starts after a longer RTO was armed is judged by the current RTO', async () => {
  const p = muxPair({ a: LIVENESS, b: FAR });
  // The OPEN goes out before any RTT sample: its wait is armed with the cap (3 s).
  const s = await p.ma.open('terminal', {});
  for (const stream of [s, p.accepted[0]!]) stream.on('error', () => undefined);
  await p.ma.ping();
  assert.equal(p.ma.rtoMs, RTO_FLOOR_MS);
  const closed = closeOf(p.ma);
  p.a.blackhole();
  const cut = performance.now();
  s.write('a keystroke');
  await closed;
  const ms = performance.now() - cut;
  console.log(`a keystroke on a dead path: link declared dead after ${Math.round(ms)} ms`);
  // The floor plus slack for a loaded machine; the stale timer would have waited for the cap.
  assert.ok(ms < RTO_CAP_MS - 500, `${ms} ms`);
  p.close();
});

test('a live peer whose reader stalls mid-transfer is not declared dead: it answers the probe', async () => {
  // Default heartbeats (every 5 s): only the probe PING can show the peer alive within the RTO.
  const p = muxPair();
  await p.ma.ping();
  const up = await p.ma.open('bulk', {});
  keepWriting(up);
  const down = p.accepted[0]!;
  down.on('error', () => undefined);
  down.resume();
  await until('the transfer to be under way', () => down.bytesIn > 1024 * 1024);
  down.pause(); // credit stops coming back; the sender runs out and waits
  await sleep(
    RTO_CAP_MS + 1_500,
    'past the RTO cap with credit withheld: a waiting sender must not judge the link',
  );
  assert.equal(p.ma.closed, false, 'the sender still trusts the link');
  const before = down.bytesIn;
  down.resume();
  await until('the transfer to go on', () => down.bytesIn > before + 1024 * 1024);
  p.close();
});

test('a side receiving DATA that has sent nothing for a while answers with a PING', async () => {
  const pings: bigint[] = [];
  const hb = new Heartbeat({
    intervalMs: 60_000,
    deadAfterMs: 60_000,
    rtoFloorMs: RTO_FLOOR_MS,
    rtoCapMs: RTO_CAP_MS,
    sendPing: (nonce) => pings.push(nonce),
    onRtt: () => undefined,
    onDead: () => assert.fail('not dead'),
  });
  // As the mux reports a DATA frame: any frame first, then that it was DATA.
  const dataFrame = () => {
    hb.received();
    hb.dataReceived();
  };
  hb.sent();
  dataFrame();
  assert.equal(pings.length, 0, 'it just said something: no ping');
  await sleep(300, '300 ms of silence while data arrives');
  dataFrame();
  assert.equal(pings.length, 1, 'silent for 300 ms while data arrives: one ping');
  hb.sent(); // the ping itself went out
  dataFrame();
  assert.equal(pings.length, 1);
  hb.stop(new Error('test over'));
});

test('a wait answered within a quarter of the RTO sends no PING; one that is not sends it then', async () => {
  // Short RTO bounds (no RTT sample: the RTO is the cap) so the test runs in under a second.
  const pings: number[] = [];
  let dead = false;
  const start = performance.now();
  const hb = new Heartbeat({
    intervalMs: 60_000,
    deadAfterMs: 60_000,
    rtoFloorMs: 400,
    rtoCapMs: 400,
    sendPing: () => pings.push(performance.now() - start),
    onRtt: () => undefined,
    onDead: () => (dead = true),
  });
  // A keystroke goes out and its echo comes back 20 ms later: nothing more is said.
  hb.awaitReply();
  await sleep(20, 'the echo comes 20 ms later');
  hb.received();
  await sleep(200, 'nothing may be sent for an answered wait within this window');
  assert.deepEqual(pings, [], 'an answered wait costs no PING');
  // Now a send that nothing answers: the PING goes at a quarter of the 400 ms RTO, the verdict at 400.
  const waitStart = performance.now() - start;
  hb.awaitReply();
  await sleep(60, 'not before a quarter of the RTO');
  assert.deepEqual(pings, [], 'not before a quarter of the RTO');
  await until('the probe PING', () => pings.length === 1);
  assert.ok(pings[0]! - waitStart >= 95, `probe ${Math.round(pings[0]! - waitStart)} ms into the wait`);
  await until('the dead verdict after the RTO', () => dead);
  assert.equal(pings.length, 1, 'one PING per wait');
  hb.stop(new Error('test over'));
});

test('one DATA frame after a quiet spell is not answered with a PING; DATA arriving for a while is', async () => {
  const pings: bigint[] = [];
  const hb = new Heartbeat({
    intervalMs: 60_000,
    deadAfterMs: 60_000,
    rtoFloorMs: RTO_FLOOR_MS,
    rtoCapMs: RTO_CAP_MS,
    sendPing: (nonce) => pings.push(nonce),
    onRtt: () => undefined,
    onDead: () => assert.fail('not dead'),
  });
  const dataFrame = () => {
    hb.received();
    hb.dataReceived();
  };
  hb.sent();
  await sleep(300, '300 ms of silence both ways');
  dataFrame(); // a keystroke after 300 ms of silence both ways
  assert.equal(pings.length, 0, 'a lone frame after a quiet spell: no ping ahead of what it causes');
  hb.sent(); // its echo went back
  await sleep(300, '300 ms more with data arriving');
  dataFrame();
  assert.equal(pings.length, 0);
  await sleep(300, '300 ms more with data arriving');
  dataFrame(); // DATA for 300 ms with nothing said: now the sender needs to hear it arrives
  assert.equal(pings.length, 1);
  hb.stop(new Error('test over'));
});

test('a ping sent into an idle link whose path died finds it dead within an RTO, not the idle timeout', async () => {
  const p = muxPair({ a: LIVENESS, b: FAR });
  await p.ma.ping();
  await sleep(LIVENESS.heartbeatMs * 2, 'an idle spell: heartbeats answered, nothing outstanding');
  const closed = closeOf(p.ma, 20_000);
  p.a.blackhole();
  const cut = performance.now();
  // What `clawbridge ping` does: the first thing sent into the dead path, with a long timeout.
  const pinged = p.ma.ping(30_000).catch((err: unknown) => err);
  const { error } = await closed;
  const ms = performance.now() - cut;
  assert.match(String(error?.message), /while data was outstanding/);
  assert.ok(ms <= DEADLINE_MS, `declared dead after ${ms} ms (idle timeout ${LIVENESS.deadAfterMs} ms)`);
  assert.ok(isClawError(await pinged, 'LINK_CLOSED'), 'the ping fails with the link');
  p.close();
});
