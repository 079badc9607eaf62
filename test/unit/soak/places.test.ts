/**
 * Where a soak puts b's network namespace (soak/topology.ts): the namespaces of runs killed before
 * their cleanup are found by their PID, and a run takes a /30 no interface uses. A leftover from a
 * killed run once held the /30 the next run's PID mapped to, and that run's b never came online.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeSubnetSlot, stalePlaceIds } from '../../../soak/topology.js';

test('the namespaces of soaks whose process is gone are stale; live ones and others are left alone', () => {
  const list = [
    'cbsoak20896 (id: 0)',
    'cbsoak4242',
    'cbsoak77 (id: 3)',
    'cbwg1 (id: 1)',
    'other-ns',
    '',
  ].join('\n');
  const alive = new Set([4242]);
  assert.deepEqual(
    stalePlaceIds(list, (pid) => alive.has(pid)),
    [20896, 77],
  );
  assert.deepEqual(
    stalePlaceIds('', () => false),
    [],
  );
});

test('a run takes the first /30 from its own on whose addresses no interface sits', () => {
  assert.equal(freeSubnetSlot(new Set(), 16), 16);
  // A leftover (or another soak) holds slot 16: the next one is taken, not the same subnet.
  assert.equal(freeSubnetSlot(new Set(['198.18.91.65']), 16), 17);
  assert.equal(freeSubnetSlot(new Set(['198.18.91.66']), 16), 17);
  // Wraps around past the last slot.
  assert.equal(freeSubnetSlot(new Set(['198.18.91.237']), 59), 0);
  const all = new Set(Array.from({ length: 60 }, (_, i) => `198.18.91.${4 * i + 1}`));
  assert.equal(freeSubnetSlot(all, 5), undefined);
});
