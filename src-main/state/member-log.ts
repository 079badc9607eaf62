/**
 * The signed membership records this node keeps (ADR 0056, 0065): per device of the owner's,
 * the winning introduction or removal (protocol/member-records.ts), whoever decided it. They are what
 * this node received and keeps, not what its owner set, so they live apart from config.json, in
 * `members.json` in the home: restoring an old config.json (a backup, a copy from before a removal)
 * cannot make this node forget a removal, and start (introductions.ts applyKeptRemovals) removes a
 * peer the old file lists that a removal kept here says is gone, before anything listens.
 *
 * Each write is durable (home/durable-file.ts) and comes before the config.json write it goes with
 * (the peers and blocked nodes a decision changes), so a crash between the two leaves a record that
 * start brings config.json in line with. The file is checked when read: a record that does not parse
 * or whose signature does not hold is dropped with a warning; a file that is not JSON of this shape is
 * moved aside (`members.json.unreadable`) with a warning and the agent runs with the records config.json
 * still had, if any: the owner's other devices pass theirs on at the next link.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { Emitter } from '../core/emitter.js';
import { memberSignatureProblem } from '../crypto/member-signature.js';
import { replaceFileSync } from '../home/durable-file.js';
import { readKeptFile } from '../home/kept-file.js';
import {
  compareMemberRecords,
  MAX_MEMBER_RECORDS,
  memberRecord,
  type MemberRecord,
} from '../protocol/member-records.js';
import type { NodeState } from './node-state.js';
import { isoTime } from '../core/iso-time.js';

/** The file's name in the home. */
export const MEMBERS_FILE = 'members.json';

/** Where an unreadable members file is moved, so the next save does not overwrite what it held. */
export const UNREADABLE_MEMBERS_FILE = `${MEMBERS_FILE}.unreadable`;

/** One record as kept: the record, and when this node kept it (its own clock). */
export interface KeptRecord {
  record: MemberRecord;
  /**
   * When this node kept the record (ISO 8601, this node's clock): a peer in config.json added before
   * a removal was kept here predates it. Absent for records moved from an older config.json, which
   * already agreed with the peers saved beside them.
   */
  keptAt?: string;
}

// Made when the file is read (once, at start), not when this module loads (ADR 0073).
const fileSchema = () =>
  z.object({
    version: z.literal(1),
    records: z.array(z.unknown()).max(MAX_MEMBER_RECORDS * 4),
  });

const keptSchema = () =>
  z.object({
    record: memberRecord(),
    keptAt: z
      .string()
      .refine((t) => !Number.isNaN(Date.parse(t)))
      .optional(),
  });

/** Where the records are kept between runs: a file in the home, or memory (tests). */
export interface MemberLogBacking {
  load(): KeptRecord[];
  /** Saves durably. @throws the file system's error; nothing counts then. */
  save(records: readonly KeptRecord[]): void;
  /** Where, for messages. */
  readonly path?: string;
}

/** The file in `home`. `warn` says what was dropped or set aside when it is read. */
export function memberLogFile(home: string, warn: (line: string) => void): MemberLogBacking {
  const path = join(home, MEMBERS_FILE);
  return {
    path,
    load() {
      const entries =
        readKeptFile(
          path,
          join(home, UNREADABLE_MEMBERS_FILE),
          (json) => fileSchema().parse(json).records,
          warn,
          "without it — removals of the owner's devices kept only there are lost here until another device passes them on",
        ) ?? [];
      const kept: KeptRecord[] = [];
      const schema = keptSchema();
      for (const [i, entry] of entries.entries()) {
        const parsed = schema.safeParse(entry);
        const problem = parsed.success
          ? memberSignatureProblem(parsed.data.record)
          : parsed.error.issues[0]?.message;
        if (!parsed.success || problem) {
          warn(`${path}: record ${i + 1} dropped: ${problem ?? 'not a membership record'}`);
          continue;
        }
        kept.push(parsed.data.keptAt ? parsed.data : { record: parsed.data.record });
      }
      return kept;
    },
    save(records) {
      replaceFileSync(path, `${JSON.stringify({ version: 1, records }, null, 1)}\n`, 0o600);
    },
  };
}

