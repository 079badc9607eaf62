/**
 * The listing of forwards, proxies and shares (forwards/forward-listing.ts) over fake runs and a fake
 * reverse side: local forwards first, then reverse ones in saved order with shares kept apart, proxies
 * on their own, and every exit peer named as it is called now (bound by fingerprint).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import type { ForwardInfo } from '../../../src-main/forwards/forwards-contract.js';
import { ForwardListing } from '../../../src-main/forwards/forward-listing.js';
import { newRun } from '../../../src-main/forwards/forward-run.js';
import type { ForwardRecord } from '../../../src-main/forwards/saved-forward-schema.js';

const FP = 'ab'.repeat(32);
const record = (r: Partial<ForwardRecord> & Pick<ForwardRecord, 'name' | 'kind'>): ForwardRecord => ({
  listen: '127.0.0.1:1000',
  enabled: true,
  via: 'old-name',
  viaFingerprint: FP,
  ...r,
});

test('forwards, proxies and shares: each in its list, exit peers under their names now', () => {
  const local = [
    record({ name: 'web', kind: 'tcp', remote: 'localhost:80' }),
    record({ name: 'socks', kind: 'socks' }),
  ];
  const reverse = [
    record({ name: 'rev', kind: 'tcp', direction: 'reverse', remote: '127.0.0.1:22' }),
    record({ name: 'docs', kind: 'tcp', direction: 'reverse', share: { dir: '/tmp', dotfiles: false } }),
  ];
  const listing = new ForwardListing({
    local: { withRecords: () => local.map((r) => ({ run: newRun(r.name, { state: 'off' }), record: r })) },
    reverse: {
      has: (name) => reverse.some((r) => r.name === name),
      info: (r, via) => ({ name: r.name, direction: 'reverse', via }) as ForwardInfo,
    },
    saved: { list: () => [...local, ...reverse] },
    links: {
      peerEntries: () => [{ fingerprint: FP, record: { name: 'new-name' } } as unknown as ReadonlyPeerEntry],
    },
  });
  const forwards = listing.forwards();
  assert.deepEqual(
    forwards.map((f) => [f.name, f.direction, f.via]),
    [
      ['web', 'local', 'new-name'],
      ['rev', 'reverse', 'new-name'],
    ],
    'local forwards first, then reverse ones; no proxy and no share; the peer under its name now',
  );
  assert.deepEqual(
    listing.proxies().map((p) => [p.name, p.kind, p.via]),
    [['socks', 'socks', 'new-name']],
    'proxies on their own',
  );
  assert.deepEqual(
    listing.shares().map((s) => s.record.name),
    ['docs'],
    'shares apart',
  );
});

test('a peer that is gone is listed under the name it was saved with', () => {
  const r = record({ name: 'web', kind: 'tcp', remote: 'localhost:80' });
  const listing = new ForwardListing({
    local: { withRecords: () => [{ run: newRun('web', { state: 'off' }), record: r }] },
    saved: { list: () => [r] },
    links: { peerEntries: () => [] },
  });
  assert.equal(listing.forwards()[0]?.via, 'old-name', 'the saved name');
  assert.deepEqual(listing.shares(), [], 'no reverse side, no shares');
});
