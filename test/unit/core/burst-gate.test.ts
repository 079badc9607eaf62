/**
 * The gate that turns a flood of alike events into a few and a count (core/burst-gate.ts): the first
 * `perWindow` of a key per window pass, the rest are counted and told once when the window is over
 * (by a timer, without another event), keys are bounded, and a flush tells every count now.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BurstGate, OVERFLOW_KEY } from '../../../src-main/core/burst-gate.js';
import { until } from '../../helpers/wait.js';

function gate(opts: { perWindow: number; windowMs: number; maxKeys?: number }) {
  let now = 0;
  const held: Array<[string, number, string, number]> = [];
  const g = new BurstGate<string>({
    ...opts,
    now: () => now,
    onHeld: (key, count, last, since) => held.push([key, count, last, since]),
  });
  return { g, held, at: (ms: number) => (now = ms) };
}

test('per key, the first perWindow pass; the rest are counted and told when the window is over', () => {
  const { g, held, at } = gate({ perWindow: 2, windowMs: 1000 });
  const passed = ['a1', 'a2', 'a3', 'a4'].map((x) => g.admit('a', x));
  assert.deepEqual(passed, [true, true, false, false]);
  assert.equal(g.admit('b', 'b1'), true, 'another key has its own budget');
  assert.deepEqual(held, [], 'nothing told while the window lasts');
  at(1000);
  assert.equal(g.admit('a', 'a5'), true, 'a new window');
  assert.deepEqual(held, [['a', 2, 'a4', 0]]);
  g.flush();
  assert.deepEqual(held, [['a', 2, 'a4', 0]], 'b held nothing back, a nothing in its new window');
});

test('weights add up: a line that stands for many counts as many', () => {
  const { g, held } = gate({ perWindow: 1, windowMs: 1000 });
  g.admit('k', 'x');
  g.admit('k', 'y', 500);
  g.admit('k', 'z', 20);
  g.flush();
  assert.deepEqual(held, [['k', 520, 'z', 0]]);
});

test('a window that held events back is told by its timer, with no event after it', async () => {
  const held: Array<[string, number]> = [];
  const g = new BurstGate<string>({
    perWindow: 1,
    windowMs: 30,
    onHeld: (key, count) => held.push([key, count]),
  });
  for (let i = 0; i < 100; i++) g.admit('flood', `e${i}`);
  await until('the held count told at the window end', () => held.length > 0 && g.size === 0);
  assert.deepEqual(held, [['flood', 99]]);
  assert.equal(g.size, 0, 'forgotten once told');
});

test('keys are bounded: past maxKeys new keys share the overflow key, ended windows are swept first', () => {
  const { g, held, at } = gate({ perWindow: 1, windowMs: 1000, maxKeys: 3 });
  for (const k of ['a', 'b', 'c']) g.admit(k, k);
  assert.equal(g.admit('d', 'd1'), true, 'the overflow key has a budget of its own');
  assert.equal(g.admit('e', 'e1'), false, 'and shares it');
  assert.equal(g.size, 4);
  g.flush();
  assert.deepEqual(held, [[OVERFLOW_KEY, 1, 'e1', 0]]);
  for (const k of ['a', 'b', 'c']) g.admit(k, k);
  at(1000);
  assert.equal(g.admit('f', 'f1'), true, 'the ended windows made room');
  assert.equal(g.size, 1);
});
