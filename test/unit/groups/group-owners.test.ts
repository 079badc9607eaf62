/**
 * groups/group-owners.ts: the records a node signs when its person's devices change — a device newly
 * mine is named an owner of each group the person owns, one that stops being mine gets an
 * `owner-remove` (and a `device-drop` where it was a device); on a member's device, its person's other
 * devices are named the member's, and one that stops being mine is taken out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { FileGroupBook, inMemoryGroupBook } from '../../../src-main/groups/group-book.js';
import { GroupOwners } from '../../../src-main/groups/group-owners.js';
import { GROUP, devices, drop, lab, member, rec } from '../../helpers/group-records.js';
import { until } from '../../helpers/wait.js';

const log = pino({ level: 'silent' });

test('a device that stops being mine loses its owner record and its place in the group', async () => {
  const d = await devices();
  const { records } = lab(d);
  let mine = new Map([
    [d.o1.fingerprint, 'o1'],
    [d.o2.fingerprint, 'o2'],
    [d.o3.fingerprint, 'o3'],
  ]);
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records, joined: new Map() }),
    identity: d.o1,
    mine: () => [...mine.keys()],
  });
  const owners = new GroupOwners({ book, mine: () => mine, log });
  mine = new Map([...mine, [d.c.fingerprint, 'c']]);
  owners.check();
  await until('c named an owner', () =>
    book.view().groups[0]?.owners.some((o) => o.fingerprint === d.c.fingerprint),
  );
  mine = new Map([...mine].filter(([fp]) => fp !== d.o3.fingerprint));
  owners.check();
  await until('o3 taken out', () => {
    const g = book.view().groups[0];
    return (
      g &&
      !g.owners.some((o) => o.fingerprint === d.o3.fingerprint) &&
      !g.devices.some((x) => x.fingerprint === d.o3.fingerprint)
    );
  });
  const kinds = book
    .records()
    .filter((r) => r.subject === d.o3.fingerprint && r.by === d.o1.fingerprint)
    .map((r) => r.kind);
  assert.deepEqual(kinds.sort(), ['device-drop', 'owner-remove']);
});

test("a member's device names its person's other devices, and takes out one that is no longer mine", async () => {
  const d = await devices();
  const { records } = lab(d);
  let mine = new Map([
    [d.m1.fingerprint, 'm1'],
    [d.m3.fingerprint, 'm3'],
  ]);
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records, joined: new Map([[GROUP, new Set([d.o1.fingerprint])]]) }),
    identity: d.m1,
    mine: () => [...mine.keys()],
  });
  const owners = new GroupOwners({ book, mine: () => mine, log });
  owners.check();
  const devicesOf = () =>
    book
      .view()
      .groups[0]?.members[0]?.devices.map((x) => x.name)
      .sort();
  await until('m3 named', () => devicesOf()?.includes('m3'));
  mine = new Map([[d.m1.fingerprint, 'm1']]);
  owners.check();
  await until('m3 taken out', () => devicesOf()?.includes('m3') === false);
  // M2 was never seen as mine here: it is left to the device that named it.
  assert.deepEqual(devicesOf(), ['m2', 'mira']);
});

test('a member invited again comes back with its other devices, not only the one that joined', async () => {
  const d = await devices();
  const { records } = lab(d);
  const mine = new Map([
    [d.m1.fingerprint, 'm1'],
    [d.m3.fingerprint, 'm3'],
  ]);
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records, joined: new Map([[GROUP, new Set([d.o1.fingerprint])]]) }),
    identity: d.m1,
    mine: () => [...mine.keys()],
  });
  const owners = new GroupOwners({ book, mine: () => mine, log });
  const devicesOf = () =>
    book
      .view()
      .groups[0]?.members.find((m) => m.root === d.m1.fingerprint)
      ?.devices.map((x) => x.name)
      .sort();
  owners.check();
  await until('m3 named', () => devicesOf()?.includes('m3'));

  // Removed: nothing this device signs counts, and it signs nothing.
  assert.equal(await book.receive([rec(d.o1, 2, drop('member-remove', d.m1))]), undefined);
  const signedBefore = book.records().filter((r) => r.by === d.m1.fingerprint).length;
  owners.check();
  await book.receive([]); // after the check's decisions, if it made any
  assert.equal(devicesOf(), undefined, 'no member m1 while removed');
  assert.equal(
    book.records().filter((r) => r.by === d.m1.fingerprint).length,
    signedBefore,
    'a removed member names no device',
  );

  // Invited again (the same device joins): M3 is named under the new invitation.
  assert.equal(await book.receive([rec(d.o1, 3, member(d.m1, 'mira'))]), undefined);
  owners.check();
  await until('m3 named again', () => devicesOf()?.includes('m3'));
  assert.deepEqual(devicesOf(), ['m3', 'mira']);
});
