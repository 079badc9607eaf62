/**
 * A browser's groups in the window (src-web/window/methods-groups.ts, group-links.ts, ADR 0094), with a
 * fake browser node: each group is listed as the contract's GroupInfo, role member, each device with
 * the state of this browser's link to it; a deleted group is not listed; a device that no longer lets
 * the browser in (a removal) says so and is not dialed again; a join answers with the inviter and the
 * devices, a bad code in an invitation's words; links coming up in a burst ask for one sync; the
 * Groups view's terminal button reaches a group's device by its fingerprint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidNodeName } from '../../../src-main/core/names.js';
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import type { ApiError } from '../../../src-renderer/api/transport.js';
import type { LinkChange } from '../../../src-web/node/browser-node.js';
import { BrowserNodeError } from '../../../src-web/node/bytes.js';
import type { BrowserGroup } from '../../../src-web/node/group-join.js';
import {
  GroupLinks,
  JOIN_GRACE_MS,
  SYNC_GAP_MS,
  type GroupingNode,
} from '../../../src-web/window/group-links.js';
import {
  groupDeviceInfo,
  groupInfoOf,
  joinError,
  joinResultOf,
} from '../../../src-web/window/methods-groups.js';

const O1 = { fingerprint: '01'.repeat(32), name: 'o1' };
const O2 = { fingerprint: '02'.repeat(32), name: 'o2' };
const O3 = { fingerprint: '03'.repeat(32), name: 'o3' };
const LAB: BrowserGroup = {
  id: 'aa'.repeat(8),
  name: 'lab',
  allow: ['terminal'],
  deleted: false,
  devices: [O2, O3],
  inviter: O1,
};

class FakeNode implements GroupingNode {
  stored: BrowserGroup[] = [LAB];
  /** What the next sync brings (the group as its device has it). */
  synced: BrowserGroup[] | undefined;
  syncs = 0;
  dialed: string[] = [];
  left: string[] = [];
  private listener: ((c: LinkChange) => void) | undefined;
  groups() {
    return Promise.resolve(this.stored);
  }
  syncGroups() {
    this.syncs++;
    if (this.synced) this.stored = this.synced;
    return Promise.resolve(this.stored);
  }
  joinGroup(code: string) {
    if (code !== 'K7QX-M2RT-9WZA') return Promise.reject(new BrowserNodeError('PAIRING_FAILED', 'no'));
    return Promise.resolve(LAB);
  }
  /** Whether a device takes the leave (none does once they all refuse this browser). */
  takesLeave = true;
  leaveGroup(id: string) {
    this.left.push(id);
    if (!this.takesLeave)
      return Promise.reject(new BrowserNodeError('PEER_OFFLINE', 'no device of group lab took the leave'));
    this.stored = this.stored.filter((g) => g.id !== id);
    return Promise.resolve();
  }
  connect(fingerprint: string) {
    this.dialed.push(fingerprint);
    return Promise.resolve();
  }
  onLinkChange(listener: (c: LinkChange) => void) {
    this.listener = listener;
    return () => (this.listener = undefined);
  }
  tell(change: LinkChange) {
    this.listener?.(change);
  }
}

/** The store's forgetGroup, on the fake's groups. */
const forget = (node: FakeNode) => (id: string) => {
  node.stored = node.stored.filter((g) => g.id !== id);
  return Promise.resolve();
};

const tick = () => new Promise((r) => setImmediate(r));

test('a group as the member view shows it: role member, its words, each device with its link state', () => {
  const links = new Map([
    [O2.fingerprint, { kind: 'up' as const, since: 'then' }],
    [O3.fingerprint, { kind: 'down' as const, since: 'then', reason: 'peer not on this relay' }],
  ]);
  const info = groupInfoOf(LAB, (fp) => links.get(fp) ?? { kind: 'unknown', since: 'now' });
  assert.deepEqual(info, {
    id: LAB.id,
    name: 'lab',
    role: 'member',
    permissions: ['terminal'],
    devices: [
      { name: 'o2', fingerprint: O2.fingerprint, self: false, online: true, path: 'relay', why: null },
      {
        name: 'o3',
        fingerprint: O3.fingerprint,
        self: false,
        online: false,
        path: null,
        why: 'not on the relay now (peer not on this relay)',
      },
    ],
  } satisfies GroupInfo);
  assert.equal('members' in info, false, 'a member sees no other member');
});

