/**
 * The window's groups store (src-renderer/features/groups/groups-store.ts) against a fake agent: the
 * groups and invitations read once, then replaced by `groups.changed` and
 * `groups.invitations.changed` without a request; read again when the link of one of the groups'
 * devices changes, and not for a peer outside every group or a change that is not its link's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerInfo, StatusEvent } from '../../../src-main/api/contract.js';
import type { InvitationInfo } from '../../../src-main/group-members/group-members-contract.js';
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { AgentStore } from '../../../src-renderer/api/store.js';
import { followDeviceLinks, groupsStore } from '../../../src-renderer/features/groups/groups-store.js';
import { until } from '../../helpers/wait.js';

const SELF = 'f'.repeat(64);
const BOX = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);

const lab = (online: boolean): GroupInfo => ({
  id: 'g1',
  name: 'lab',
  role: 'owner',
  permissions: ['terminal'],
  devices: [
    { name: 'me', fingerprint: SELF, self: true, online: true, path: null, why: null },
    { name: 'box', fingerprint: BOX, self: false, online, path: online ? 'direct' : null, why: null },
  ],
  members: [],
});

const peer = (fingerprint: string, state: 'online' | 'offline', rttMs = 5): PeerInfo =>
  ({
    name: fingerprint.slice(0, 3),
    fingerprint,
    online: state === 'online',
    state,
    path: state === 'online' ? 'direct' : null,
    rttMs,
  }) as PeerInfo;

const status = (peers: PeerInfo[], seq: number): StatusEvent =>
  ({
    status: { fingerprint: SELF, name: 'me', peers },
    pending: [],
    forwards: [],
    proxies: [],
    seq,
  }) as unknown as StatusEvent;

const invitation = { id: 'i1', state: 'open' } as InvitationInfo;

function world() {
  let online = false;
  const t = new FakeTransport()
    .on('groups.list', () => ({ groups: [lab(online)] }))
    .on('groups.invitations', () => ({ invitations: [invitation] }))
    .on('status', () => status([peer(BOX, 'offline'), peer(OTHER, 'online')], 0).status)
    .on('pending.list', () => [])
    .on('forward.list', () => [])
    .on('proxy.list', () => [])
    .on('settings.get', () => ({}));
  const client = new ApiClient(t);
  const agent = new AgentStore(client);
  const groups = groupsStore(client);
  const stop = followDeviceLinks(groups, agent);
  const reads = () => t.calls.filter((c) => c.method === 'groups.list').length;
  return { t, agent, groups, stop, reads, setOnline: (v: boolean) => (online = v) };
}

test('read once, then kept by groups.changed and groups.invitations.changed with no request', async () => {
  const { t, groups, stop, reads } = world();
  await until('the groups are read', () => groups.get().phase === 'ready', 2_000);
  assert.deepEqual(groups.get().invitations, [invitation], 'the invitations are read with the groups');
  assert.equal(reads(), 1, 'one read');
  t.emit('groups.changed', { groups: [] });
  t.emit('groups.invitations.changed', { invitations: [] });
  assert.deepEqual(
    { groups: groups.get().groups, invitations: groups.get().invitations },
    { groups: [], invitations: [] },
    'what the events carry replaces what was held',
  );
  assert.equal(reads(), 1, 'no read for an event');
  stop();
});

test("read again when a group device's link changes; not for other peers or a new round-trip time", async () => {
  const { t, agent, groups, stop, reads, setOnline } = world();
  await until('both stores read', () => groups.get().phase === 'ready' && agent.get().status !== null, 2_000);
  const first = reads();
  t.emit('status', status([peer(BOX, 'offline'), peer(OTHER, 'offline')], 1));
  t.emit('status', status([peer(BOX, 'offline', 9), peer(OTHER, 'online', 40)], 2));
  t.emit('status', status([peer(BOX, 'offline'), peer(OTHER, 'online'), peer('d'.repeat(64), 'online')], 3));
  assert.equal(reads(), first, 'a peer outside every group, or a new RTT, reads nothing');
  setOnline(true);
  t.emit('status', status([peer(BOX, 'online'), peer(OTHER, 'online')], 4));
  await until('box online in the group', () => groups.get().groups[0]?.devices[1]?.online === true, 2_000);
  assert.equal(reads(), first + 1, "box's link came up: one read");
  t.emit('status', status([peer(BOX, 'online', 7), peer(OTHER, 'offline')], 5));
  assert.equal(reads(), first + 1, 'nothing new for the group: no read');
  stop();
  t.emit('status', status([peer(BOX, 'offline'), peer(OTHER, 'offline')], 6));
  assert.equal(reads(), first + 1, 'nothing after stop');
});

test("a groups.changed that came while a read ran does not replace the read's answer, which is newer", async () => {
  const t = new FakeTransport({ kind: 'connecting' });
  let release!: (r: { groups: GroupInfo[] }) => void;
  t.on('groups.list', () => new Promise((r) => (release = r)));
  const groups = groupsStore(new ApiClient(t));
  t.setState({ kind: 'connected' });
  await until('the read is out', () => t.calls.some((c) => c.method === 'groups.list'), 2_000);
  // Sent by the agent before it answered the read: box was still offline then.
  t.emit('groups.changed', { groups: [lab(false)] });
  assert.equal(groups.get().groups[0]?.devices[1]?.online, false, 'the event is shown at once');
  release({ groups: [lab(true)] });
  await until('the answer is taken', () => groups.get().phase === 'ready', 2_000);
  assert.equal(groups.get().groups[0]?.devices[1]?.online, true, 'the answer, sent after the event, stands');
});
