/** How the Groups view says the owner's session history: the member, how long, the devices not asked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sessionLength,
  sessionMember,
  unanswered,
} from '../../../src-renderer/features/groups/group-history-text.js';

const device = (name: string) => ({ name, fingerprint: name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a') });
const session = {
  device: device('o2'),
  member: 'm1',
  memberDevice: device('m1/m2'),
  start: '2026-11-28T10:00:00.000Z',
  end: '2026-11-28T10:00:42.400Z',
};

test('a session: its member (or that it is no longer one), and how long it lasted or that it is open', () => {
  assert.equal(sessionMember(session), 'm1');
  assert.equal(sessionMember({ ...session, member: null }), '(not a member now)');
  assert.equal(
    sessionMember({ ...session, member: null, formerMember: 'mira' }),
    'mira (not a member now)',
    'a removed member keeps its name',
  );
  assert.equal(sessionLength(session), '42 s');
  assert.equal(sessionLength({ ...session, end: '2026-11-28T10:20:00.000Z' }), '20 min');
  assert.equal(sessionLength({ ...session, end: '2026-11-28T12:05:00.000Z' }), '2 h 5 min');
  assert.equal(sessionLength({ ...session, end: null }), 'open');
});

test('the devices that could not be asked, each with why', () => {
  assert.deepEqual(
    unanswered([
      { device: device('o2'), answered: true },
      { device: device('o3'), answered: false, why: 'offline' },
      { device: device('o4'), answered: false },
    ]),
    ['o3: offline', 'o4: no answer'],
  );
});
