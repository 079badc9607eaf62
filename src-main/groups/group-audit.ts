/**
 * What the audit log records of groups (docs/security.md §Audit log): each change of a group that
 * takes effect on this device — created, renamed, its words set, a device added or dropped, a member
 * added, removed or leaving, an owner device named or taken away, deleted — one `group-change` line, with
 * the device that signed it (`by`) and the device it is about (`peer`). Read from the records, not
 * from the commands: a change comes to each device concerned (the owner's, the group's, the
 * member's) as records, whoever decided it and wherever, so each writes it when it arrives there,
 * and the owner's device that decided it when it signed it. A member's device that first has a
 * group writes that it joined, not the group's history. Listening only, as app/audit-hooks.ts.
 */
import type { AuditInput } from '../audit/audit-events.js';
import type { Disposer } from '../core/emitter.js';
import { compareGroupRecords, groupEntryKey, type GroupRecord } from '../protocol/group-records.js';
import type { GroupsView, GroupView } from './group-view.js';
import type { GroupAuditChange } from './groups-contract.js';

/** Where the lines go (audit/audit-writer.ts AuditSink). */
export interface GroupAuditSink {
  record(event: AuditInput): void;
}

/** Per entry, the record that wins it among `records`. */
function winners(records: readonly GroupRecord[]): Map<string, GroupRecord> {
  const out = new Map<string, GroupRecord>();
  for (const r of records) {
    const key = groupEntryKey(r);
    const had = out.get(key);
    if (!had || compareGroupRecords(r, had) > 0) out.set(key, r);
  }
  return out;
}

const short = (fp: string) => fp.slice(0, 8);

/** A device's name as `view` (or this node's peers, `nameOf`) knows it; its short fingerprint else. */
function deviceName(view: GroupsView, fp: string, nameOf: (fp: string) => string | undefined): string {
  for (const g of view.groups) {
    const named =
      g.owners.find((d) => d.fingerprint === fp) ??
      g.devices.find((d) => d.fingerprint === fp) ??
      g.members.flatMap((m) => m.devices).find((d) => d.fingerprint === fp);
    if (named) return named.name;
  }
  return nameOf(fp) ?? short(fp);
}

/** Whether this device is one of a member's there (it joined `g`, rather than its person owning it). */
function joinedHere(g: GroupView | undefined): boolean {
  return g?.role === 'member';
}

/**
 * The lines for what changed from `before` to `after` (the records this device keeps), named as
 * `view` (after) names groups and devices. Pure.
 */
export function groupAuditEvents(
  before: readonly GroupRecord[],
  after: readonly GroupRecord[],
  view: GroupsView,
  nameOf: (fp: string) => string | undefined,
): AuditInput[] {
  const was = winners(before);
  const now = winners(after);
  const knownGroups = new Set(before.map((r) => r.group));
  const out: AuditInput[] = [];
  const joined = new Set<string>();
  for (const [key, r] of now) {
    const prev = was.get(key);
    if (prev?.sig === r.sig) continue;
    const g = view.groups.find((x) => x.id === r.group);
    // A deleted group is named by the settings its deletion beat.
    const group =
      r.kind === 'settings'
        ? r.name
        : r.kind === 'delete' && prev?.kind === 'settings'
          ? prev.name
          : (g?.name ?? short(r.group));
    // A member that left signed its own removal, and is named by the entry it left.
    const byName = r.by === r.subject && prev && 'name' in prev ? prev.name : deviceName(view, r.by, nameOf);
    const by = { name: byName, fingerprint: r.by };
    const line = (change: GroupAuditChange, what: string, subject?: string, reason?: string): void => {
      out.push({
        kind: 'group-change',
        change,
        by,
        group,
        ...(subject ? { peer: { name: subjectName, fingerprint: subject } } : {}),
        what,
        outcome: 'ok',
        ...(reason ? { reason } : {}),
      });
    };
    // A group new to a member's device came with its whole past: it joined, once.
    if (!knownGroups.has(r.group) && joinedHere(g)) {
      if (!joined.has(r.group)) {
        joined.add(r.group);
        const inviter = [...now.values()].find(
          (x) => x.group === r.group && x.kind === 'member' && g?.members.some((m) => m.root === x.subject),
        );
        out.push({
          kind: 'group-change',
          change: 'joined',
          by: inviter ? { name: deviceName(view, inviter.by, nameOf), fingerprint: inviter.by } : by,
          group,
          what: `joined group ${group}`,
          outcome: 'ok',
        });
      }
      continue;
    }
    // A removal names no one: the addition it beat had the name.
    const subjectName =
      'name' in r ? r.name : prev && 'name' in prev ? prev.name : deviceName(view, r.subject, nameOf);
    switch (r.kind) {
      case 'settings': {
        if (prev?.kind !== 'settings') {
          line('created', `group ${r.name} created`, undefined, `members may: ${words(r.allow)}`);
          break;
        }
        if (prev.name !== r.name) line('renamed', `group ${prev.name} renamed ${r.name}`);
        if (words(prev.allow) !== words(r.allow))
          line('allowed', `members may: ${words(r.allow)}`, undefined, `before: ${words(prev.allow)}`);
        break;
      }
      case 'delete':
        line('deleted', `group ${group} deleted`);
        break;
      case 'device':
        line('device-added', `device ${subjectName} added`, r.subject);
        break;
      case 'device-drop':
        line('device-dropped', `device ${subjectName} dropped`, r.subject);
        break;
      case 'member':
        line('member-added', `member ${subjectName} added`, r.subject);
        break;
      case 'member-remove':
        if (r.by === r.subject) line('member-left', `member ${subjectName} left`, r.subject);
        else line('member-removed', `member ${subjectName} removed`, r.subject);
        break;
      case 'member-device':
        line('member-device-added', `member's device ${subjectName} added`, r.subject);
        break;
      case 'member-device-remove':
        line('member-device-removed', `member's device ${subjectName} removed`, r.subject);
        break;
      case 'owner':
        line('owner-added', `owner device ${subjectName} may sign for the group`, r.subject);
        break;
      case 'owner-remove':
        line('owner-removed', `owner device ${subjectName} may no longer sign for the group`, r.subject);
        break;
    }
  }
  return out;
}

function words(allow: readonly string[]): string {
  return allow.length > 0 ? allow.join(', ') : 'nothing';
}

/** What the group lines are read from: the book this device keeps (group-book.ts). */
export interface GroupAuditBook {
  records(): GroupRecord[];
  view(): GroupsView;
  onChange(listener: () => void): Disposer;
}

/**
 * Writes a line into `sink` for each change of the book from now on (what it holds now is the past:
 * a restart writes nothing again). `nameOf`: a device's name among this node's peers.
 */
export function auditGroups(
  book: GroupAuditBook,
  sink: GroupAuditSink,
  nameOf: (fp: string) => string | undefined,
): Disposer {
  let seen = book.records();
  return book.onChange(() => {
    const next = book.records();
    const events = groupAuditEvents(seen, next, book.view(), nameOf);
    seen = next;
    for (const e of events) sink.record(e);
  });
}
