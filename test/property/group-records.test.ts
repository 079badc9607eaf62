/**
 * Group records under fast-check (protocol/group-records.ts, groups/group-view.ts, ADR 0089): arbitrary
 * lines never throw; the signed bytes do not depend on the order of a record's JSON keys; the view
 * depends only on the set of records (any order, any repeats) on an owner's device and on a member's;
 * a removal always wins over an addition of the same entry with an older or equal seq, whoever of the
 * owner's signers made either; and records signed by nobody who may sign them never change anything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { groupSignatureProblem } from '../../src-main/crypto/group-signature.js';
import {
  decodeGroupLine,
  groupRecordBytes,
  MAX_GROUP_SEQ,
  type GroupRecord,
} from '../../src-main/protocol/group-records.js';
import { planGroupExchange } from '../../src-main/groups/group-plan.js';
import type { GroupDecision } from '../../src-main/groups/group-decisions.js';
import { groupsView, type GroupView } from '../../src-main/groups/group-view.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';
import {
  del,
  device,
  devices,
  drop,
  member,
  memberDevice,
  memberDeviceRemove,
  GROUP,
  OTHER_GROUP,
  owner,
  rec,
  settings,
  lab as labOf,
} from '../helpers/group-records.js';

const d = await devices();
const { o1, o2, o3, c, m1, m2, m3, n1, x } = d;
const { records: lab, onO2, onM1 } = labOf(d);

test('arbitrary lines never throw', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 5000 }),
        fc.json(),
        fc.constantFrom(...lab).map((r) => JSON.stringify({ ...r, seq: -1 })),
      ),
      (line) => {
        const r = decodeGroupLine(line);
        assert.ok(
          'record' in r || typeof r.problem === 'string',
          "'record' in r || typeof r.problem === 'string'",
        );
      },
    ),
    { numRuns: fuzzRuns() },
  );
});

test("the signed bytes and the signature do not depend on the order of a record's keys", () => {
  const pool = [...lab, rec(o1, 2, del()), rec(m1, 2, memberDeviceRemove(m1, m2))];
  fc.assert(
    fc.property(fc.constantFrom(...pool), fc.infiniteStream(fc.nat()), (record, randoms) => {
      const keys = Object.keys(record);
      const order = keys.map((k) => [k, randoms.next().value] as const).sort((a, b) => a[1] - b[1]);
      const shuffled = Object.fromEntries(
        order.map(([k]) => [k, record[k as keyof GroupRecord]]),
      ) as GroupRecord;
      assert.deepEqual(groupRecordBytes(shuffled), groupRecordBytes(record));
      const line = JSON.stringify(shuffled);
      const decoded = decodeGroupLine(line);
      assert.ok('record' in decoded, "'record' in decoded");
      assert.equal(groupSignatureProblem(decoded.record), undefined);
      assert.deepEqual(decoded.record, record);
    }),
    { numRuns: Math.ceil(fuzzRuns() / 50) },
  );
});

test('in any order and with any repeats, the same records give the same view (owner device, member device) and are kept the same', () => {
  // Removals, a compromised owner device and its removal, two owners removing each other, a chain of
  // a member's devices and a second group: records whose effect depends on others.
  const pool: GroupRecord[] = [
    ...lab,
    rec(o1, 1, owner(c, 'c')),
    rec(c, 2, device(x, 'x')),
    rec(c, 2, drop('device-drop', o3)),
    rec(o2, 2, drop('owner-remove', c)),
    rec(c, 3, drop('owner-remove', o2)),
    rec(o3, 3, drop('owner-remove', c)),
    rec(m2, 1, memberDevice(m1, m3, 'm3')),
    rec(m3, 1, memberDevice(m1, x, 'x')),
    rec(m1, 2, memberDeviceRemove(m1, m3)),
    rec(o1, 1, settings('ops', ['files'], OTHER_GROUP)),
    rec(o2, 1, member(n1, 'nia', OTHER_GROUP)),
    rec(o3, 2, del(OTHER_GROUP)),
    rec(o1, 2, settings('lab', ['terminal', 'forward'])),
    rec(o3, 2, settings('lab3', ['terminal'])),
  ];
  const expected = [onO2, onM1].map((anchors) => groupsView(pool, anchors));
  const all = planGroupExchange([], pool, onO2);
  assert.ok('plan' in all, "'plan' in all");
  const keptAll = all.plan.records;
  assert.deepEqual(
    expected[1]!.groups.map((g) => g.id),
    [GROUP],
    'the member device sees only the group it joined',
  );
  fc.assert(
    fc.property(
      fc.shuffledSubarray(pool, { minLength: pool.length, maxLength: pool.length }),
      fc.array(fc.constantFrom(...pool), { maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (order, repeats, at) => {
        const list = [...order];
        repeats.forEach((r, i) => list.splice((at[i] ?? 0) % (list.length + 1), 0, r));
        assert.deepEqual(groupsView(list, onO2), expected[0]);
        assert.deepEqual(groupsView(list, onM1), expected[1]);
        const kept = planGroupExchange([], list, onO2);
        assert.ok('plan' in kept, "'plan' in kept");
        assert.deepEqual(kept.plan.records, keptAll, 'the same records are kept, in the same order');
      },
    ),
    { numRuns: Math.ceil(fuzzRuns() / 50) },
  );
});

/** An addition and the removal of the same entry, and how to find the entry in the view. */
const pairs: {
  add: GroupDecision;
  remove: GroupDecision;
  signers: (typeof o1)[];
  present: (g: GroupView | undefined) => boolean;
}[] = [
  {
    add: device(x, 'x'),
    remove: drop('device-drop', x),
    signers: [o1, o2, o3],
    present: (g) => g?.devices.some((d) => d.fingerprint === x.fingerprint) === true,
  },
  {
    add: member(n1, 'nia'),
    remove: drop('member-remove', n1),
    signers: [o1, o2, o3],
    present: (g) => g?.members.some((m) => m.root === n1.fingerprint) === true,
  },
  {
    add: owner(c, 'c'),
    remove: drop('owner-remove', c),
    signers: [o1, o2, o3],
    present: (g) => g?.owners.some((d) => d.fingerprint === c.fingerprint) === true,
  },
  {
    add: memberDevice(m1, m3, 'm3'),
    remove: memberDeviceRemove(m1, m3),
    signers: [m1, m2],
    present: (g) => g?.members.some((m) => m.devices.some((d) => d.fingerprint === m3.fingerprint)) === true,
  },
  {
    add: settings('lab', ['terminal', 'files']),
    remove: del(),
    signers: [o1, o2, o3],
    present: (g) => g?.deleted === false,
  },
];

