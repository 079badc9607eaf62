/**
 * group-members/cli/group-format.ts: what `group ls` and `group invitations` print — a group's role,
 * grant, devices with their state and (the owner's view only) members; a used invitation with the
 * joiner's whole fingerprint to compare; names from other nodes with their control characters escaped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import type { InvitationInfo } from '../../../src-main/group-members/group-members-contract.js';
import { groupsText, invitationsText } from '../../../src-main/group-members/cli/group-format.js';

const O2 = 'e'.repeat(64);
const M1 = 'f'.repeat(64);

const lab: GroupInfo = {
  id: 'a1'.repeat(16),
  name: 'lab',
  role: 'owner',
  permissions: ['terminal'],
  devices: [
    { name: 'o1', fingerprint: 'd'.repeat(64), self: true, online: true, path: null, why: null },
    { name: 'o2', fingerprint: O2, self: false, online: true, path: 'relay', why: null },
    { name: 'o3', fingerprint: 'c'.repeat(64), self: false, online: false, path: null, why: 'no route' },
  ],
  members: [{ name: 'mira\u001b[31m', root: M1, devices: [{ name: 'm1', fingerprint: M1 }] }],
};

test("the owner's view: devices with their state, members with their devices, names escaped", () => {
  const text = groupsText([lab], 'clawbridge group create NAME');
  assert.match(text, /^lab \(you own it; members may: terminal\)/);
  assert.match(text, /o1\s+this device/);
  assert.match(text, /o2\s+online, relay/);
  assert.match(text, /o3\s+offline \(no route\)/);
  assert.match(
    text,
    /member mira\\u\{001b\}\[31m \(ffffffffffffffff\): m1/,
    'a name from another node is escaped',
  );
  assert.ok(!text.includes('\u001b'), 'no control character reaches the terminal');
});

test("a member's view shows no members; no group says what to run", () => {
  const { members: _, ...member } = { ...lab, role: 'member' as const };
  assert.doesNotMatch(groupsText([member], ''), /member /);
  assert.match(groupsText([member], ''), /you are a member/);
  assert.equal(
    groupsText([], 'clawbridge group create NAME'),
    'no groups: create one with `clawbridge group create NAME`',
  );
});

test('a used invitation names the joiner with its whole fingerprint to compare; a failed one says why', () => {
  const base = {
    group: { id: lab.id, name: 'lab' },
    link: 'clawbridge://join?invite=X',
    expiresAt: '2026-11-28T10:10:00.000Z',
  };
  const list: InvitationInfo[] = [
    { ...base, id: '2', code: 'AAAA-BBBB-CCCC', state: 'open' },
    {
      ...base,
      id: '1',
      code: 'DDDD-EEEE-FFFF',
      state: 'used',
      by: { name: 'mira', fingerprint: M1, short: 'ffff…ffff' },
    },
    {
      ...base,
      id: '0',
      code: 'GGGG-HHHH-JJJJ',
      state: 'used',
      by: { name: 'x', fingerprint: O2, short: 'eeee…eeee' },
      problem: 'x refused the group',
    },
  ];
  const text = invitationsText(list);
  assert.match(text, /AAAA-BBBB-CCCC\s+open/);
  assert.match(
    text,
    /DDDD-EEEE-FFFF: mira's fingerprint: ffff ffff ffff ffff ffff ffff ffff ffff ffff ffff ffff ffff ffff ffff ffff ffff/,
  );
  assert.match(text, /used \(x refused the group\)/);
  assert.doesNotMatch(text, /GGGG-HHHH-JJJJ: /, 'no fingerprint line for a code no member came of');
  assert.equal(invitationsText([]), 'no invitations');
});
