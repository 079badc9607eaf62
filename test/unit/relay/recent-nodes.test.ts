/** The relay's memory of recently authenticated node IDs: bounded in time and in count. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RECENT_NODES, RECENT_NODE_TTL_MS, RecentNodes } from '../../../src-main/relay/recent-nodes.js';
import { fakeClock } from '../../helpers/fake-clock.js';

test('defaults: a day, at most 100 000 entries', () => {
  assert.equal(RECENT_NODE_TTL_MS, 24 * 60 * 60 * 1000);
  assert.equal(MAX_RECENT_NODES, 100_000);
});

test('a node ID is remembered for the TTL after its last authentication', () => {
  const clock = fakeClock(1_000_000);
  const recent = new RecentNodes(clock.now, 1_000, 10);
  recent.add('a');
  assert.equal(recent.has('a'), true);
  assert.equal(recent.has('b'), false);
  clock.advance(600);
  recent.add('a'); // authenticated again: the clock restarts
  clock.advance(600);
  assert.equal(recent.has('a'), true);
  clock.advance(400);
  assert.equal(recent.has('a'), false);
  assert.equal(recent.size, 0, 'an expired entry is forgotten when looked up');
});

test('expired entries go when new ones arrive, without any lookup', () => {
  const clock = fakeClock(1_000_000);
  const recent = new RecentNodes(clock.now, 1_000, 10);
  for (const id of ['a', 'b', 'c']) recent.add(id);
  clock.advance(1_000);
  recent.add('d');
  assert.equal(recent.size, 1);
});

test('over the cap, the least recently seen ID goes first', () => {
  const clock = fakeClock(1_000_000);
  const recent = new RecentNodes(clock.now, 1_000_000, 3);
  for (const id of ['a', 'b', 'c']) {
    recent.add(id);
    clock.advance(1);
  }
  recent.add('a'); // seen again: now the youngest
  recent.add('d');
  assert.equal(recent.size, 3);
  assert.equal(recent.has('b'), false, 'b was the least recently seen');
  for (const id of ['a', 'c', 'd']) assert.equal(recent.has(id), true, id);
});
