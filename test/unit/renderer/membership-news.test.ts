/**
 * A group the person was a member of that leaves the agent's list is said in a toast, wherever the
 * window is; one left from this window is not said twice, and an owner's own groups are not news.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import {
  followMembership,
  Leaving,
  membershipEnded,
  memberGroups,
} from '../../../src-renderer/features/groups/membership-news.js';
import { groupsStore } from '../../../src-renderer/features/groups/groups-store.js';
import { Toasts } from '../../../src-renderer/lib/toasts.js';
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import { until } from '../../helpers/wait.js';

const group = (id: string, name: string, role: GroupInfo['role']): GroupInfo =>
  ({ id, name, role, allow: ['terminal'], devices: [], members: [] }) as unknown as GroupInfo;

const LAB = group('g1', 'lab', 'member');
const CI = group('g2', 'ci', 'member');
const MINE = group('g3', 'home', 'owner');

test('a member group gone from the list is news; an owned one and one left here are not', () => {
  const before = memberGroups([LAB, CI, MINE]);
  assert.deepEqual([...before.values()], ['lab', 'ci'], 'only the groups the person is a member of');
  const leaving = new Leaving();
  leaving.add('g2');
  assert.deepEqual(
    membershipEnded(before, [], leaving),
    ['You are no longer in lab: its owner removed you or deleted the group'],
    'ci was left from this window',
  );
  assert.deepEqual(
    membershipEnded(memberGroups([CI]), [], leaving),
    ['You are no longer in ci: its owner removed you or deleted the group'],
    'a leave is taken once: joined again and removed later, it is news',
  );
  assert.deepEqual(membershipEnded(before, [LAB, CI], leaving), [], 'still there: nothing');
});

test('the window follows the groups store from its first read: an event or a read that drops a member group is news', async () => {
  const t = new FakeTransport().on('groups.list', () => ({ groups: [LAB, MINE] }));
  const groups = groupsStore(new ApiClient(t));
  const toasts = new Toasts();
  const stop = followMembership(groups, toasts, new Leaving());
  await until('the first list is read', () => groups.get().phase === 'ready', 2_000);
  assert.equal(toasts.get().length, 0, 'the first list is no news');
  t.emit('groups.changed', { groups: [MINE, CI] });
  assert.deepEqual(
    toasts.get().map((x) => x.text),
    ['You are no longer in lab: its owner removed you or deleted the group'],
  );
  t.on('groups.list', () => ({ groups: [MINE] }));
  await groups.refresh();
  assert.equal(
    toasts.get().at(-1)?.text,
    'You are no longer in ci: its owner removed you or deleted the group',
    'a read again (a reconnect) that no longer lists ci says so',
  );
  stop();
  t.emit('groups.changed', { groups: [] });
  assert.equal(toasts.get().length, 2, 'nothing after stop');
});