test('a device that no longer lets the browser in says so, with or without a refusal code', () => {
  for (const link of [
    { kind: 'down' as const, since: 't', reason: 'o2 no longer lets this node in' },
    { kind: 'down' as const, since: 't', reason: 'hung up', refusal: 'REMOVED' },
  ]) {
    const d = groupDeviceInfo(O2, link);
    assert.equal(d.online, false);
    assert.equal(d.why, 'this browser was removed from the group');
  }
  assert.match(
    groupDeviceInfo(O2, { kind: 'unknown', since: 't' }).why ?? '',
    /not reached yet/,
    'not dialed yet',
  );
});

test('a join answers with the group, its inviter and devices; a bad code in an invitation’s words', () => {
  assert.deepEqual(joinResultOf(LAB, 'ws://relay'), {
    group: { id: LAB.id, name: 'lab' },
    inviter: O1,
    via: 'relay ws://relay',
    devices: [O2, O3],
  });
  const bad = joinError(
    new BrowserNodeError('BAD_PAIR_CODE', 'pair code must be 12 characters like K7QX-M2RT-9WZA'),
  );
  assert.equal(bad.code, 'BAD_ARGUMENT');
  assert.equal(bad.message, 'the invitation code must be 12 characters like K7QX-M2RT-9WZA');
  const relay = joinError(new BrowserNodeError('RELAY_FAILED', 'the relay connection is closed'));
  assert.equal(relay.message, 'cannot reach the relay: the relay connection is closed');
  const expired = joinError(new BrowserNodeError('PAIRING_FAILED', 'invitation code invalid or expired'));
  assert.equal(expired.code, 'PAIRING_FAILED');
  assert.equal(expired.message, 'invitation code invalid or expired');
});

test('the tracker lists the live groups, tells each change once, and stops dialing a device that refused', async () => {
  const node = new FakeNode();
  const told: GroupInfo[][] = [];
  const groups = new GroupLinks(node, (g) => told.push(g), forget(node));
  try {
    await groups.reload();
    assert.deepEqual(
      groups.list().map((g) => g.name),
      ['lab'],
    );
    assert.equal(told.length, 1);
    groups.probe();
    assert.deepEqual(node.dialed, [O2.fingerprint, O3.fingerprint]);

    node.tell({ fingerprint: O1.fingerprint, up: true });
    assert.equal(told.length, 1, 'a device of no group is not news here');
    node.tell({ fingerprint: O3.fingerprint, up: false, reason: 'o3 no longer lets this node in' });
    assert.equal(told.length, 2);
    assert.equal(told.at(-1)?.[0]?.devices[1]?.online, false);
    node.dialed = [];
    groups.probe();
    assert.deepEqual(node.dialed, [O2.fingerprint], 'o3 refused: not dialed again by itself');

    assert.deepEqual(groups.device('o2'), O2, 'a terminal on a group device by its name');
    assert.deepEqual(groups.device(O3.fingerprint), O3);
    assert.equal(groups.device(O1.fingerprint), undefined, 'the inviter is no device of the group');

    // The owner deleted the group: it is no longer listed, nor its devices reachable from the window.
    node.stored = [{ ...LAB, deleted: true, devices: [] }];
    await groups.reload();
    assert.deepEqual(told.at(-1), []);
    assert.equal(groups.device('o2'), undefined);
  } finally {
    groups.close();
  }
});

test('links coming up in a burst ask for one sync, and what it brings reaches the window', async () => {
  let now = 0;
  const node = new FakeNode();
  const told: GroupInfo[][] = [];
  const groups = new GroupLinks(
    node,
    (g) => told.push(g),
    forget(node),
    () => now,
  );
  try {
    await groups.reload();
    node.synced = [{ ...LAB, allow: ['terminal', 'forward'] }];
    node.tell({ fingerprint: O2.fingerprint, up: true });
    node.tell({ fingerprint: O3.fingerprint, up: true });
    groups.syncSoon();
    await tick();
    await tick();
    assert.equal(node.syncs, 1, 'one sync for the burst');
    assert.deepEqual(told.at(-1)?.[0]?.permissions, ['terminal', 'forward']);
    // Asked again within the gap: deferred, not run now.
    now += SYNC_GAP_MS - 1;
    groups.syncSoon();
    await tick();
    assert.equal(node.syncs, 1, 'not again within the gap');
  } finally {
    groups.close();
  }
});

test('no sync while every device of every group refuses this browser (nothing could answer)', async () => {
  const node = new FakeNode();
  const groups = new GroupLinks(node, () => undefined, forget(node));
  try {
    await groups.reload();
    for (const d of LAB.devices)
      node.tell({ fingerprint: d.fingerprint, up: false, reason: 'x', refusal: 'REMOVED' });
    groups.syncSoon();
    await tick();
    assert.equal(node.syncs, 0);
    assert.match(groups.list()[0]?.devices[0]?.why ?? '', /removed from the group/);
  } finally {
    groups.close();
  }
});

