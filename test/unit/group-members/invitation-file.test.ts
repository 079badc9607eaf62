/**
 * group-members/invitation-file.ts: the invitations kept between runs are read back as saved, the
 * file is the owner's alone, an entry that does not parse is dropped, and a file that is not JSON of
 * this shape is set aside (never overwritten) and the node starts with none.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  INVITATIONS_FILE,
  UNREADABLE_INVITATIONS_FILE,
  invitationFile,
  type KeptInvitation,
} from '../../../src-main/group-members/invitation-file.js';

const open: KeptInvitation = {
  id: '3',
  group: 'a1'.repeat(16),
  groupName: 'lab',
  code: 'J8DE-CFH6-1YXC',
  link: 'clawbridge://group?invite=J8DE-CFH6-1YXC',
  expiresAt: 1_900_000_000_000,
  state: 'open',
};
const used: KeptInvitation = {
  ...open,
  id: '2',
  code: 'K7QX-M2RT-9WZA',
  state: 'used',
  by: { name: 'mira', fingerprint: 'fc'.repeat(32) },
  endedAt: 1_800_000_000_000,
};

test('invitations are read back as saved, from a file only its owner reads', () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-inv-file-'));
  const file = invitationFile(home, (line) => assert.fail(line));
  file.save([open, used]);
  assert.equal(statSync(join(home, INVITATIONS_FILE)).mode & 0o777, 0o600);
  assert.deepEqual(file.load(), [open, used]);
});

test('an entry that does not parse is dropped; an unreadable file is set aside whole', () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-inv-file-'));
  const warnings: string[] = [];
  const file = invitationFile(home, (line) => warnings.push(line));
  const path = join(home, INVITATIONS_FILE);
  writeFileSync(path, JSON.stringify({ version: 1, invitations: [open, { ...used, code: 'nope!' }] }));
  assert.deepEqual(file.load(), [open]);
  assert.match(warnings.join('\n'), /invitation 2 dropped/);
  writeFileSync(path, '{"version": 1, "invitations": [');
  assert.deepEqual(file.load(), []);
  assert.equal(
    readFileSync(join(home, UNREADABLE_INVITATIONS_FILE), 'utf8'),
    '{"version": 1, "invitations": [',
  );
  assert.match(warnings.join('\n'), /not readable/);
});
