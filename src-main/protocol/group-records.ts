/**
 * Group records: the signed decisions that make a group, one record per entry (docs/adr/0089-groups.md,
 * docs/protocol.md §Groups). A group is a named set of the owner's devices shared with members (other
 * people); each entry — the group's settings, one of its devices, one member, one owner device allowed
 * to sign, one more device of a member — has its own records, and per entry the one with the highest
 * (seq, removal over addition, signer) wins everywhere, as the membership records do
 * (protocol/member-records.ts), so an old record can never undo a removal.
 *
 * Each record is signed by the device whose person decided it (crypto/group-signature.ts) and carries
 * that device's certificate; who may sign what is decided in groups/group-view.ts. Records travel as JSON
 * lines of at most MAX_GROUP_LINE_BYTES. Pure: schema, limits, canonical bytes, order; nothing else.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import {
  canonicalBase64,
  decidedAtField,
  decodeRecordLine,
  encodeRecordLine,
  fingerprintField,
} from './signed-record-lines.js';
import { isValidNodeName } from '../core/names.js';
import { PERMISSION_WORD } from '../core/permissions.js';

/** The version of the records this side writes and reads. */
export const GROUPS_PROTOCOL_VERSION = 1;

/** Longest record line, in bytes without its newline (4 KiB): a certificate (~700 chars) and a few names. */
export const MAX_GROUP_LINE_BYTES = 4096;
/**
 * Most records one exchange (or one invitation) carries: one group's records at most (the bound of a
 * group's records is the same), so the exchanges of a later part go group by group.
 */
export const MAX_GROUP_RECORDS_PER_EXCHANGE = 1024;
/** Highest sequence number (2^31 - 1): far beyond what any person's decisions reach. */
export const MAX_GROUP_SEQ = 0x7fffffff;
/** Most permission words a group grants (16): every word a release knows fits, with room for newer ones. */
export const MAX_GROUP_ALLOW_WORDS = 16;
/** What a group grants its members when the owner said nothing else: a terminal, as the issue asks. */
export const DEFAULT_GROUP_ALLOW: readonly string[] = ['terminal'];
/** Largest signer certificate, in base64 characters (an identity certificate is ~650). */
const MAX_CERT_CHARS = 4000;

/** A group's id: 16 random bytes in lowercase hex, chosen by the owner device that created it. */
export const GROUP_ID = /^[0-9a-f]{32}$/;

/** The kinds of record, each an addition or the removal that beats it at the same seq. */
export const GROUP_RECORD_KINDS = [
  'settings',
  'delete',
  'device',
  'device-drop',
  'member',
  'member-remove',
  'owner',
  'owner-remove',
  'member-device',
  'member-device-remove',
] as const;
export type GroupRecordKind = (typeof GROUP_RECORD_KINDS)[number];

/** The kinds that take something away: at the same seq they win over the addition of the same entry. */
const REMOVALS: ReadonlySet<GroupRecordKind> = new Set([
  'delete',
  'device-drop',
  'member-remove',
  'owner-remove',
  'member-device-remove',
]);

/** True for a removal kind (`delete`, `device-drop`, `member-remove`, `owner-remove`, `member-device-remove`). */
export function isGroupRemoval(kind: GroupRecordKind): boolean {
  return REMOVALS.has(kind);
}

/** Which list of a group an entry belongs to: one per pair of kinds. */
export type GroupSlot = 'group' | 'device' | 'member' | 'owner' | 'member-device';

const SLOTS: Readonly<Record<GroupRecordKind, GroupSlot>> = {
  settings: 'group',
  delete: 'group',
  device: 'device',
  'device-drop': 'device',
  member: 'member',
  'member-remove': 'member',
  owner: 'owner',
  'owner-remove': 'owner',
  'member-device': 'member-device',
  'member-device-remove': 'member-device',
};

/** The list a record's entry is in. */
export function groupSlot(kind: GroupRecordKind): GroupSlot {
  return SLOTS[kind];
}

// The schemas are made on use (core/made-on-use.ts, ADR 0073): groups are read when devices exchange
// them or the agent reads its files, not all day.
const groupId = () => z.string().regex(GROUP_ID, 'must be 32 lowercase hex characters');
const name = () =>
  z.string().max(200).refine(isValidNodeName, 'must be a name (1 to 64 bytes, no control characters)');

const fields = () => ({
  v: z.literal(GROUPS_PROTOCOL_VERSION),
  /** The group the record belongs to. */
  group: groupId(),
  seq: z.number().int().min(1).max(MAX_GROUP_SEQ),
  /** The device whose person decided it, and its certificate (base64 DER; SHA-256 of it is `by`). */
  by: fingerprintField(),
  byCert: canonicalBase64(MAX_CERT_CHARS),
  /** When it was decided (ISO 8601), for people: order comes from `seq` alone. */
  at: decidedAtField(),
  /** ECDSA P-256 signature (r‖s, base64) over groupRecordBytes. */
  sig: canonicalBase64(100),
});

