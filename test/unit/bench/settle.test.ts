/** bench/settle.ts: the bench waits while the CPUs are busy (its own build, anything else), within a bound. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  busyShare,
  settle,
  SETTLE_MAX_MS,
  SETTLE_SAMPLE_MS,
  type SettleDeps,
} from '../../../bench/settle.js';

/**
 * A clock that moves only when slept, and CPUs busy `busyFor(t)` of each second (t: ms since start):
 * the counters advance as two cores would, by 2 × the time slept.
 */
function machine(busyFor: (t: number) => number): SettleDeps & { slept: number; lines: string[] } {
  let t = 0;
  let idle = 0;
  let total = 0;
  const m = {
    slept: 0,
    lines: [] as string[],
    cpuTimes: () => ({ idle, total }),
    now: () => t,
    sleep: (ms: number) => {
      idle += 2 * ms * (1 - busyFor(t));
      total += 2 * ms;
      t += ms;
      m.slept += ms;
      return Promise.resolve();
    },
    log: (line: string) => void m.lines.push(line),
  };
  return m;
}

test('a quiet machine starts after one look, saying nothing', async () => {
  const m = machine(() => 0.03);
  assert.equal(Math.round((await settle(m)) * 100), 3);
  assert.equal(m.slept, SETTLE_SAMPLE_MS);
  assert.deepEqual(m.lines, []);
});

test('a busy machine is waited for until a second of it was quiet, not until a lagging average says so', async () => {
  // Busy for 8 s (a build), then idle: the wait ends within a second of the build, not ~30 s later.
  const m = machine((t) => (t < 8_000 ? 0.95 : 0.02));
  const busy = await settle(m);
  assert.ok(busy <= 0.25, `settled at ${busy}`);
  assert.equal(m.slept, 9_000);
  assert.equal(m.lines.length, 1);
  assert.match(m.lines[0]!, /^waiting for the CPUs to go quiet \(95 % busy; starting at 25 % or less\)…$/);
});

test('a machine that stays busy is waited for no longer than the bound', async () => {
  const m = machine(() => 1);
  assert.equal(await settle(m), 1);
  assert.equal(m.slept, SETTLE_MAX_MS);
});

test('busyShare reads the idle time between two readings, and 0 when no time passed', () => {
  assert.equal(busyShare({ idle: 100, total: 200 }, { idle: 150, total: 400 }), 0.75);
  assert.equal(busyShare({ idle: 100, total: 200 }, { idle: 100, total: 200 }), 0);
  // Counters that do not add up (idle moving more than the total) never give a share outside 0..1.
  assert.equal(busyShare({ idle: 500, total: 1000 }, { idle: 100, total: 1100 }), 1);
  assert.equal(busyShare({ idle: 100, total: 200 }, { idle: 400, total: 300 }), 0);
});
