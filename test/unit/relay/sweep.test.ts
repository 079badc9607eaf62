/**
 * The relay's sweep (relay/sweep.ts) on a fake clock: the auth deadline, the idle and slow-consumer
 * deadlines, and the heartbeat — a live node is never pinged, a quiet one is, a silent one is cut.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { DEFAULT_RELAY_LIMITS } from '../../../src-main/protocol/relay-limits.js';
import type { RelayCloseCodeName } from '../../../src-main/protocol/relay-close-codes.js';
import { RelayConn } from '../../../src-main/relay/connection.js';
import { RelayMetrics } from '../../../src-main/relay/metrics.js';
import { PING_AFTER_SILENT_INTERVALS, RelaySweep, sweepPeriods } from '../../../src-main/relay/sweep.js';
import { fakeClock } from '../../helpers/fake-clock.js';

const limits = DEFAULT_RELAY_LIMITS;

/** A WebSocket that counts the pings and terminations the sweep asks of it. */
function fakeSocket() {
  const seen = { pings: 0, terminated: false };
  const ws = {
    OPEN: 1,
    readyState: 1,
    ping: () => void seen.pings++,
    terminate: () => void (seen.terminated = true),
    close: () => undefined,
  } as unknown as WebSocket;
  return { ws, seen };
}

/** A sweep over its own set of connections on a fake clock, with what it dropped and why. */
function sweeper(l = limits) {
  const clock = fakeClock(1_000_000);
  const conns = new Set<RelayConn>();
  const dropped = new Map<RelayConn, RelayCloseCodeName>();
  const metrics = new RelayMetrics({
    connections: () => conns.size,
    nodes: () => 0,
    circuits: () => 0,
    splices: () => 0,
    countPiped: () => undefined,
    nodeCapacity: () => 0,
    openFds: () => 0,
  });
  let upkeeps = 0;
  const sweep = new RelaySweep({
    limits: l,
    conns,
    metrics,
    now: clock.now,
    drop: (conn, code) => {
      dropped.set(conn, code);
      conn.phase = 'closed';
    },
    upkeep: () => void upkeeps++,
  });
  const { sweepMs } = sweepPeriods(l);
  /** A connection opened now, still authenticating unless `ready`. */
  const connect = (ready: boolean) => {
    const { ws, seen } = fakeSocket();
    const conn = new RelayConn(ws, '127.0.0.1', clock.now(), () => undefined);
    conns.add(conn);
    if (ready) conn.phase = 'ready';
    else sweep.watch(conn);
    return { conn, seen };
  };
  /** Lets `ms` pass, the timer ticking every sweepMs as it would; `each` runs before every tick. */
  const pass = (ms: number, each: () => void = () => undefined) => {
    for (let t = 0; t < ms; t += sweepMs) {
      clock.advance(sweepMs);
      each();
      sweep.tick();
    }
  };
  return { sweep, clock, dropped, connect, pass, upkeeps: () => upkeeps };
}

test('sweepPeriods: ticks at most every second, and passes over every connection a few times per ping interval', () => {
  const { sweepMs, passEveryMs } = sweepPeriods(limits);
  assert.equal(sweepMs, 1_000, 'the auth deadline is checked every second');
  assert.ok(
    passEveryMs >= 4_000 && passEveryMs <= 5_000,
    `a pass every ~5 s of a 15 s ping, got ${passEveryMs}`,
  );
  const fast = sweepPeriods({ ...limits, authTimeoutMs: 100, pingIntervalMs: 300 });
  assert.ok(fast.sweepMs <= 25, `a short auth deadline ticks faster, got ${fast.sweepMs}`);
});

test('a connection that does not authenticate within authTimeoutMs is dropped with AUTH_TIMEOUT; one that did is not', () => {
  const s = sweeper();
  const slow = s.connect(false);
  const done = s.connect(false);
  s.pass(1_000);
  done.conn.phase = 'ready';
  done.conn.lastActive = done.conn.lastHeard = s.clock.now();
  s.sweep.forget(done.conn);
  s.pass(limits.authTimeoutMs - 2_000);
  assert.equal(s.dropped.get(slow.conn), undefined, 'not before its deadline');
  s.pass(2_000);
  assert.equal(s.dropped.get(slow.conn), 'AUTH_TIMEOUT', 'dropped at its deadline');
  assert.equal(s.dropped.get(done.conn), undefined, 'the authenticated one stays');
  assert.ok(s.upkeeps() > 0, "each tick runs the relay's upkeep");
});

test('a ready connection silent for idleTimeoutMs is dropped with IDLE_TIMEOUT, unless its reading is paused', () => {
  const s = sweeper();
  const idle = s.connect(true);
  const paused = s.connect(true);
  paused.conn.pausedBy = 1;
  // Its pongs keep it heard (no heartbeat cut), but only frames and its own pings count as activity.
  s.pass(limits.idleTimeoutMs + 5_000, () => (idle.conn.lastHeard = s.clock.now()));
  assert.equal(s.dropped.get(idle.conn), 'IDLE_TIMEOUT', 'the idle one is dropped');
  assert.equal(
    s.dropped.get(paused.conn),
    undefined,
    'a paused one waits for the slow-consumer deadline instead',
  );
});

test('a connection pressured for slowConsumerTimeoutMs is dropped with SLOW_CONSUMER', () => {
  const s = sweeper();
  const slow = s.connect(true);
  slow.conn.pressuredSince = s.clock.now();
  s.pass(
    limits.slowConsumerTimeoutMs + 5_000,
    () => (slow.conn.lastActive = slow.conn.lastHeard = s.clock.now()),
  );
  assert.equal(s.dropped.get(slow.conn), 'SLOW_CONSUMER', 'dropped once its deadline passed');
});

test('heartbeat: a node heard from is never pinged; a quiet one is pinged; a silent one is terminated', () => {
  const s = sweeper({ ...limits, idleTimeoutMs: 3_600_000 });
  const live = s.connect(true);
  const quiet = s.connect(true);
  const interval = limits.idlePingIntervalMs;
  // `live` pings every interval itself; `quiet` answers the relay's pings only.
  let lastOwnPing = s.clock.now();
  const each = () => {
    if (s.clock.now() - lastOwnPing >= interval) {
      lastOwnPing = s.clock.now();
      live.conn.lastActive = live.conn.lastHeard = lastOwnPing;
    }
  };
  s.pass(interval * PING_AFTER_SILENT_INTERVALS + 10_000, each);
  assert.equal(live.seen.pings, 0, 'a live node is never pinged by the relay');
  assert.ok(quiet.seen.pings >= 1, 'a node quiet past 1.2 intervals is pinged');
  assert.equal(quiet.seen.terminated, false, 'not cut while within its missed pongs');
  s.pass(interval * (limits.maxMissedPongs + 1), each);
  assert.equal(quiet.seen.terminated, true, 'cut after (maxMissedPongs + 1) silent intervals');
  assert.equal(live.seen.terminated, false, 'the live one stays');
});