const allow = () =>
  z
    .array(z.string().regex(PERMISSION_WORD, 'must be a permission word'))
    .max(MAX_GROUP_ALLOW_WORDS)
    .refine((words) => new Set(words).size === words.length, 'must name each word once');

const settingsSchema = () =>
  z
    .object({ ...fields(), kind: z.literal('settings'), subject: groupId(), name: name(), allow: allow() })
    .strict();
const deleteSchema = () => z.object({ ...fields(), kind: z.literal('delete'), subject: groupId() }).strict();
const namedSchema = () =>
  z
    .object({
      ...fields(),
      kind: z.enum(['device', 'member', 'owner']),
      subject: fingerprintField(),
      name: name(),
    })
    .strict();
const dropSchema = () =>
  z
    .object({
      ...fields(),
      kind: z.enum(['device-drop', 'member-remove', 'owner-remove']),
      subject: fingerprintField(),
    })
    .strict();
const memberDeviceSchema = () =>
  z
    .object({
      ...fields(),
      kind: z.literal('member-device'),
      subject: fingerprintField(),
      /** The member (the root device that accepted the invitation) this device belongs to. */
      member: fingerprintField(),
      name: name(),
    })
    .strict();
const memberDeviceRemoveSchema = () =>
  z
    .object({
      ...fields(),
      kind: z.literal('member-device-remove'),
      subject: fingerprintField(),
      member: fingerprintField(),
    })
    .strict();

/** A group record, made on use: the kinds above, with the checks across fields. */
export const groupRecord = madeOnUse(() =>
  z
    .discriminatedUnion('kind', [
      settingsSchema(),
      deleteSchema(),
      namedSchema(),
      dropSchema(),
      memberDeviceSchema(),
      memberDeviceRemoveSchema(),
    ])
    .superRefine((r, ctx) => {
      if (groupSlot(r.kind) === 'group' && r.subject !== r.group)
        ctx.addIssue({ code: 'custom', path: ['subject'], message: 'must be the group id' });
      if ('member' in r && r.member === r.subject)
        ctx.addIssue({
          code: 'custom',
          path: ['subject'],
          message: "must not be the member's root device (it is the member's by being the member)",
        });
    }),
);

/** One signed group record. */
export type GroupRecord = z.infer<ReturnType<typeof groupRecord>>;
export type SettingsRecord = z.infer<ReturnType<typeof settingsSchema>>;
export type MemberDeviceRecord = z.infer<ReturnType<typeof memberDeviceSchema>>;
/** A record before it is signed. */
export type UnsignedGroupRecord = GroupRecord extends infer R
  ? R extends GroupRecord
    ? Omit<R, 'sig'>
    : never
  : never;

/**
 * The entry a record decides: its group, its list, the member it belongs to (member devices only) and
 * its subject. One record per entry wins.
 */
export function groupEntryKey(
  r: Pick<GroupRecord, 'group' | 'kind' | 'subject'> & { member?: string },
): string {
  return `${r.group} ${groupSlot(r.kind)} ${r.member ?? '-'} ${r.subject}`;
}

/**
 * Separates these signatures from every other use of the identity key, membership records' included:
 * a signed introduction can never be read as a group record, nor the other way round.
 */
export const GROUP_RECORD_CONTEXT = 'clawbridge group record v1';

/**
 * The bytes a record's signature covers: every field but `sig`, in a fixed order, so the same record
 * gives the same bytes on every node whatever order its JSON keys came in. Pure (no Buffer): the
 * browser node signs and checks with it too.
 */
export function groupRecordBytes(r: UnsignedGroupRecord): Uint8Array {
  const common: unknown[] = [r.v, r.group, r.kind, r.subject, r.seq, r.by, r.byCert, r.at];
  const rest: unknown[] =
    r.kind === 'settings'
      ? [r.name, r.allow]
      : r.kind === 'device' || r.kind === 'member' || r.kind === 'owner'
        ? [r.name]
        : r.kind === 'member-device'
          ? [r.member, r.name]
          : r.kind === 'member-device-remove'
            ? [r.member]
            : [];
  return new TextEncoder().encode(JSON.stringify([...common, ...rest]));
}

/**
 * Which of two records about one entry wins: the higher seq; at the same seq a removal; then the higher
 * signer fingerprint; then the greater signature, so that even two different records one signer made
 * with the same seq settle the same way on every device, whatever order they came in. Positive when `a`
 * wins, 0 only for the same record.
 */
export function compareGroupRecords(a: GroupRecord, b: GroupRecord): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  const rank = (r: GroupRecord) => (isGroupRemoval(r.kind) ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (a.by !== b.by) return a.by < b.by ? -1 : 1;
  return a.sig < b.sig ? -1 : a.sig > b.sig ? 1 : 0;
}

/** One line as sent: the record's JSON and a newline. */
export function encodeGroupRecord(r: GroupRecord): Uint8Array {
  return encodeRecordLine(r);
}

/** One received line (without its newline) as a record, or why it is none. Never throws. */
export function decodeGroupLine(line: string): { record: GroupRecord } | { problem: string } {
  return decodeRecordLine(line, MAX_GROUP_LINE_BYTES, groupRecord());
}