test('leave forgets the group; join lists it again with fresh states for its devices', async () => {
  const node = new FakeNode();
  const groups = new GroupLinks(node, () => undefined, forget(node));
  try {
    await groups.reload();
    node.tell({ fingerprint: O2.fingerprint, up: false, reason: 'x', refusal: 'REMOVED' });
    await groups.leave(LAB.id);
    assert.deepEqual(node.left, [LAB.id]);
    assert.deepEqual(groups.list(), []);
    await assert.rejects(groups.join('nope'), (e: ApiError) => e.code === 'PAIRING_FAILED');
    node.stored = [LAB];
    node.dialed = [];
    await groups.join('K7QX-M2RT-9WZA');
    assert.deepEqual(node.dialed, [O2.fingerprint, O3.fingerprint], 'joined again: both dialed');
  } finally {
    groups.close();
  }
});

test('just after a join, a device that refuses is asked again until it has let the browser in; after that, or the grace, a refusal is final', async () => {
  const node = new FakeNode();
  let now = 1_000_000;
  const groups = new GroupLinks(
    node,
    () => undefined,
    forget(node),
    () => now,
  );
  try {
    await groups.join('K7QX-M2RT-9WZA');
    // o2 has not heard of the join yet: it refuses the browser as it would a removed member.
    node.tell({ fingerprint: O2.fingerprint, up: false, reason: 'o2 no longer lets this node in' });
    const o2 = () => groups.list()[0]?.devices.find((d) => d.name === 'o2');
    assert.match(o2()?.why ?? '', /not let in yet/, 'said as not yet, not as removed');
    node.dialed = [];
    groups.probe();
    assert.ok(node.dialed.includes(O2.fingerprint), 'asked again in the grace');
    node.tell({ fingerprint: O2.fingerprint, up: true });
    assert.equal(o2()?.online, true, 'let in once its records caught up');

    // Still in the grace, but o2 has let the browser in: its refusal now is a removal, not a lag.
    node.tell({ fingerprint: O2.fingerprint, up: false, reason: 'o2 no longer lets this node in' });
    assert.match(o2()?.why ?? '', /removed from the group/, 'a device that let it in: a removal');
    node.dialed = [];
    groups.probe();
    assert.ok(!node.dialed.includes(O2.fingerprint), 'o2 not dialed again, even in the grace');

    // o3 never let it in: after the grace its refusal is final too.
    node.tell({ fingerprint: O3.fingerprint, up: false, reason: 'o3 no longer lets this node in' });
    now += JOIN_GRACE_MS;
    const o3 = () => groups.list()[0]?.devices.find((d) => d.name === 'o3');
    assert.match(o3()?.why ?? '', /removed from the group/, 'after the grace: a removal');
    node.dialed = [];
    groups.probe();
    assert.deepEqual(node.dialed, [], 'neither dialed again by itself');
  } finally {
    groups.close();
  }
});

test('a group record’s names are checked without Node’s Buffer, which a page does not have', () => {
  // src-web/node/group-records.ts checks every device and member name with this rule in the page.
  const g = globalThis as { Buffer?: unknown };
  const saved = g.Buffer;
  delete g.Buffer;
  try {
    assert.equal(isValidNodeName('o2'), true);
    assert.equal(isValidNodeName('x'.repeat(65)), false);
  } finally {
    g.Buffer = saved;
  }
});

test('leaving a group whose devices all refuse this browser forgets it here; one that could take it is kept', async () => {
  const node = new FakeNode();
  node.takesLeave = false;
  const groups = new GroupLinks(node, () => undefined, forget(node));
  try {
    await groups.reload();
    node.tell({ fingerprint: O2.fingerprint, up: false, reason: 'o2 no longer lets this node in' });
    await assert.rejects(groups.leave(LAB.id), /took the leave/, 'o3 might still take it: kept');
    assert.equal(groups.list().length, 1);
    node.tell({ fingerprint: O3.fingerprint, up: false, reason: 'hung up', refusal: 'REMOVED' });
    await groups.leave(LAB.id);
    assert.deepEqual(groups.list(), [], 'removed everywhere: forgotten');
    assert.deepEqual(node.left, [LAB.id], 'asked once (o3 might take it), then not again: all refuse it');
  } finally {
    groups.close();
  }
});
