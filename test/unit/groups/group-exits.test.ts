/**
 * groups/group-exits.ts: who is owed the record that took its group access away. On a group's
 * device, each device of a removed member, for a few exchanges and a bounded time, and not once it
 * has its access back; on a member's device, the group's devices after its person left, and not
 * after the owner removed it (the owner's side knows).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileGroupBook, inMemoryGroupBook } from '../../../src-main/groups/group-book.js';
import { EXIT_TTL_MS, GroupExits, MAX_EXIT_EXCHANGES } from '../../../src-main/groups/group-exits.js';
import { GROUP, devices, drop, lab, member, rec } from '../../helpers/group-records.js';

async function on(self: 'o2' | 'm1') {
  const d = await devices();
  const joined = self === 'm1' ? new Map([[GROUP, new Set([d.o1.fingerprint])]]) : new Map();
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records: lab(d).records, joined }),
    identity: d[self],
    mine: () => (self === 'm1' ? [d.m2.fingerprint] : [d.o1.fingerprint, d.o3.fingerprint]),
  });
  let now = 1_000;
  const exits = new GroupExits({
    view: () => book.view(),
    records: () => book.records(),
    anchors: () => book.anchors(),
    now: () => now,
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
  for (let i = 0; i < MAX_EXIT_EXCHANGES; i++) exits.spend(d.m1.fingerprint);
  assert.deepEqual(exits.of(d.m1.fingerprint), [], 'spent');
  later(EXIT_TTL_MS);
  assert.deepEqual(exits.list(), [], 'past its time');
  exits.stop();
});

test('a member invited again is a guest as any other, owed nothing', async () => {
  const { d, book, exits } = await on('o2');
  await book.decide([drop('member-remove', d.m1)]);
  await book.receive([rec(d.o1, 9, member(d.m1, 'mira'))]);
  assert.deepEqual(exits.of(d.m1.fingerprint), []);
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
