/**
 * The groups follow "my devices" (docs/adr/0089-groups.md, ADR 0092): records this node signs when
 * its person's devices change, so nobody has to run a command on each group.
 *
 * - In a group this person owns: a device newly marked mine is named an `owner` (members' devices
 *   then accept its decisions); a device that stops being mine here (removed, unmarked) gets an
 *   `owner-remove` and, where it was one of the group's devices, a `device-drop` — the recovery from a
 *   compromised owner device the ADR describes, reaching members' devices as any record does.
 * - In a group this person joined: each device of this person's not yet the member's is named with a
 *   `member-device` record (the member's other devices join with it, without the owner); one that
 *   stops being mine gets a `member-device-remove`.
 * Only a change seen here signs a removal: a device this node never counted as mine is left to the
 * device that did. An addition that does not count is not signed again while its member's invitation
 * stands; a new one (the member removed, then invited again, whichever device joins) names them again,
 * so the person comes back with all their devices, not only the one that met the code.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../core/errors.js';
import { compareGroupRecords, type GroupRecord } from '../protocol/group-records.js';
import type { GroupDecision } from './group-decisions.js';
import type { GroupStore } from './group-book.js';

export interface GroupOwnersDeps {
  book: GroupStore;
  /** This node's person's devices now, with the names this node knows them by (this node included). */
  mine(): ReadonlyMap<string, string>;
  log: Pick<Logger, 'warn'>;
}

export class GroupOwners {
  private before: ReadonlyMap<string, string>;
  private running = false;
  private again = false;
  /**
   * Additions signed this run, each with the invitation it was signed under (memberSince): one that
   * does not count (the view refuses it, a device left by itself) is not signed again under it.
   */
  private readonly signed = new Set<string>();

  constructor(private readonly deps: GroupOwnersDeps) {
    this.before = deps.mine();
  }

  /** Looks at the devices again (call on every change of peers or records). */
  check(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.decide()
      .catch((err: unknown) =>
        this.deps.log.warn(`group records for my devices not signed: ${errorMessage(err)}`),
      )
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }

  private async decide(): Promise<void> {
    const mine = this.deps.mine();
    const gone = [...this.before.keys()].filter((fp) => !mine.has(fp));
    this.before = mine;
    const self = this.deps.book.anchors().self;
    const decisions: GroupDecision[] = [];
    for (const g of this.deps.book.view().groups) {
      if (g.deleted) continue;
      if (g.role === 'owner') {
        for (const [fp, name] of mine)
          if (!g.owners.some((o) => o.fingerprint === fp))
            decisions.push({ kind: 'owner', group: g.id, subject: fp, name });
        for (const fp of gone) {
          if (g.owners.some((o) => o.fingerprint === fp))
            decisions.push({ kind: 'owner-remove', group: g.id, subject: fp });
          if (g.devices.some((d) => d.fingerprint === fp))
            decisions.push({ kind: 'device-drop', group: g.id, subject: fp });
        }
        continue;
      }
      const member = g.members.find((m) => m.devices.some((d) => d.fingerprint === self));
      if (!member) continue;
      const ownersSide = new Set([...g.devices, ...g.owners].map((d) => d.fingerprint));
      for (const [fp, name] of mine)
        if (!member.devices.some((d) => d.fingerprint === fp) && !ownersSide.has(fp))
          decisions.push({ kind: 'member-device', group: g.id, subject: fp, member: member.root, name });
      for (const fp of gone)
        if (fp !== member.root && member.devices.some((d) => d.fingerprint === fp))
          decisions.push({ kind: 'member-device-remove', group: g.id, subject: fp, member: member.root });
    }
    const records = this.deps.book.records();
    const fresh = decisions.filter((d) => {
      if (d.kind !== 'owner' && d.kind !== 'member-device') return true;
      const since = d.kind === 'member-device' ? memberSince(records, d.group, d.member) : '';
      const key = `${d.group} ${d.kind} ${d.subject} ${since}`;
      if (this.signed.has(key)) return false;
      this.signed.add(key);
      return true;
    });
    if (fresh.length > 0) await this.deps.book.decide(fresh);
  }
}

/**
 * Which invitation of `root` in `group` stands: the signature of the winning `member` record of it
 * kept here, new each time the member is invited again.
 */
function memberSince(records: readonly GroupRecord[], group: string, root: string): string {
  let best: GroupRecord | undefined;
  for (const r of records)
    if (r.group === group && r.kind === 'member' && r.subject === root)
      if (!best || compareGroupRecords(r, best) > 0) best = r;
  return best?.sig ?? '';
}
