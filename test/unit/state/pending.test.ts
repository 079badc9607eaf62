import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expirePending,
  latestVerified,
  MAX_PENDING_CODE,
  MAX_PENDING_FINGERPRINT,
  MAX_PENDING_PER_SOURCE,
  offerPending,
  pendingDisplayNames,
  PENDING_TTL_MS,
  sourceOf,
} from '../../../src-main/state/pending.js';
import type { PendingRecord } from '../../../src-main/state/settings.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');
const req = (n: number, address: string, via: 'code' | 'fingerprint' = 'fingerprint') => ({
  fingerprint: fp(n),
  name: `n${n}`,
  via,
  address,
  addresses: [],
});
const T0 = Date.parse('2026-11-21T00:00:00Z');

function fill(
  count: number,
  address: (i: number) => string,
  via: 'code' | 'fingerprint' = 'fingerprint',
  from: PendingRecord[] = [],
  first = 0,
): PendingRecord[] {
  let list = from;
  for (let i = first; i < first + count; i++) {
    const r = offerPending(list, req(i, address(i), via), T0 + i);
    assert.ok('list' in r, 'refused while filling');
    list = r.list;
  }
  return list;
}

test('source is the IP of host:port; a relay URL is no source (the node behind it is)', () => {
  assert.equal(sourceOf('10.0.0.5:4411'), '10.0.0.5');
  assert.equal(sourceOf('[fd00::1]:80'), 'fd00::1');
  assert.equal(sourceOf('ws://relay:7474'), undefined);
});

test('fingerprint-only requests through one relay are counted per node, not per relay URL', () => {
  // The attack: four fake requests through the relay used to use up the per-source cap.
  const list = fill(MAX_PENDING_PER_SOURCE + 2, () => 'ws://relay:7474');
  assert.equal(list.length, MAX_PENDING_PER_SOURCE + 2);
});

test('a flood of fingerprint-only requests never blocks a code-verified one', () => {
  const flood = fill(MAX_PENDING_FINGERPRINT, () => 'ws://relay:7474');
  const more = offerPending(flood, req(500, 'ws://relay:7474'), T0);
  assert.ok(
    'refused' in more && /ask its owner for a pairing code/.test(more.refused),
    "'refused' in more && /ask its owner for a pairing code/.test(more.refused)",
  );
  const joiner = offerPending(flood, req(501, 'ws://relay:7474', 'code'), T0);
  assert.ok('list' in joiner && joiner.added, 'code-verified request refused by a fingerprint flood');
});

test('approve --latest means the newest code-verified request, never a later fingerprint-only one', () => {
  let list = fill(1, () => 'ws://relay:7474', 'code');
  list = fill(1, () => 'ws://relay:7474', 'fingerprint', list, 1);
  assert.equal(list[1]!.firstSeen > list[0]!.firstSeen, true);
  assert.equal(latestVerified(list)?.fingerprint, fp(0));
  assert.equal(latestVerified(fill(2, () => '10.0.0.1:1')), undefined);
});

test('two requests, or a request and a peer, with one name are told apart by fingerprint', () => {
  const a = offerPending([], { ...req(1, 'ws://r'), name: 'c' }, T0);
  assert.ok('list' in a, "'list' in a");
  const b = offerPending(a.list, { ...req(2, 'ws://r', 'code'), name: 'c' }, T0);
  assert.ok('list' in b, "'list' in b");
  const names = pendingDisplayNames(b.list, []);
  assert.equal(names.get(a.record.id), `c (${fp(1).slice(0, 8)})`);
  assert.equal(names.get(b.record.id), `c (${fp(2).slice(0, 8)})`);
  const alone = pendingDisplayNames(a.list, [{ name: 'c', fingerprint: fp(9) }]);
  assert.equal(alone.get(a.record.id), `c (${fp(1).slice(0, 8)})`);
  assert.equal(pendingDisplayNames(a.list, []).get(a.record.id), 'c');
});

test('per-source cap, then a clear refusal; another source still gets in', () => {
  const list = fill(MAX_PENDING_PER_SOURCE, () => '10.0.0.5:1');
  const refused = offerPending(list, req(99, '10.0.0.5:2'), T0);
  assert.ok('refused' in refused, "'refused' in refused");
  assert.match(refused.refused, /too many pending requests from 10\.0\.0\.5/);
  assert.ok(
    'list' in offerPending(list, req(99, '10.0.0.6:2'), T0),
    "'list' in offerPending(list, req(99, '10.0.0.6:2'), T0)",
  );
});

test('code-verified requests have a cap of their own', () => {
  const list = fill(MAX_PENDING_CODE, (i) => `10.0.${i}.1:1`, 'code');
  const r = offerPending(list, req(999, '10.9.9.9:1', 'code'), T0);
  assert.ok(
    'refused' in r && /too many pending requests on this node/.test(r.refused),
    "'refused' in r && /too many pending requests on this node/.test(r.refused)",
  );
});

test('a repeat refreshes instead of adding; code-verified never downgrades', () => {
  let r = offerPending([], req(1, '10.0.0.1:1', 'code'), T0);
  assert.ok('list' in r && r.added, "'list' in r && r.added");
  const id = r.record.id;
  r = offerPending(r.list, req(1, '10.0.0.1:9', 'fingerprint'), T0 + 1000);
  assert.ok('list' in r, "'list' in r");
  assert.equal(r.added, false);
  assert.equal(r.list.length, 1);
  assert.equal(r.record.id, id);
  assert.equal(r.record.via, 'code');
  assert.equal(r.record.lastSeen, new Date(T0 + 1000).toISOString());
  assert.equal(r.verified, false, 'a fingerprint after a code verifies nothing new');
});

test('a code after a fingerprint-only request upgrades that request and says it is now verified', () => {
  let r = offerPending([], req(2, '10.0.0.2:1', 'fingerprint'), T0);
  assert.ok('list' in r && r.added && !r.verified, 'a new fingerprint-only request');
  const id = r.record.id;
  r = offerPending(r.list, req(2, '10.0.0.2:1', 'code'), T0 + 1000);
  assert.ok('list' in r, 'recorded');
  assert.deepEqual([r.added, r.verified, r.record.id, r.record.via], [false, true, id, 'code']);
  r = offerPending(r.list, req(2, '10.0.0.2:1', 'code'), T0 + 2000);
  assert.ok('list' in r, 'recorded');
  assert.equal(r.verified, false, 'a second code request verifies nothing new');
});

test('requests expire an hour after they were last seen', () => {
  assert.equal(PENDING_TTL_MS, 60 * 60 * 1000);
  const list = fill(3, (i) => `10.0.${i}.1:1`);
  assert.equal(expirePending(list, T0 + PENDING_TTL_MS - 1).length, 3);
  assert.equal(expirePending(list, T0 + 2 + PENDING_TTL_MS).length, 0);
  // Expired entries free their slots.
  const full = fill(MAX_PENDING_FINGERPRINT, (i) => `10.1.${i}.1:1`);
  assert.ok(
    'list' in offerPending(full, req(500, '10.2.0.1:1'), T0 + 100 + PENDING_TTL_MS),
    "'list' in offerPending(full, req(500, '10.2.0.1:1'), T0 + 100 + PENDING_TTL_MS)",
  );
});
