/**
 * The rules of groups (docs/adr/0089-groups.md), one by one, through what a peer's exchange does
 * (groups/group-plan.ts planGroupExchange) and the view it gives (groups/group-view.ts): who may sign
 * what on an owner's device and on a member's, the removal that wins, a compromised owner device
 * recovered from, a hostile member that can neither forge, alter, replay nor escalate, and the bounds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GROUP_BOUNDS, planGroupExchange, type GroupPlan } from '../../../src-main/groups/group-plan.js';
import { signGroupDecision } from '../../../src-main/groups/group-decisions.js';
import { groupSignatureProblem } from '../../../src-main/crypto/group-signature.js';
import { groupAccessOf, groupsView, type GroupView } from '../../../src-main/groups/group-view.js';
import {
  AT,
  del,
  device,
  devices,
  drop,
  GROUP,
  member,
  memberAnchors,
  memberDevice,
  memberDeviceRemove,
  OTHER_GROUP,
  owner,
  ownerAnchors,
  rec,
  settings,
  lab as labOf,
} from '../../helpers/group-records.js';

const d = await devices();
const { o1, o2, o3, c, m1, m2, m3, n1, x } = d;

const { records: lab, onO2, onM1 } = labOf(d);

function plan(result: ReturnType<typeof planGroupExchange>): GroupPlan {
  if ('refused' in result) assert.fail(`refused: ${result.refused}`);
  return result.plan;
}
function refused(result: ReturnType<typeof planGroupExchange>): string {
  assert.ok('refused' in result, 'the exchange is refused');
  return result.refused;
}
function only(view: { groups: GroupView[] }): GroupView {
  assert.equal(view.groups.length, 1, 'one group in the view');
  return view.groups[0]!;
}
const fps = (list: { fingerprint: string }[]) => list.map((e) => e.fingerprint).sort();
const sorted = (...ids: { fingerprint: string }[]) => ids.map((i) => i.fingerprint).sort();

test("on an owner's device, the owner's records make the group: name, words, devices, members with their devices, owners", () => {
  const p = plan(planGroupExchange([], lab, onO2));
  assert.deepEqual(only(p.view), {
    id: GROUP,
    name: 'lab',
    allow: ['terminal'],
    deleted: false,
    role: 'owner',
    devices: [
      { fingerprint: o2.fingerprint, name: 'o2' },
      { fingerprint: o3.fingerprint, name: 'o3' },
    ].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)),
    members: [
      {
        root: m1.fingerprint,
        name: 'mira',
        devices: [
          { fingerprint: m1.fingerprint, name: 'mira' },
          { fingerprint: m2.fingerprint, name: 'm2' },
        ],
      },
    ],
    owners: [
      { fingerprint: o1.fingerprint, name: 'o1' },
      { fingerprint: o2.fingerprint, name: 'o2' },
      { fingerprint: o3.fingerprint, name: 'o3' },
    ].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)),
  });
  assert.equal(p.changed, true);
  assert.equal(p.records.length, lab.length);
});

test("a group's words are the settings' (the default is terminal; the owner grants more)", () => {
  const p = plan(planGroupExchange(lab, [rec(o3, 2, settings('lab', ['terminal', 'forward']))], onO2));
  assert.deepEqual(only(p.view).allow, ['terminal', 'forward']);
  const made = signGroupDecision(o1, [], settings('lab'));
  assert.equal(made.seq, 1);
  assert.deepEqual(made.kind === 'settings' && made.allow, ['terminal']);
});

test("on a member's device, the inviter and the owners it names sign; an owner device nobody trusted named does not", () => {
  const byO3 = rec(o3, 1, device(o1, 'o1'));
  const p = plan(planGroupExchange([], [...lab, byO3], memberAnchors(m1, [m2], o1)));
  assert.deepEqual(fps(only(p.view).devices), sorted(o1, o2, o3), 'O3 is an owner: named by O1');
  assert.equal(only(p.view).role, 'member');
  // Without O1's `owner` record of O3, O3's records count for nothing here.
  const withoutO3 = lab.filter((r) => !(r.kind === 'owner' && r.subject === o3.fingerprint));
  const q = plan(planGroupExchange([], [...withoutO3, byO3], onM1));
  assert.deepEqual(fps(only(q.view).devices), sorted(o2, o3));
  assert.deepEqual(fps(only(q.view).owners), sorted(o1, o2));
  assert.equal(
    q.records.some((r) => r === byO3),
    false,
    'a record whose signer counts for nothing here is not kept',
  );
});

test('an owner named only by a loop of owners that nobody trusted named is trusted by nobody', () => {
  const loop = [rec(c, 1, owner(x, 'x')), rec(x, 1, owner(c, 'c')), rec(x, 1, device(x, 'x'))];
  const p = plan(planGroupExchange([], [...lab, ...loop], onM1));
  assert.deepEqual(fps(only(p.view).owners), sorted(o1, o2, o3));
  assert.deepEqual(fps(only(p.view).devices), sorted(o2, o3));
});

test("a compromised owner device, removed, stops counting: its additions go and what it took falls back to a trusted signer's record", () => {
  // O1 named C an owner; C added X as a device, granted every word, dropped O3 and removed the member.
  const byC = [
    rec(o1, 1, owner(c, 'c')),
    rec(c, 2, device(x, 'x')),
    rec(c, 2, settings('lab', ['terminal', 'forward', 'files', 'relay'])),
    rec(c, 2, drop('device-drop', o3)),
    rec(c, 2, drop('member-remove', m1)),
  ];
  const hacked = plan(planGroupExchange([], [...lab, ...byC], onM1));
  assert.deepEqual(fps(only(hacked.view).devices), sorted(o2, x));
  assert.deepEqual(only(hacked.view).members, []);
  // The owner removes C (from another device): C's records stop counting everywhere it arrives.
  const p = plan(planGroupExchange(hacked.records, [rec(o2, 2, drop('owner-remove', c))], onM1));
  const g = only(p.view);
  assert.deepEqual(fps(g.devices), sorted(o2, o3));
  assert.deepEqual(g.allow, ['terminal']);
  assert.deepEqual(
    g.members.map((m) => m.root),
    [m1.fingerprint],
  );
  assert.deepEqual(fps(g.owners), sorted(o1, o2, o3));
  assert.equal(
    p.records.some((r) => r.by === c.fingerprint),
    false,
    "the removed signer's records are no longer kept",
  );
});

test('two owner devices that remove each other both lose their trust; the inviter keeps its own', () => {
  const fight = [rec(o2, 2, drop('owner-remove', o3)), rec(o3, 2, drop('owner-remove', o2))];
  const g = only(plan(planGroupExchange(lab, fight, onM1)).view);
  assert.deepEqual(fps(g.owners), sorted(o1));
  // What the inviter decides still counts; it names O2 again, after the removal.
  const back = only(plan(planGroupExchange(lab, [...fight, rec(o1, 3, owner(o2, 'o2'))], onM1)).view);
  assert.deepEqual(fps(back.owners), sorted(o1, o2));
});

test("a member's devices: the root, and a chain of devices it named; the member takes one away; the owner's removal takes all", () => {
  const chain = [rec(m2, 1, memberDevice(m1, m3, 'm3'))];
  const g = only(plan(planGroupExchange(lab, chain, onO2)).view);
  assert.deepEqual(fps(g.members[0]!.devices), sorted(m1, m2, m3));
  const gone = only(
    plan(planGroupExchange([...lab, ...chain], [rec(m1, 2, memberDeviceRemove(m1, m3))], onO2)).view,
  );
  assert.deepEqual(fps(gone.members[0]!.devices), sorted(m1, m2));
  const removed = plan(planGroupExchange([...lab, ...chain], [rec(o3, 2, drop('member-remove', m1))], onO2));
  assert.deepEqual(only(removed.view).members, []);
  assert.deepEqual(groupAccessOf(removed.view, m2.fingerprint), { allow: [], groups: [] });
});

test('a member may leave (its root signs its own removal); another of its devices cannot remove it', () => {
  const byM2 = plan(planGroupExchange(lab, [rec(m2, 2, drop('member-remove', m1))], onO2));
  assert.deepEqual(only(byM2.view).members.length, 1);
  const left = plan(planGroupExchange(lab, [rec(m1, 2, drop('member-remove', m1))], onO2));
  assert.deepEqual(only(left.view).members, []);
});

test('at the same seq the removal wins; an old record replayed never brings back what a newer removal took', () => {
  const tie = plan(planGroupExchange(lab, [rec(o2, 1, drop('device-drop', o3))], onO2));
  assert.deepEqual(fps(only(tie.view).devices), sorted(o2));
  const removedAt2 = plan(planGroupExchange(lab, [rec(o1, 2, drop('member-remove', m1))], onM1));
  // A hostile member replays every record the owner ever signed, in any order, again and again.
  const replay = plan(planGroupExchange(removedAt2.records, [...lab, ...lab].reverse(), onM1));
  assert.deepEqual(only(replay.view).members, []);
  assert.equal(replay.changed, false);
});

test('a deleted group ends: no devices, members or words, and no access; a later settings record can start it again', () => {
  const gone = plan(planGroupExchange(lab, [rec(o2, 1, del())], onO2));
  assert.deepEqual(only(gone.view), {
    id: GROUP,
    name: 'lab',
    allow: [],
    deleted: true,
    role: 'owner',
    devices: [],
    members: [],
    owners: [],
  });
  assert.deepEqual(groupAccessOf(gone.view, m1.fingerprint), { allow: [], groups: [] });
  assert.deepEqual(
    gone.records.map((r) => r.kind).sort(),
    ['delete', 'settings'],
    'only the group records are kept',
  );
  const again = plan(planGroupExchange(gone.records, [rec(o1, 2, settings('lab2'))], onO2));
  assert.equal(only(again.view).deleted, false);
});

test("groupAccessOf: the union of the words of the groups where the peer is a member's device and this node a group device", () => {
  const other = [
    rec(o1, 1, settings('ops', ['files'], OTHER_GROUP)),
    rec(o1, 1, device(o2, 'o2', OTHER_GROUP)),
    rec(o1, 1, member(m1, 'mira', OTHER_GROUP)),
    rec(m1, 1, memberDevice(m1, m2, 'm2', OTHER_GROUP)),
  ];
  const view = plan(planGroupExchange([], [...lab, ...other], onO2)).view;
  assert.deepEqual(groupAccessOf(view, m2.fingerprint), {
    allow: ['files', 'terminal'],
    groups: ['lab', 'ops'],
  });
  assert.deepEqual(groupAccessOf(view, x.fingerprint), { allow: [], groups: [] });
  assert.deepEqual(groupAccessOf(view, o1.fingerprint), { allow: [], groups: [] });
  // O1 is not a device of either group: nothing reaches it through them.
  const onO1 = groupsView([...lab, ...other], ownerAnchors(o1, [o2, o3]));
  assert.deepEqual(groupAccessOf(onO1, m1.fingerprint), { allow: [], groups: [] });
});

test("a hostile member cannot add a device, a member, an owner or a device of the owner's, raise the words, nor touch another member", () => {
  const hostile = [
    rec(m1, 5, device(m1, 'me')),
    rec(m1, 5, member(x, 'friend')),
    rec(m1, 5, owner(m1, 'me')),
    rec(m1, 5, settings('lab', ['terminal', 'forward', 'files', 'relay'])),
    rec(m1, 5, drop('member-remove', n1)),
    rec(m1, 5, memberDevice(m1, o1, 'o1')),
    rec(m1, 5, memberDeviceRemove(n1, m3)),
  ];
  const nia = [rec(o1, 1, member(n1, 'nia')), rec(n1, 1, memberDevice(n1, m3, 'm3'))];
  const base = plan(planGroupExchange([], [...lab, ...nia], onO2));
  const p = plan(planGroupExchange(base.records, hostile, onO2));
  assert.deepEqual(p.view, base.view);
  assert.equal(p.changed, false);
  assert.deepEqual(groupAccessOf(p.view, o1.fingerprint), { allow: [], groups: [] });
  assert.deepEqual(groupAccessOf(p.view, x.fingerprint), { allow: [], groups: [] });
});

test('a hostile member cannot forge an owner record (signed with its own key under the owner name) nor alter one: refused whole', () => {
  const base = plan(planGroupExchange([], lab, onO2));
  const genuine = rec(o1, 9, device(x, 'x'));
  const forged = { ...genuine, sig: rec(m1, 9, device(x, 'x')).sig };
  assert.match(
    refused(planGroupExchange(base.records, [rec(o1, 2, settings('lab')), forged], onO2)),
    /signature/,
  );
  const altered = { ...rec(o1, 2, settings('lab')), allow: ['terminal', 'relay'] };
  assert.match(refused(planGroupExchange(base.records, [altered], onO2)), /altered or forged/);
  const certOfAnother = { ...genuine, byCert: Buffer.from(m1.certDer).toString('base64') };
  assert.match(refused(planGroupExchange(base.records, [certOfAnother], onO2)), /certificate/);
});

test('a malformed record refuses the whole exchange', () => {
  const extra = { ...rec(o1, 2, settings('lab')), admin: true };
  assert.match(refused(planGroupExchange(lab, [extra], onO2)), /record 1 is malformed/);
  assert.match(refused(planGroupExchange(lab, [lab[0], 'not a record'], onO2)), /record 2 is malformed/);
  const badWord = { ...rec(o1, 2, settings('lab')), allow: ['Terminal!'] };
  assert.match(refused(planGroupExchange(lab, [badWord], onO2)), /permission word/);
});

test('a record that makes this node what it cannot be refuses the whole exchange', () => {
  assert.match(
    refused(planGroupExchange([], [...lab, rec(o1, 1, member(o2, 'me'))], onO2)),
    /member of its own/,
  );
  assert.match(
    refused(planGroupExchange([], [rec(m1, 1, memberDevice(m1, o2, 'o2'))], onO2)),
    /member's device/,
  );
  assert.match(
    refused(planGroupExchange([], [...lab, rec(o1, 1, device(m1, 'm1'))], onM1)),
    /group's device/,
  );
  assert.match(refused(planGroupExchange([], [...lab, rec(o1, 1, owner(m1, 'm1'))], onM1)), /group's owner/);
});

test('bounds: records per exchange and per group, groups, devices, members, owners, member devices, candidates', () => {
  const b = (more: Partial<typeof GROUP_BOUNDS>) => ({ ...GROUP_BOUNDS, ...more });
  assert.match(
    refused(planGroupExchange([], lab, onO2, b({ recordsPerExchange: 7 }))),
    /8 records, at most 7/,
  );
  assert.match(refused(planGroupExchange([], lab, onO2, b({ recordsPerGroup: 7 }))), /records of group/);
  assert.match(refused(planGroupExchange([], lab, onO2, b({ devicesPerGroup: 1 }))), /2 devices, at most 1/);
  assert.match(
    refused(planGroupExchange([], lab, onO2, b({ ownersPerGroup: 2 }))),
    /3 owner devices, at most 2/,
  );
  assert.match(
    refused(planGroupExchange([], lab, onO2, b({ devicesPerMember: 1 }))),
    /2 devices of member mira, at most 1/,
  );
  const two = [...lab, rec(o1, 1, member(n1, 'nia'))];
  assert.match(refused(planGroupExchange([], two, onO2, b({ membersPerGroup: 1 }))), /2 members, at most 1/);
  const ops = [rec(o1, 1, settings('ops', ['terminal'], OTHER_GROUP))];
  assert.match(refused(planGroupExchange(lab, ops, onO2, b({ groups: 1 }))), /2 groups here, at most 1/);
  assert.match(
    refused(planGroupExchange([], lab, onM1, b({ candidatesPerList: 2 }))),
    /more than 2 owner devices/,
  );
  assert.match(
    refused(
      planGroupExchange(
        [],
        [...lab, rec(m2, 1, memberDevice(m1, m3, 'm3'))],
        onO2,
        b({ candidatesPerList: 2 }),
      ),
    ),
    /more than 2 devices/,
  );
});

test('a flood of new entries in a group known here is refused whole; a group new here is bounded by its own bounds', () => {
  const base = plan(
    planGroupExchange([], lab.slice(0, 1), onO2, { ...GROUP_BOUNDS, newEntriesPerExchange: 2 }),
  );
  const flood = plan(planGroupExchange([], lab, onO2, { ...GROUP_BOUNDS, newEntriesPerExchange: 2 }));
  assert.equal(only(flood.view).devices.length, 2, 'a group new here is taken whole');
  assert.match(
    refused(planGroupExchange(base.records, lab, onO2, { ...GROUP_BOUNDS, newEntriesPerExchange: 2 })),
    /add \d+ entries to known groups at once, at most 2/,
  );
});

test("records of a group nobody here counts (a stranger's, or one this node did not join) are not kept", () => {
  const stranger = [
    rec(x, 1, settings('mine now', ['terminal'], OTHER_GROUP)),
    rec(x, 1, device(o2, 'o2', OTHER_GROUP)),
  ];
  const p = plan(planGroupExchange(lab, stranger, onO2));
  assert.deepEqual(
    p.view.groups.map((g) => g.name),
    ['lab'],
  );
  assert.equal(p.changed, false);
});

test('signGroupDecision signs after every kept record of the same entry, and at the top seq a removal still wins', () => {
  const kept = [
    rec(o1, 4, device(o3, 'o3')),
    rec(o2, 6, drop('device-drop', o3)),
    rec(o1, 9, device(o2, 'o2')),
  ];
  const next = signGroupDecision(o3, kept, device(o3, 'o3'), new Date(AT));
  assert.equal(next.seq, 7);
  const top = 0x7fffffff;
  const atTop = [rec(c, top, device(x, 'x'))];
  const dropX = signGroupDecision(o1, atTop, drop('device-drop', x));
  assert.equal(dropX.seq, top);
  const g = only(groupsView([...lab, ...atTop, dropX], ownerAnchors(o2, [o1, o3, c])));
  assert.deepEqual(fps(g.devices), sorted(o2, o3));
});

test('the same signer signing two different records at one seq settles the same way whichever comes first', () => {
  const a = rec(o1, 2, settings('lab-a'));
  const b = rec(o1, 2, settings('lab-b'));
  const one = groupsView([...lab, a, b], onO2);
  assert.deepEqual(one, groupsView([...lab, b, a], onO2));
  assert.equal(only(one).name, a.sig > b.sig ? 'lab-a' : 'lab-b', 'the greater signature wins the tie');
});

test('the checks that need no signature come first: an exchange they refuse costs no signature', () => {
  let checked = 0;
  const counting = (r: Parameters<typeof groupSignatureProblem>[0]) => {
    checked++;
    return groupSignatureProblem(r);
  };
  const good = [rec(o1, 2, settings('lab')), rec(o1, 2, device(o3, 'o3'))];
  // A malformed record last, a record that makes this node a member of its own person's group last,
  // a member past its bound of devices: each refused, and no signature checked for any.
  assert.match(
    refused(planGroupExchange(lab, [...good, 'no record'], onO2, GROUP_BOUNDS, counting)),
    /malformed/,
  );
  assert.match(
    refused(planGroupExchange(lab, [...good, rec(o1, 2, member(o2, 'me'))], onO2, GROUP_BOUNDS, counting)),
    /a member of its own person's group/,
  );
  const tight = { ...GROUP_BOUNDS, candidatesPerList: 2 };
  const chain = [rec(m1, 2, memberDevice(m1, m3, 'm3')), rec(m1, 2, memberDevice(m1, n1, 'n1'))];
  assert.match(
    refused(planGroupExchange(lab, [...good, ...chain], onO2, tight, counting)),
    /names more than 2/,
  );
  assert.equal(checked, 0, 'no signature was checked');
  // Once they pass, each record's signature is checked once.
  plan(planGroupExchange(lab, good, onO2, GROUP_BOUNDS, counting));
  assert.equal(checked, good.length);
});
