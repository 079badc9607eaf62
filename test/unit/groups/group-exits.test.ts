/**
 * groups/group-exits.ts: who is owed the record that took its group access away. On a group's
 * device, each device of a removed member, for a few exchanges and a bounded time, and not once it
 * has its access back; on a member's device, the group's devices after its person left, and not
 * after the owner removed it (the owner's side knows).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileGroupBook, inMemoryGroupBook } from '../../../src-main/groups/group-book.js';
import {
  EXIT_TTL_MS,
  GroupExits,
  MAX_EXIT_EXCHANGES,
  type GroupExit,
  type GroupExitsBacking,
} from '../../../src-main/groups/group-exits.js';
import type { GroupRecord } from '../../../src-main/protocol/group-records.js';
import { GROUP, devices, drop, lab, member, rec } from '../../helpers/group-records.js';

async function on(
  self: 'o2' | 'm1',
  more: (d: Awaited<ReturnType<typeof devices>>) => GroupRecord[] = () => [],
  startAt = 1_000,
  backing?: GroupExitsBacking,
) {
  const d = await devices();
  const joined = self === 'm1' ? new Map([[GROUP, new Set([d.o1.fingerprint])]]) : new Map();
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records: [...lab(d).records, ...more(d)], joined }),
    identity: d[self],
    mine: () => (self === 'm1' ? [d.m2.fingerprint] : [d.o1.fingerprint, d.o3.fingerprint]),
  });
  let now = startAt;
  const exits = new GroupExits({
    view: () => book.view(),
    records: () => book.records(),
    anchors: () => book.anchors(),
    now: () => now,
    ...(backing ? { backing } : {}),
  });
  book.onChange(() => exits.follow());
  return { d, book, exits, later: (ms: number) => (now += ms) };
}

test("on a group's device, a removed member's devices are owed the news, a few exchanges and a week at most", async () => {
  const { d, book, exits, later } = await on('o2');
  assert.deepEqual(exits.list(), []);
  await book.decide([drop('member-remove', d.m1)]);
  assert.deepEqual(
    exits
      .list()
      .map((e) => [e.name, e.dial, e.left])
      .sort(),
    [
      ['mira/m2', false, MAX_EXIT_EXCHANGES],
      ['mira/mira', false, MAX_EXIT_EXCHANGES],
    ],
  );
  assert.ok(
    exits.recordsFor(d.m2.fingerprint).some((r) => r.kind === 'member-remove'),
    'M2 is sent the removal of its member',
  );
  assert.deepEqual(exits.toldOf(d.m1.fingerprint), [], 'owed the news: not refused yet');
  for (let i = 0; i < MAX_EXIT_EXCHANGES; i++) exits.spend(d.m1.fingerprint);
  assert.deepEqual(exits.of(d.m1.fingerprint), [], 'spent');
  assert.deepEqual(
    exits.toldOf(d.m1.fingerprint).map((e) => [e.groupName, e.left]),
    [['lab', 0]],
    'spent: refused as removed, not a stranger',
  );
  exits.delivered(d.m2.fingerprint);
  assert.deepEqual(exits.of(d.m2.fingerprint), [], 'delivered: owed nothing more');
  assert.equal(exits.toldOf(d.m2.fingerprint).length, 1, 'delivered: refused as removed');
  later(EXIT_TTL_MS);
  assert.deepEqual(exits.list(), [], 'past its time');
  assert.deepEqual(exits.toldOf(d.m1.fingerprint), [], 'past its time: a stranger again');
  exits.stop();
});

test('a member invited again is a guest as any other, owed nothing and refused for nothing', async () => {
  const { d, book, exits } = await on('o2');
  await book.decide([drop('member-remove', d.m1)]);
  exits.delivered(d.m1.fingerprint);
  await book.receive([rec(d.o1, 9, member(d.m1, 'mira'))]);
  assert.deepEqual(exits.of(d.m1.fingerprint), []);
  assert.deepEqual(exits.toldOf(d.m1.fingerprint), []);
  exits.stop();
});

test("on a member's device, the group's devices are owed its leave, and nothing after the owner's removal", async () => {
  const left = await on('m1');
  await left.book.decide([drop('member-remove', left.d.m1)]);
  assert.deepEqual(
    left.exits
      .list()
      .map((e) => [e.name, e.dial])
      .sort(),
    [
      ['o2', true],
      ['o3', true],
    ],
  );
  exitsDelivered(left.exits, left.d.o2.fingerprint);
  assert.deepEqual(
    left.exits.toldOf(left.d.o2.fingerprint),
    [],
    "a group's device that had the leave is no removed node",
  );
  left.exits.stop();

  const removed = await on('m1');
  await removed.book.receive([rec(removed.d.o1, 9, drop('member-remove', removed.d.m1))]);
  assert.deepEqual(removed.exits.list(), []);
  removed.exits.stop();
});

function exitsDelivered(exits: GroupExits, fp: string): void {
  exits.delivered(fp);
  assert.deepEqual(exits.of(fp), [], 'delivered: owed nothing more');
}

test('kept exits outlive a restart: still owed, spent as before, and dropped once the access is back', async () => {
  const kept: { exits: readonly GroupExit[]; saves: number } = { exits: [], saves: 0 };
  const backing = {
    load: () => kept.exits,
    save: (exits: readonly GroupExit[]) => {
      kept.exits = structuredClone(exits);
      kept.saves++;
    },
  };
  const { d, book, exits } = await on('o2', () => [], 1_000, backing);
  await book.decide([drop('member-remove', d.m1)]);
  exits.spend(d.m1.fingerprint);
  exits.stop();
  assert.deepEqual(
    kept.exits.map((e) => [e.name, e.left]).sort(),
    [
      ['mira/m2', MAX_EXIT_EXCHANGES],
      ['mira/mira', MAX_EXIT_EXCHANGES - 1],
    ],
    'saved as they changed',
  );

  const again = new GroupExits({
    view: () => book.view(),
    records: () => book.records(),
    anchors: () => book.anchors(),
    now: () => 2_000,
    backing,
  });
  assert.deepEqual(again.list(), kept.exits, 'started again: owed the same');
  const saves = kept.saves;
  again.follow();
  assert.equal(kept.saves, saves, 'nothing changed, nothing written');
  again.stop();

  const late = new GroupExits({
    view: () => book.view(),
    records: () => book.records(),
    anchors: () => book.anchors(),
    now: () => 1_000 + EXIT_TTL_MS,
    backing,
  });
  assert.deepEqual(late.list(), [], 'started past their time: owed nothing, and so kept');
  assert.deepEqual(kept.exits, [], 'the file forgets them');
  late.stop();

  const invited = await on('o2', () => [], 2_000);
  await invited.book.receive([rec(d.o1, 1, member(d.m1, 'mira'))]);
  const back = new GroupExits({
    view: () => invited.book.view(),
    records: () => invited.book.records(),
    anchors: () => invited.book.anchors(),
    now: () => 2_000,
    backing: { load: () => [{ ...exitOf(d.m1.fingerprint), until: 10_000 }], save: () => {} },
  });
  assert.deepEqual(back.of(d.m1.fingerprint), [], 'a device with its access back is owed nothing');
  back.stop();
  invited.exits.stop();
});

/** An exit as a file would keep it. */
function exitOf(fingerprint: string): GroupExit {
  return {
    fingerprint,
    group: GROUP,
    groupName: 'lab',
    name: 'mira/mira',
    root: fingerprint,
    dial: false,
    until: 0,
    left: 1,
  };
}