/** Keeps nothing between runs. */
export function inMemoryMemberLog(initial: KeptRecord[] = []): MemberLogBacking {
  let saved = initial;
  return {
    load: () => saved,
    save: (records) => {
      saved = [...records];
    },
  };
}

/** `list` with only the winning record of each device (compareMemberRecords), first seen order. */
function winners(list: readonly KeptRecord[]): KeptRecord[] {
  const bySubject = new Map<string, KeptRecord>();
  for (const k of list) {
    const had = bySubject.get(k.record.subject);
    if (!had || compareMemberRecords(k.record, had.record) > 0) bySubject.set(k.record.subject, k);
  }
  return [...bySubject.values()];
}

/** The one owner of the kept records: read live, written here only, each write saved before it counts. */
export class MemberLog {
  private kept: KeptRecord[];
  private readonly events = new Emitter<{ change: [] }>();

  constructor(
    private readonly backing: MemberLogBacking = inMemoryMemberLog(),
    private readonly now: () => Date = () => new Date(),
  ) {
    this.kept = winners(backing.load()).slice(0, MAX_MEMBER_RECORDS);
  }

  /** Where they are kept, for messages. */
  get path(): string {
    return this.backing.path ?? 'the membership records';
  }

  /** Every record kept, one per device. */
  records(): MemberRecord[] {
    return this.kept.map((k) => k.record);
  }

  /** The records as kept, with when each was kept. */
  entries(): readonly KeptRecord[] {
    return this.kept;
  }

  /** Called after every saved change; returns a disposer. */
  subscribe(listener: () => void): () => void {
    return this.events.on('change', listener);
  }

  /**
   * Makes `records` (one per device: a membership plan's, or the log with one of this node's own
   * records) the kept ones; a record already kept keeps when it was kept.
   * @throws when it cannot be saved; nothing changes then
   */
  replace(records: readonly MemberRecord[]): void {
    const at = isoTime(this.now().getTime());
    const next = winners(
      records.map((record) => this.kept.find((k) => sameRecord(k.record, record)) ?? { record, keptAt: at }),
    );
    this.commit(next);
  }

  /**
   * Merges records by the same rule as records from peers (the winner per device stays), marked as
   * kept with no time: records moved from an older config.json, which agreed with the peers saved
   * beside them.
   * @returns whether anything changed
   */
  adopt(records: readonly MemberRecord[]): boolean {
    const all = winners([...this.kept, ...records.map((record): KeptRecord => ({ record }))]);
    // Past the cap (two lists of 256 about different devices): removals are what must not be lost.
    const next =
      all.length > MAX_MEMBER_RECORDS
        ? [
            ...all.filter((k) => k.record.kind === 'remove'),
            ...all.filter((k) => k.record.kind !== 'remove'),
          ].slice(0, MAX_MEMBER_RECORDS)
        : all;
    if (next.length === this.kept.length && next.every((k, i) => k === this.kept[i])) return false;
    this.commit(next);
    return true;
  }

  private commit(next: KeptRecord[]): void {
    const same =
      next.length === this.kept.length &&
      next.every((k) => this.kept.some((h) => h === k || sameRecord(h.record, k.record)));
    if (same) return;
    this.backing.save(next);
    this.kept = next;
    this.events.emit('change');
  }
}

function sameRecord(a: MemberRecord, b: MemberRecord): boolean {
  return a.subject === b.subject && a.sig === b.sig && compareMemberRecords(a, b) === 0;
}

/**
 * Moves the records an older release kept in config.json (`members`) into `log`, merged by the winner
 * rule (a removal kept here wins over an older introduction the file still had), then drops them from
 * config.json: members.json first, so a crash between the two writes loses nothing.
 * @returns how many records config.json had
 */
export function moveLegacyMembers(
  state: Pick<NodeState, 'get' | 'dropLegacyMembers'>,
  log: Pick<MemberLog, 'adopt'>,
): number {
  const legacy = state.get().members;
  if (legacy === undefined) return 0;
  // A copy for the log to keep as its own: what the settings hand out is read-only all the way down.
  log.adopt(structuredClone(legacy) as MemberRecord[]);
  state.dropLegacyMembers();
  return legacy.length;
}
