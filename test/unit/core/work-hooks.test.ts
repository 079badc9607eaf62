import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  announceWorkThatLasts,
  BurstCounter,
  onEachBurst,
  onWorkThatLasts,
} from '../../../src-main/core/work-hooks.js';
import { fakeClock } from '../../helpers/fake-clock.js';

afterEach(() => {
  onWorkThatLasts(undefined);
  onEachBurst(undefined);
});

/** A counter of a burst of 10 units ended by a pause of 1,000 ms, and how often it announced. */
function counted() {
  const clock = fakeClock(0);
  const counter = new BurstCounter(10, 1_000, clock.now);
  const seen = { announced: 0 };
  onWorkThatLasts(() => seen.announced++);
  return { clock, counter, seen };
}

test('a burst of the threshold announces work that lasts, once', () => {
  const { clock, counter, seen } = counted();
  for (let i = 0; i < 9; i++) {
    counter.add(1);
    clock.advance(100);
  }
  assert.equal(seen.announced, 0, 'nine of ten');
  counter.add(1);
  assert.equal(seen.announced, 1);
  counter.add(50);
  assert.equal(seen.announced, 1, 'the same burst announces once');
});

test('one count of many units is a burst of its own (a batch of messages, a big chunk of bytes)', () => {
  const { counter, seen } = counted();
  counter.add(10);
  assert.equal(seen.announced, 1);
});

test('a trickle with pauses between its units never adds up to a burst', () => {
  const { clock, counter, seen } = counted();
  for (let i = 0; i < 100; i++) {
    counter.add(5);
    clock.advance(1_000);
  }
  assert.equal(seen.announced, 0);
});

test('a pause ends a burst: the next one counts from zero and announces again', () => {
  const { clock, counter, seen } = counted();
  counter.add(10);
  clock.advance(1_000);
  counter.add(9);
  assert.equal(seen.announced, 1, 'the second burst is short of it yet');
  counter.add(1);
  assert.equal(seen.announced, 2);
});

test('with no listener installed (a library user, a test) announcing does nothing', () => {
  onWorkThatLasts(undefined);
  assert.doesNotThrow(() => new BurstCounter(1, 1_000).add(1));
});

test('the burst listener hears every burst, beside the compilers whose listener goes once they are on', () => {
  const heard = { bursts: 0, compilers: 0 };
  onEachBurst(() => heard.bursts++);
  // As runtime/compiler-tiers.ts does: the compilers come on at the first burst and stop listening.
  onWorkThatLasts(() => {
    heard.compilers++;
    onWorkThatLasts(undefined);
  });
  announceWorkThatLasts();
  announceWorkThatLasts();
  assert.deepEqual(heard, { bursts: 2, compilers: 1 });
});
