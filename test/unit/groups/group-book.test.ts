/**
 * groups/group-book.ts: the group records and joined anchors kept in groups.json — decisions signed
 * here and kept, a join that anchors the inviter, what a member's device may be sent (the group's and
 * its own member's records, never another member's), read back after a restart, a bad record dropped
 * and an unreadable file set aside rather than overwritten.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  FileGroupBook,
  GROUPS_FILE,
  groupBookFile,
  inMemoryGroupBook,
  UNREADABLE_GROUPS_FILE,
} from '../../../src-main/groups/group-book.js';
import {
  GROUP,
  devices,
  drop,
  lab,
  member,
  memberDevice,
  rec,
  settings,
} from '../../helpers/group-records.js';

const home = () => mkdtempSync(join(tmpdir(), 'cb-group-book-'));

test('an owner device signs decisions, keeps them in groups.json and reads them back after a restart', async () => {
  const d = await devices();
  const dir = home();
  const warnings: string[] = [];
  const open = () =>
    new FileGroupBook({
      backing: groupBookFile(dir, (w) => warnings.push(w)),
      identity: d.o1,
      mine: () => [d.o2.fingerprint],
    });
  const book = open();
  let changes = 0;
  book.onChange(() => changes++);
  await book.decide([
    settings('lab'),
    { kind: 'device', group: GROUP, subject: d.o2.fingerprint, name: 'o2' },
  ]);
  assert.equal(changes, 1);
  const again = open();
  const g = again.view().groups[0];
  assert.equal(g?.name, 'lab');
  assert.equal(g?.role, 'owner');
  assert.deepEqual(
    g?.devices.map((x) => x.name),
    ['o2'],
  );
  assert.deepEqual(warnings, []);
});

test('a decision past a bound is refused and nothing is kept', async () => {
  const d = await devices();
  const backing = inMemoryGroupBook();
  const book = new FileGroupBook({ backing, identity: d.o1, mine: () => [] });
  await book.decide([settings('lab')]);
  const words = Array.from({ length: 17 }, (_, i) => `w${i}`);
  await assert.rejects(book.decide([settings('lab', words)]), /malformed/);
  assert.deepEqual(book.view().groups[0]?.allow, ['terminal']);
});

test('a join anchors the inviter; a member device is sent the group and its own member only', async () => {
  const d = await devices();
  const { records } = lab(d);
  const other = rec(d.o1, 1, member(d.n1, 'nina'));
  const ownerBook = new FileGroupBook({
    backing: inMemoryGroupBook({ records: [...records, other], joined: new Map() }),
    identity: d.o1,
    mine: () => [d.o2.fingerprint, d.o3.fingerprint],
  });
  const forM2 = ownerBook.recordsFor(d.m2.fingerprint);
  assert.ok(
    forM2.some((r) => r.kind === 'member' && r.subject === d.m1.fingerprint),
    'its member',
  );
  assert.ok(
    forM2.some((r) => r.kind === 'member-device' && r.subject === d.m2.fingerprint),
    'itself',
  );
  assert.ok(!forM2.some((r) => r.subject === d.n1.fingerprint), "another member's record is not sent");
  assert.deepEqual(ownerBook.recordsFor(d.x.fingerprint), [], 'an outsider gets nothing');
  assert.equal(ownerBook.recordsFor(d.o2.fingerprint).length, records.length + 1, 'an owner device gets all');

  const memberBook = new FileGroupBook({ backing: inMemoryGroupBook(), identity: d.m1, mine: () => [] });
  await memberBook.join(GROUP, d.o1.fingerprint, ownerBook.recordsFor(d.m1.fingerprint));
  const g = memberBook.view().groups[0];
  assert.equal(g?.role, 'member');
  assert.deepEqual(g?.devices.map((x) => x.name).sort(), ['o2', 'o3']);
});

test("a member removed is still sent the record that removed it; a hostile member's forgery is refused whole", async () => {
  const d = await devices();
  const { records } = lab(d);
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records, joined: new Map() }),
    identity: d.o1,
    mine: () => [],
  });
  await book.decide([drop('member-remove', d.m1)]);
  assert.ok(
    book.recordsFor(d.m1.fingerprint).some((r) => r.kind === 'member-remove'),
    'the removal',
  );

  const forged = { ...rec(d.o1, 9, memberDevice(d.m1, d.x, 'x')), name: 'altered' };
  const before = book.records().length;
  const refused = await book.receive([rec(d.m1, 5, settings('mine now')), forged]);
  assert.match(refused ?? '', /signature does not match/);
  assert.equal(book.records().length, before);
});

test('a bad record is dropped and an unreadable file is set aside, not overwritten', async () => {
  const d = await devices();
  const dir = home();
  const warnings: string[] = [];
  const { records } = lab(d);
  const bad = { ...records[1], name: 'altered' };
  writeFileSync(
    join(dir, GROUPS_FILE),
    JSON.stringify({ version: 1, records: [records[0], bad], joined: {} }),
  );
  const book = new FileGroupBook({
    backing: groupBookFile(dir, (w) => warnings.push(w)),
    identity: d.o1,
    mine: () => [],
  });
  assert.equal(book.records().length, 1);
  assert.match(warnings.join('\n'), /record 2 dropped/);

  writeFileSync(join(dir, GROUPS_FILE), '{not json');
  const after = new FileGroupBook({
    backing: groupBookFile(dir, (w) => warnings.push(w)),
    identity: d.o1,
    mine: () => [],
  });
  assert.deepEqual(after.records(), []);
  assert.equal(readFileSync(join(dir, UNREADABLE_GROUPS_FILE), 'utf8'), '{not json');
  assert.equal(existsSync(join(dir, GROUPS_FILE)), false);
});

test("a file's records are checked once, by its reader: the plan that follows checks none again", async () => {
  const d = await devices();
  const { records } = lab(d);
  // A backing that says it checked its records, and holds one whose signature does not: had the
  // book checked it again, it would have refused the file's records whole and kept them unplanned.
  const broken = { ...rec(d.o1, 2, settings('lab', ['terminal', 'forward'])), sig: records[1]!.sig };
  const backing = { ...inMemoryGroupBook({ records: [...records, broken], joined: new Map() }) };
  const trusting = new FileGroupBook({
    backing: { ...backing, checksSignatures: true },
    identity: d.o2,
    mine: () => [d.o1.fingerprint, d.o3.fingerprint],
  });
  // Planned: the broken settings record replaced the first.
  assert.equal(trusting.records().length, records.length, 'its records taken as checked, and planned');
  const checking = new FileGroupBook({
    backing,
    identity: d.o2,
    mine: () => [d.o1.fingerprint, d.o3.fingerprint],
  });
  assert.equal(
    checking.records().length,
    records.length + 1,
    'a backing that checks nothing: the plan refused',
  );
});
