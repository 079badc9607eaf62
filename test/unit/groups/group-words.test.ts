/**
 * What people read of a group's devices and members once something ended (issue 82, item 10): an
 * offline device's reason in a few words that name it (`group ls`), a removed member's name kept in
 * `group history`, a removed member's device in `peers` naming its group and why, and a session a
 * group's device hangs up saying the member was removed from that group.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { mineText } from '../../../src-main/cli/mine-peers.js';
import { historyText } from '../../../src-main/group-members/cli/history-format.js';
import { formerMemberOf } from '../../../src-main/group-members/group-history.js';
import { MAX_OFFLINE_WHY_CHARS, offlineWhy } from '../../../src-main/groups/groups-api.js';
import { GuestGrants } from '../../../src-main/services/guest-grants.js';

const O3 = '3f'.repeat(32);
const attempt = {
  path: 'relay' as const,
  lastError: undefined,
  lastObserved: undefined,
  lastRefusal: undefined,
  lastErrorAt: undefined,
};

test("an offline device's reason names it, in a few words, not a relay's sentence with its fingerprint", () => {
  const relay = 'ws://127.0.0.1:40123';
  const notOn = offlineWhy('o3', {
    fingerprint: O3,
    direct: { ...attempt, path: 'direct' },
    relay: {
      ...attempt,
      lastError: `relay ${relay}: cannot open a circuit to node ${O3}: peer offline (it is not connected to that relay now; it may be on another)`,
      lastObserved: { path: 'relay', kind: 'not-on-relay', relay },
    },
  });
  assert.equal(notOn, `o3 is not on relay ${relay}`);
  const other = offlineWhy('o3', {
    fingerprint: O3,
    direct: {
      ...attempt,
      path: 'direct',
      lastError: `dial ${O3} at 10.0.0.9:7443 failed: ${'x'.repeat(200)}`,
    },
    relay: attempt,
  });
  assert.ok(other.length <= MAX_OFFLINE_WHY_CHARS, `short: ${other.length}`);
  assert.ok(!other.includes(O3) && other.includes('o3'), `names the device, not its fingerprint: ${other}`);
  assert.equal(
    offlineWhy('o3', { fingerprint: O3, direct: { ...attempt, path: 'direct' }, relay: attempt }),
    'not linked yet',
  );
});

test('a removed member keeps its name in the history', () => {
  assert.equal(formerMemberOf('mira/m1'), 'mira');
  assert.equal(formerMemberOf('m1'), undefined);
  const text = historyText({
    group: { id: 'a1'.repeat(16), name: 'lab' },
    sessions: [
      {
        device: { name: 'o2', fingerprint: 'e'.repeat(64) },
        member: null,
        formerMember: 'mira',
        memberDevice: { name: 'mira/m1', fingerprint: 'f'.repeat(64) },
        start: '2026-11-28T10:00:00.000Z',
        end: '2026-11-28T10:05:00.000Z',
      },
    ],
    sources: [],
  });
  assert.match(text, /mira \(not a member now\)\s+mira\/m1\s+o2/);
});

test("a removed member's device in `peers` names the group it was removed from", () => {
  const peer = { groups: [], guestOf: ['removed from group lab'], mine: false } as unknown as PeerInfo;
  assert.equal(mineText(peer, []), 'removed from group lab');
  const member = { groups: ['lab'], guestOf: ['group lab'], mine: false } as unknown as PeerInfo;
  assert.equal(mineText(member, []), 'via group lab');
});

test("a session of a removed member's device ends saying it was removed, and from which group", () => {
  const grants = new GuestGrants(() => undefined);
  grants.admit({
    guests: () => [
      {
        fingerprint: 'f'.repeat(64),
        name: 'mira/m1',
        allow: [],
        because: ['removed from group lab'],
        dial: false,
        services: ['groups'],
      },
    ],
    onChange: () => () => undefined,
  });
  assert.equal(grants.accessEnded('f'.repeat(64), 'terminal'), 'removed from group lab');
  assert.equal(grants.accessEnded('f'.repeat(64), 'groups'), undefined, 'the news itself it may still hear');
  assert.match(grants.serviceRefused('f'.repeat(64), 'terminal') ?? '', /removed from group lab/);
});
