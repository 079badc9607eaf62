/** bench/settle.ts: the bench waits for the load its own build left, within a bound. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settle, SETTLE_MAX_MS, type SettleDeps } from '../../../bench/settle.js';

/** A clock that moves only when slept, and a load average that falls by `drop` per 5 s slept. */
function machine(start: number, drop: number): SettleDeps & { slept: number; lines: string[] } {
  let t = 0;
  const m = {
    slept: 0,
    lines: [] as string[],
    cores: 2,
    load: () => Math.max(0, start - drop * (t / 5000)),
    now: () => t,
    sleep: (ms: number) => {
      t += ms;
      m.slept += ms;
      return Promise.resolve();
    },
    log: (line: string) => void m.lines.push(line),
  };
  return m;
}

test('an idle machine starts at once, saying nothing', async () => {
  const m = machine(0.4, 0);
  assert.equal(await settle(m), 0.4);
  assert.equal(m.slept, 0);
  assert.deepEqual(m.lines, []);
});

test('a busy machine is waited for until its load is at most half the cores', async () => {
  const m = machine(1.6, 0.2);
  const load = await settle(m);
  assert.ok(load <= 1, `settled at ${load}`);
  assert.equal(m.slept, 15_000);
  assert.match(m.lines[0]!, /^waiting for the load average \(1\.60\) to fall to 1\.0…$/);
});

test('a machine that stays busy is waited for no longer than the bound', async () => {
  const m = machine(3, 0);
  assert.equal(await settle(m), 3);
  assert.equal(m.slept, SETTLE_MAX_MS);
});
