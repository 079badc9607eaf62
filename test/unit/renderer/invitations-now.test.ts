/** The Groups view's invitations at a time: an open one past its TTL counts as expired before the agent says so. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InvitationInfo } from '../../../src-main/group-members/group-members-contract.js';
import {
  invitationsAt,
  lostInvitation,
  nextExpiry,
} from '../../../src-renderer/features/groups/invitations-now.js';

const T = Date.parse('2026-11-28T10:00:00.000Z');
const at = (ms: number) => new Date(T + ms).toISOString();
const invitation = (id: string, state: InvitationInfo['state'], expiresInMs: number): InvitationInfo => ({
  id,
  group: { id: 'a'.repeat(32), name: 'lab' },
  code: `${id}AAA-BBBB-CCCC`.slice(0, 14),
  link: 'clawbridge://group?invite=AAAA-BBBB-CCCC',
  expiresAt: at(expiresInMs),
  state,
});

test('open invitations past their TTL are expired (newest first, before those the agent ended)', () => {
  const list = [
    invitation('1', 'open', 60_000),
    invitation('2', 'open', 10_000),
    invitation('3', 'open', 20_000),
    invitation('4', 'cancelled', 5_000),
  ];
  assert.deepEqual(
    invitationsAt(list, T).map((i) => [i.id, i.state]),
    [
      ['1', 'open'],
      ['2', 'open'],
      ['3', 'open'],
      ['4', 'cancelled'],
    ],
  );
  const later = invitationsAt(list, T + 30_000);
  assert.deepEqual(
    later.map((i) => [i.id, i.state]),
    [
      ['1', 'open'],
      ['3', 'expired'],
      ['2', 'expired'],
      ['4', 'cancelled'],
    ],
  );
  assert.equal(later[1]!.endedAt, at(20_000), 'it ended when its TTL did');
});

test('the next expiry: the soonest open invitation after now, none when none is open', () => {
  const list = [invitation('1', 'open', 60_000), invitation('2', 'open', 10_000), invitation('4', 'used', 1)];
  assert.equal(nextExpiry(list, T), T + 10_000);
  assert.equal(nextExpiry(list, T + 10_000), T + 60_000);
  assert.equal(nextExpiry(list, T + 60_000), null);
  assert.equal(nextExpiry([], T), null);
});

test('a code made here that the agent listed, then forgot before its TTL (it restarted), is lost', () => {
  const made = invitation('1', 'open', 60_000);
  assert.equal(lostInvitation(made, true, [], T), made);
  assert.equal(lostInvitation(made, false, [], T), null, 'not listed yet: the event may still be on its way');
  assert.equal(lostInvitation(made, true, [made], T), null);
  assert.equal(lostInvitation(made, true, [{ ...made, state: 'cancelled' }], T), null, 'ended: said so');
  assert.equal(lostInvitation(made, true, [], T + 60_000), null, 'past its TTL: expired, not lost');
  assert.equal(lostInvitation(null, true, [], T), null);
});
