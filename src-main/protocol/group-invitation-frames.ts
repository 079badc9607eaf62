/**
 * What a group invitation sends once its code's PAKE succeeded: the frames, their limits and how a
 * frame is read, for both channels that seal them (the agent's, group-members/invitation-frames.ts on
 * node:crypto, and a browser node's, src-web/node/group-invitation.ts on WebCrypto). Each frame is
 * the marker ‖ AES-256-GCM(JSON) under a key per direction derived from the PAKE's session key, with
 * a counter nonce. Pure.
 *
 *   joiner → inviter  join                      "I took this code to join a group"
 *   inviter → joiner  group {id, name, records} the group's header, then records in batches
 *   inviter → joiner  records {records}         until `records` of them came
 *   joiner → inviter  joined | refused {reason}
 *   either way        refused {reason}          in place of the next frame
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import { GROUP_ID, MAX_GROUP_RECORDS_PER_EXCHANGE } from './group-records.js';

/** What starts every sealed invitation frame (and is its GCM additional data): tells it from a pairing decision or abort. */
export const INVITATION_MARKER = new TextEncoder().encode('CBGINV1:');
export const INVITATION_NONCE_BYTES = 12;
export const INVITATION_TAG_BYTES = 16;
/** What the direction keys are derived for (HKDF-SHA-512's salt; the info is the sender's role). */
export const INVITATION_KEY_SALT = 'clawbridge group invitation v1';
/**
 * Largest plaintext of one frame, in bytes: the smallest frame a relay may announce is 8 KiB
 * (protocol/relay-limits.ts MIN_MAX_FRAME_BYTES), less the marker, the tag and the circuit's framing.
 */
export const MAX_INVITATION_FRAME_PLAIN = 7 * 1024;
/** Most records one `records` frame carries. */
export const INVITATION_RECORDS_PER_FRAME = 64;
/** Longest refusal reason, in characters. */
const MAX_REASON_CHARS = 300;

export type InvitationRole = 'inviter' | 'joiner';

const invitationFrame = madeOnUse(() =>
  z.discriminatedUnion('t', [
    z.strictObject({ t: z.literal('join') }),
    z.strictObject({
      t: z.literal('group'),
      group: z.string().regex(GROUP_ID),
      name: z.string().min(1).max(200),
      records: z.number().int().min(1).max(MAX_GROUP_RECORDS_PER_EXCHANGE),
    }),
    z.strictObject({
      t: z.literal('records'),
      records: z.array(z.unknown()).min(1).max(INVITATION_RECORDS_PER_FRAME),
    }),
    z.strictObject({ t: z.literal('joined') }),
    z.strictObject({ t: z.literal('refused'), reason: z.string().max(MAX_REASON_CHARS) }),
  ]),
);

/** One frame, as the schema above reads it. */
export type InvitationFrame = z.infer<ReturnType<typeof invitationFrame>>;

/** An opened frame's JSON as a frame of this protocol; undefined when it is none. */
export function readInvitationFrame(json: unknown): InvitationFrame | undefined {
  const parsed = invitationFrame().safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The nonce of a direction's `counter`th frame: the counter, big-endian, in the last four bytes. */
export function invitationNonce(counter: number): Uint8Array {
  const n = new Uint8Array(INVITATION_NONCE_BYTES);
  new DataView(n.buffer).setUint32(INVITATION_NONCE_BYTES - 4, counter);
  return n;
}
