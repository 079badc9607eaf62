/**
 * Membership records: what one of "my devices" tells another about the owner's other devices
 * (docs/adr/0056-my-devices.md, docs/protocol.md §Members). An `intro` says "this node is one
 * of my devices" (its fingerprint, name, direct addresses and home relay); a `remove` says "it no longer
 * is". Each is signed by the node whose owner made the decision (crypto/member-signature.ts), carries
 * that node's certificate so any member can check it, and a per-device sequence number: for one
 * device the record with the highest (seq, kind, signer) wins everywhere, a removal over an
 * introduction of the same seq, so an old introduction can never undo a removal.
 *
 * On the wire (the `members` service, pairing/introductions.ts) records travel as JSON lines,
 * each at most MAX_MEMBER_LINE_BYTES. Pure: schema, limits, canonical bytes, order; nothing else.
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
import { dialAddressProblem } from '../core/host-port.js';

/** The service a member opens on another member to exchange records. */
export const MEMBERS_SERVICE = 'members';
/** The version this side speaks. */
export const MEMBERS_PROTOCOL_VERSION = 1;
/** The mux OPEN arguments of a `members` stream. */
export const MEMBERS_OPEN_ARGS = { v: MEMBERS_PROTOCOL_VERSION } as const;

/** Longest record line, in bytes without its newline (4 KiB): a certificate (~700 chars) and a few addresses. */
export const MAX_MEMBER_LINE_BYTES = 4096;
/**
 * Most records one node keeps and one exchange carries (256): one per device the owner has or had;
 * a longer list is refused whole.
 */
export const MAX_MEMBER_RECORDS = 256;
/** Most direct addresses one introduction names (8): the best few are enough to dial. */
export const MAX_INTRO_ADDRESSES = 8;
/** Largest signer certificate, in base64 characters (an identity certificate is ~650). */
const MAX_CERT_CHARS = 4000;
/** Highest sequence number (2^31 - 1): far beyond what any owner's decisions reach. */
export const MAX_MEMBER_SEQ = 0x7fffffff;

// The schemas are made on use (core/made-on-use.ts, ADR 0073): records are read when the owner's
// devices exchange them or the agent reads its files, not all day.

const fields = () => ({
  v: z.literal(MEMBERS_PROTOCOL_VERSION),
  /** The device the record is about. */
  subject: fingerprintField(),
  seq: z.number().int().min(1).max(MAX_MEMBER_SEQ),
  /** The node whose owner decided it, and its certificate (base64 DER; SHA-256 of it is `by`). */
  by: fingerprintField(),
  byCert: canonicalBase64(MAX_CERT_CHARS),
  /** When it was decided (ISO 8601), for people: order comes from `seq` alone. */
  at: decidedAtField(),
  /** ECDSA P-256 signature (r‖s, base64) over memberRecordBytes. */
  sig: canonicalBase64(100),
});

const introSchema = () =>
  z
    .object({
      ...fields(),
      kind: z.literal('intro'),
      /** The name the introducer knows it by (normalised and made unique by whoever adds it). */
      name: z.string().max(200).refine(isValidNodeName, 'must be a node name'),
      addresses: z
        .array(z.string().refine((a) => dialAddressProblem(a) === undefined, 'must be a dialable HOST:PORT'))
        .max(MAX_INTRO_ADDRESSES),
      homeRelay: z
        .object({
          url: z
            .string()
            .max(300)
            .regex(/^wss?:\/\/[^\s/]+/, 'must be a ws:// or wss:// URL'),
          fingerprint: fingerprintField().optional(),
        })
        .strict()
        .optional(),
    })
    .strict();

const removeSchema = () => z.object({ ...fields(), kind: z.literal('remove') }).strict();

/** A membership record, made on use. */
export const memberRecord = madeOnUse(() => z.discriminatedUnion('kind', [introSchema(), removeSchema()]));
export type MemberRecord = z.infer<ReturnType<typeof memberRecord>>;
export type IntroRecord = z.infer<ReturnType<typeof introSchema>>;
export type RemoveRecord = z.infer<ReturnType<typeof removeSchema>>;
/** A record before it is signed. */
export type UnsignedMemberRecord = Omit<IntroRecord, 'sig'> | Omit<RemoveRecord, 'sig'>;

/**
 * The bytes a record's signature covers: every field but `sig`, in a fixed order, so the same record
 * gives the same bytes on every node whatever order its JSON keys came in.
 */
export function memberRecordBytes(r: UnsignedMemberRecord): Uint8Array {
  const common = [r.v, r.kind, r.subject, r.seq, r.by, r.byCert, r.at];
  const rest =
    r.kind === 'intro'
      ? [r.name, r.addresses, r.homeRelay ? [r.homeRelay.url, r.homeRelay.fingerprint ?? null] : null]
      : [];
  return Buffer.from(JSON.stringify([...common, ...rest]), 'utf8');
}

/**
 * Which of two records about one device wins: the higher seq; at the same seq a removal; then the
 * higher signer fingerprint (any fixed rule will do, so all members settle on the same one).
 * Positive when `a` wins.
 */
export function compareMemberRecords(a: MemberRecord, b: MemberRecord): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  const rank = (r: MemberRecord) => (r.kind === 'remove' ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  return a.by < b.by ? -1 : a.by > b.by ? 1 : 0;
}

/** One line as sent: the record's JSON and a newline. */
export function encodeMemberRecord(r: MemberRecord): Uint8Array {
  return encodeRecordLine(r);
}

/** One received line (without its newline) as a record, or why it is none. Never throws. */
export function decodeMemberLine(line: string): { record: MemberRecord } | { problem: string } {
  return decodeRecordLine(line, MAX_MEMBER_LINE_BYTES, memberRecord());
}

/** Why `args` (a mux OPEN's JSON) are not a `members` stream's arguments, or undefined. */
export function membersOpenArgsProblem(args: unknown): string | undefined {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return 'arguments must be an object';
  const keys = Object.keys(args);
  if ((args as { v?: unknown }).v !== MEMBERS_PROTOCOL_VERSION || keys.length !== 1)
    return `arguments must be {"v":${MEMBERS_PROTOCOL_VERSION}}`;
  return undefined;
}
