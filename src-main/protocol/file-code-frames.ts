/**
 * What a file offer sends on its code's rendezvous once the code's PAKE succeeded (ADR 0124): one
 * sealed frame from the sender, `ready` (the receiver is let in now: dial the sender) with what is
 * offered, or `refused` with why. Each frame is the marker ‖ AES-256-GCM(JSON) under a key per
 * direction derived from the PAKE's session key, with a counter nonce, as a group invitation's
 * (group-invitation-frames.ts). The frames, their limits, the invite link's form and how a frame is
 * read are here, for every client. Pure.
 *
 *   sender → receiver  ready {names, files, bytes, addresses?}   "dial me now (directly at these,
 *                                                     else through the relay); this is what you will get"
 *   sender → receiver  refused {reason}              in place of `ready`
 */
import { z } from 'zod';
import { dialAddressSchema } from '../core/host-port-schema.js';
import { madeOnUse } from '../core/made-on-use.js';
import { INVITE_PREFIX } from './pair-code.js';

/**
 * What a receiver reads when the code's PAKE fails (a wrong code, or someone in between), in the
 * stead of pairing's line: that one speaks of pairing, which a receiver never asked for, and asks for
 * a new code, when one try has ended the offer and only the sender can make another.
 */
export const FILE_CODE_WRONG_LINE =
  'the code was wrong or someone interfered — one try per code, so that offer has ended; ask the sender to send again';

/** The code's use (DomainCodes.issue `use`): a receiver's hello names it. */
export const FILE_CODE_USE = 'file';
/** What starts every sealed frame (and is its GCM additional data): tells it from a pairing decision. */
export const FILE_CODE_MARKER = new TextEncoder().encode('CBFCODE1:');
export const FILE_CODE_NONCE_BYTES = 12;
export const FILE_CODE_TAG_BYTES = 16;
/** What the direction keys are derived for (HKDF-SHA-512's salt; the info is the sender's role). */
export const FILE_CODE_KEY_SALT = 'clawbridge file code v1';
/** Largest plaintext of one frame, in bytes: fits the smallest frame a relay may announce (8 KiB). */
export const MAX_FILE_CODE_FRAME_PLAIN = 7 * 1024;
/** Most top-level names a `ready` frame lists (the rest are counted in `files`). */
export const FILE_CODE_NAMES_MAX = 32;
/** Longest name a `ready` frame lists, in characters (longer ones are cut by the sender). */
export const FILE_CODE_NAME_CHARS = 120;
/**
 * Most direct addresses a `ready` frame names (the sender's listener, best first): the receiver dials
 * them before the relay (ADR 0124, amended). IP literals and a port, ~50 bytes each at most.
 */
export const FILE_CODE_ADDRESSES_MAX = 8;
/** Longest refusal reason, in characters. */
const MAX_REASON_CHARS = 300;
/** What a file offer's invite link starts with (a pairing invite's under its own action). */
export const FILE_CODE_LINK_PREFIX = 'clawbridge://file?';

export type FileCodeRole = 'sender' | 'receiver';

const fileCodeFrame = madeOnUse(() =>
  z.discriminatedUnion('t', [
    z.strictObject({
      t: z.literal('ready'),
      names: z.array(z.string().min(1).max(FILE_CODE_NAME_CHARS)).max(FILE_CODE_NAMES_MAX),
      files: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      // Absent from a sender whose direct links are off (and from releases before it named them).
      addresses: z.array(dialAddressSchema()).max(FILE_CODE_ADDRESSES_MAX).optional(),
    }),
    z.strictObject({ t: z.literal('refused'), reason: z.string().max(MAX_REASON_CHARS) }),
  ]),
);

/** One frame, as the schema above reads it. */
export type FileCodeFrame = z.infer<ReturnType<typeof fileCodeFrame>>;

/** An opened frame's JSON as a frame of this protocol; undefined when it is none. */
export function readFileCodeFrame(json: unknown): FileCodeFrame | undefined {
  const parsed = fileCodeFrame().safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The nonce of a direction's `counter`th frame: the counter, big-endian, in the last four bytes. */
export function fileCodeNonce(counter: number): Uint8Array {
  const n = new Uint8Array(FILE_CODE_NONCE_BYTES);
  new DataView(n.buffer).setUint32(FILE_CODE_NONCE_BYTES - 4, counter);
  return n;
}

/** A pairing invite (`clawbridge://join?…`) as a file offer's link; anything else as it is. */
export function fileCodeLink(invite: string): string {
  return invite.startsWith(INVITE_PREFIX)
    ? FILE_CODE_LINK_PREFIX + invite.slice(INVITE_PREFIX.length)
    : invite;
}

/** A file offer's link as the pairing invite it carries; a code or another text as it is. */
export function fileCodeInvite(text: string): string {
  const trimmed = text.trim();
  return trimmed.toLowerCase().startsWith(FILE_CODE_LINK_PREFIX)
    ? INVITE_PREFIX + trimmed.slice(FILE_CODE_LINK_PREFIX.length)
    : trimmed;
}