test('a removal always wins over an addition of the same entry with an older or equal seq', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...pairs),
      fc.integer({ min: 1, max: MAX_GROUP_SEQ }),
      fc.nat(),
      fc.nat(),
      fc.nat(),
      fc.boolean(),
      (pair, addSeq, later, addBy, removeBy, onMember) => {
        const removeSeq = addSeq + (later % (MAX_GROUP_SEQ - addSeq + 1));
        const add = rec(pair.signers[addBy % pair.signers.length]!, addSeq, pair.add);
        const remove = rec(pair.signers[removeBy % pair.signers.length]!, removeSeq, pair.remove);
        const anchors = onMember ? onM1 : onO2;
        const view = groupsView([...lab, add, remove], anchors);
        assert.equal(pair.present(view.groups[0]), false);
        assert.equal(pair.present(groupsView([...lab, add], anchors).groups[0]), true);
      },
    ),
    { numRuns: Math.ceil(fuzzRuns() / 50) },
  );
});

test('records signed by nobody who may sign them never change the view, nor what is kept', () => {
  // An outsider signs anything; a member signs what only owners may, or about another member's devices.
  const hostile: GroupRecord[] = [
    ...[x, m1, m2].flatMap((s) => [
      rec(s, 9, settings('lab', ['terminal', 'forward', 'files', 'relay'])),
      rec(s, 9, del()),
      rec(s, 9, device(x, 'x')),
      rec(s, 9, drop('device-drop', o2)),
      rec(s, 9, member(x, 'friend')),
      rec(s, 9, drop('member-remove', n1)),
      rec(s, 9, owner(x, 'x')),
      rec(s, 9, drop('owner-remove', o2)),
      rec(s, 9, memberDevice(n1, x, 'x')),
      rec(s, 9, memberDeviceRemove(n1, m3)),
    ]),
    rec(x, 9, memberDevice(m1, x, 'x')),
    rec(x, 9, memberDeviceRemove(m1, m2)),
  ];
  const base = [...lab, rec(o1, 1, member(n1, 'nia')), rec(n1, 1, memberDevice(n1, m3, 'm3'))];
  const kept = [onO2, onM1].map((anchors) => {
    const r = planGroupExchange([], base, anchors);
    assert.ok('plan' in r, "'plan' in r");
    return r.plan;
  });
  fc.assert(
    fc.property(fc.subarray(hostile, { minLength: 1 }), fc.boolean(), (some, onMember) => {
      const before = kept[onMember ? 1 : 0]!;
      const r = planGroupExchange(before.records, some, onMember ? onM1 : onO2);
      assert.ok('plan' in r, "'plan' in r");
      assert.deepEqual(r.plan.view, before.view);
      assert.equal(r.plan.changed, false);
    }),
    { numRuns: Math.ceil(fuzzRuns() / 50) },
  );
});
