/**
 * links/peer-entries.ts syncGuests: a guest (a member's device on a group's device, ADR 0092) is told
 * on its links what it may do here whenever its words change, as a peer whose record changed is —
 * otherwise the member's `peers` (ALLOWED THERE) keeps the words it heard when its link came up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerEntries } from '../../../src-main/links/peer-entries.js';
import type { PeerRecord, Permission } from '../../../src-main/state/settings.js';

const SELF = 'a'.repeat(64);
const GUEST = 'b'.repeat(64);

function guestRecord(allow: Permission[]): PeerRecord {
  return { fingerprint: GUEST, name: 'mira/m1', allow, addresses: [], addedAt: '2026-11-29T06:00:00.000Z' };
}

test('a guest whose words change is told them; one whose words stay is not told again', () => {
  const told: (readonly Permission[])[] = [];
  let now = guestRecord(['terminal']);
  const entries = new PeerEntries({
    identity: { fingerprint: SELF } as never,
    state: { peer: () => undefined, path: '/nowhere/config.json' },
    observations: { forget: () => undefined, forgetHomeRelay: () => undefined },
    notices: { changed: () => undefined, notice: () => undefined },
    paths: () => ({
      dialDirect: () => Promise.resolve(undefined),
      dialRelay: () => Promise.resolve(undefined),
      attach: () => undefined,
      onError: () => undefined,
    }),
    grantsChanged: (entry) => told.push(entry.record.allow),
    name: () => 'o2',
  });
  const sync = () => entries.syncGuests([{ record: now, dial: false }], () => now);
  try {
    sync();
    assert.deepEqual(told, [], 'a new guest hears its words when its link comes up, not here');
    now = guestRecord(['terminal', 'forward']);
    sync();
    assert.deepEqual(told, [['terminal', 'forward']], 'the wider words are told');
    sync();
    assert.equal(told.length, 1, 'the same words are not told twice');
    now = guestRecord(['terminal']);
    sync();
    assert.deepEqual(told.at(-1), ['terminal'], 'the narrower words are told');
    assert.equal(told.length, 2, 'each change is told once');
  } finally {
    entries.stop();
  }
});
