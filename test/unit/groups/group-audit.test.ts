/**
 * groups/group-audit.ts: each change of a group that takes effect on a device is one `group-change` line of
 * its audit log, with the device that signed it (`by`) and the device it is about (`peer`): on the
 * owner's devices the group's whole life (created, words, devices, members removed or leaving,
 * deleted), on a member's device its join once (not the group's past) and what follows. What a
 * device already held is not written again; a line is one the log's reader keeps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditEventSchema, type AuditInput } from '../../../src-main/audit/audit-events.js';
import { auditGroups, groupAuditEvents } from '../../../src-main/groups/group-audit.js';
import { FileGroupBook, inMemoryGroupBook } from '../../../src-main/groups/group-book.js';
import { groupsView } from '../../../src-main/groups/group-view.js';
import type { GroupRecord } from '../../../src-main/protocol/group-records.js';
import { del, device, devices, drop, lab, member, rec, settings } from '../../helpers/group-records.js';
// The domains' audit kinds, as the agent and `log` read them.
import '../../helpers/agent-contract.js';

/** What each line says, in short: `change by → peer @group`. */
const said = (events: AuditInput[]) =>
  events.map((e) => {
    const f = e as unknown as {
      change: string;
      by: { name: string };
      peer?: { name: string };
      group?: string;
    };
    return `${f.change} by ${f.by.name}${f.peer ? ` → ${f.peer.name}` : ''} @${f.group}`;
  });

test("the owner's device records the group's life, each line with who signed it", async () => {
  const d = await devices();
  const { records, onO2 } = lab(d);
  const names = new Map(Object.entries(d).map(([n, id]) => [id.fingerprint, n]));
  const noNames = (fp: string) => names.get(fp);
  let before: GroupRecord[] = [];
  const step = (added: GroupRecord[]) => {
    const after = [...before, ...added];
    const events = groupAuditEvents(before, after, groupsView(after, onO2), noNames);
    before = after;
    for (const e of events)
      assert.ok(
        auditEventSchema().safeParse({ time: '2026-11-28T10:00:00.000Z', ...e }).success,
        `a line the reader keeps: ${JSON.stringify(e)}`,
      );
    return said(events);
  };
  assert.deepEqual(step(records.slice(0, 1)), ['created by o1 @lab']);
  assert.deepEqual(step(records.slice(1, 7)).sort(), [
    'device-added by o1 → o2 @lab',
    'device-added by o1 → o3 @lab',
    'member-added by o1 → mira @lab',
    'owner-added by o1 → o1 @lab',
    'owner-added by o1 → o2 @lab',
    'owner-added by o1 → o3 @lab',
  ]);
  assert.deepEqual(step([rec(d.o2, 2, settings('lab', ['terminal', 'forward']))]), ['allowed by o2 @lab']);
  assert.deepEqual(step([rec(d.o1, 3, settings('bench', ['terminal', 'forward']))]), [
    'renamed by o1 @bench',
  ]);
  assert.deepEqual(step([rec(d.o1, 2, drop('device-drop', d.o3))]), ['device-dropped by o1 → o3 @bench']);
  assert.deepEqual(
    step([rec(d.o1, 2, drop('member-remove', d.m1))]),
    ['member-removed by o1 → mira @bench'],
    'the removed member keeps its name',
  );
  assert.deepEqual(step([rec(d.o1, 4, del())]), ['deleted by o1 @bench']);
  assert.deepEqual(step([]), [], 'nothing new, nothing written');
});

test('a member leaving is told apart from one removed', async () => {
  const d = await devices();
  const { records, onO2 } = lab(d);
  const after = [...records, rec(d.m1, 2, drop('member-remove', d.m1))];
  assert.deepEqual(said(groupAuditEvents(records, after, groupsView(after, onO2), () => undefined)), [
    'member-left by mira → mira @lab',
  ]);
});

test("a member's device writes that it joined, once, and not the group's past; then what follows", async () => {
  const d = await devices();
  const { records, onM1 } = lab(d);
  const names = (fp: string) => (fp === d.o1.fingerprint ? 'o1' : undefined);
  const joined = groupAuditEvents([], records, groupsView(records, onM1), names);
  assert.deepEqual(said(joined), ['joined by o1 @lab']);
  // O3 added again (after a drop, say: a new record of its entry) and the words taken away.
  const after = [...records, rec(d.o1, 2, device(d.o3, 'o3')), rec(d.o1, 2, settings('lab', []))];
  assert.deepEqual(said(groupAuditEvents(records, after, groupsView(after, onM1), names)).sort(), [
    'allowed by o1 @lab',
    'device-added by o1 → o3 @lab',
  ]);
});

test('from a book: what it held at the start is not written again; a decision made there is', async () => {
  const d = await devices();
  const { records } = lab(d);
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records: records.slice(0, 7), joined: new Map() }),
    identity: d.o1,
    mine: () => [d.o2.fingerprint, d.o3.fingerprint],
  });
  const lines: AuditInput[] = [];
  const off = auditGroups(book, { record: (e) => lines.push(e) }, () => undefined);
  await book.decide([member(d.m2, 'max')]);
  off();
  assert.deepEqual(said(lines), ['member-added by o1 → max @lab']);
});
