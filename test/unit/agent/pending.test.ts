import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expirePending,
  MAX_PENDING_PER_SOURCE,
  MAX_PENDING_TOTAL,
  offerPending,
  PENDING_TTL_MS,
  sourceOf,
  uniquePeerName,
} from '../../../src-main/agent/pending.js';
import type { PendingRecord } from '../../../src-main/agent/settings.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');
const req = (n: number, address: string, via: 'code' | 'fingerprint' = 'fingerprint') => ({
  fingerprint: fp(n),
  name: `n${n}`,
  via,
  address,
  addresses: [],
});
const T0 = Date.parse('2026-11-21T00:00:00Z');

function fill(count: number, address: (i: number) => string): PendingRecord[] {
  let list: PendingRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = offerPending(list, req(i, address(i)), T0);
    assert.ok('list' in r, 'refused while filling');
    list = r.list;
  }
  return list;
}

test('source is the IP of host:port, the relay URL otherwise', () => {
  assert.equal(sourceOf('10.0.0.5:4411'), '10.0.0.5');
  assert.equal(sourceOf('[fd00::1]:80'), 'fd00::1');
  assert.equal(sourceOf('ws://relay:7474'), 'ws://relay:7474');
});

test('per-source cap, then a clear refusal; another source still gets in', () => {
  const list = fill(MAX_PENDING_PER_SOURCE, () => '10.0.0.5:1');
  const refused = offerPending(list, req(99, '10.0.0.5:2'), T0);
  assert.ok('refused' in refused);
  assert.match(refused.refused, /too many pending requests from 10\.0\.0\.5/);
  assert.ok('list' in offerPending(list, req(99, '10.0.0.6:2'), T0));
});

test('total cap', () => {
  const list = fill(MAX_PENDING_TOTAL, (i) => `10.0.${i}.1:1`);
  const r = offerPending(list, req(999, '10.9.9.9:1'), T0);
  assert.ok('refused' in r && /too many pending requests on this node/.test(r.refused));
});

test('a repeat refreshes instead of adding; code-verified never downgrades', () => {
  let r = offerPending([], req(1, '10.0.0.1:1', 'code'), T0);
  assert.ok('list' in r && r.added);
  const id = r.record.id;
  r = offerPending(r.list, req(1, '10.0.0.1:9', 'fingerprint'), T0 + 1000);
  assert.ok('list' in r);
  assert.equal(r.added, false);
  assert.equal(r.list.length, 1);
  assert.equal(r.record.id, id);
  assert.equal(r.record.via, 'code');
  assert.equal(r.record.lastSeen, new Date(T0 + 1000).toISOString());
});

test('requests expire 24 h after they were last seen', () => {
  const list = fill(3, (i) => `10.0.${i}.1:1`);
  assert.equal(expirePending(list, T0 + PENDING_TTL_MS - 1).length, 3);
  assert.equal(expirePending(list, T0 + PENDING_TTL_MS).length, 0);
  // Expired entries free their slots.
  const full = fill(MAX_PENDING_TOTAL, (i) => `10.1.${i}.1:1`);
  assert.ok('list' in offerPending(full, req(500, '10.2.0.1:1'), T0 + PENDING_TTL_MS));
});

test('a new peer gets a unique local name', () => {
  const peers = [
    { name: 'office', fingerprint: fp(1) },
    { name: 'office-2', fingerprint: fp(2) },
  ];
  assert.equal(uniquePeerName(peers, 'laptop', fp(3)), 'laptop');
  assert.equal(uniquePeerName(peers, 'office', fp(3)), 'office-3');
  assert.equal(uniquePeerName(peers, 'office', fp(1)), 'office', 'a peer keeps its own name');
});
