/**
 * What a group invitation sends once its code's PAKE succeeded (the code met, pairing/): each frame
 * sealed under a key derived from the PAKE's session key, one key per direction and a counter nonce,
 * so the relay (or a LAN host) between the two can neither read, forge, drop unnoticed nor reorder
 * what the owner's device sends the member's, nor the member's answer.
 *
 *   joiner → inviter  join                      "I took this code to join a group"
 *   inviter → joiner  group {id, name, records} the group's header, then records in batches
 *   inviter → joiner  records {records}         until `records` of them came
 *   joiner → inviter  joined | refused {reason}
 *   either way        refused {reason}          in place of the next frame
 *
 * A pairing joiner that met a group code, or a group joiner a pairing code, reads no such frame and
 * gives up: nothing is decided on either side before the other side's first frame here is read.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { GROUP_ID, MAX_GROUP_LINE_BYTES } from '../protocol/group-records.js';
import { GROUP_BOUNDS } from '../state/group-exchange.js';

/** What starts every sealed invitation frame: tells it from a pairing decision or abort. */
const MARKER = Buffer.from('CBGINV1:', 'ascii');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/**
 * Largest plaintext of one frame, in bytes: the smallest frame a relay may announce is 8 KiB
 * (protocol/relay-limits.ts MIN_MAX_FRAME_BYTES), less the marker, the tag and the circuit's framing.
 */
export const MAX_INVITATION_FRAME_PLAIN = 7 * 1024;
/** A record (at most MAX_GROUP_LINE_BYTES) always fits a batch of its own. */
const BATCH_BYTES = MAX_GROUP_LINE_BYTES + 256;
/** Longest refusal reason, in characters. */
const MAX_REASON_CHARS = 300;

export type InvitationRole = 'inviter' | 'joiner';

export type InvitationFrame =
  | { t: 'join' }
  | { t: 'group'; group: string; name: string; records: number }
  | { t: 'records'; records: unknown[] }
  | { t: 'joined' }
  | { t: 'refused'; reason: string };

const frameSchema = () =>
  z.discriminatedUnion('t', [
    z.strictObject({ t: z.literal('join') }),
    z.strictObject({
      t: z.literal('group'),
      group: z.string().regex(GROUP_ID),
      name: z.string().min(1).max(200),
      records: z.number().int().min(1).max(GROUP_BOUNDS.recordsPerExchange),
    }),
    z.strictObject({ t: z.literal('records'), records: z.array(z.unknown()).min(1).max(64) }),
    z.strictObject({ t: z.literal('joined') }),
    z.strictObject({ t: z.literal('refused'), reason: z.string().max(MAX_REASON_CHARS) }),
  ]);

const utf8 = new TextEncoder();

/** The key of one direction, from the PAKE's session key; never the pairing decision's key. */
function directionKey(sessionKey: Uint8Array, from: InvitationRole): Uint8Array {
  return hkdf(sha512, sessionKey, utf8.encode('clawbridge group invitation v1'), utf8.encode(from), 32);
}

function nonce(counter: number): Buffer {
  const n = Buffer.alloc(NONCE_BYTES);
  n.writeUInt32BE(counter, NONCE_BYTES - 4);
  return n;
}

/**
 * One side's sealing and opening: frames it sends are numbered from 0 under its own key, frames it
 * reads under the other side's, so a frame replayed, dropped or moved fails to open.
 */
export class InvitationChannel {
  private sent = 0;
  private read = 0;
  private readonly sendKey: Uint8Array;
  private readonly readKey: Uint8Array;

  constructor(sessionKey: Uint8Array, self: InvitationRole) {
    this.sendKey = directionKey(sessionKey, self);
    this.readKey = directionKey(sessionKey, self === 'inviter' ? 'joiner' : 'inviter');
  }

  seal(frame: InvitationFrame): Uint8Array {
    const plain = Buffer.from(JSON.stringify(frame), 'utf8');
    if (plain.length > MAX_INVITATION_FRAME_PLAIN)
      throw new ClawError('INTERNAL', `an invitation frame of ${plain.length} bytes does not fit one frame`);
    const cipher = createCipheriv('aes-256-gcm', this.sendKey, nonce(this.sent++), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(MARKER);
    return new Uint8Array(Buffer.concat([MARKER, cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
  }

  /**
   * The frame `bytes` carries.
   * @throws ClawError('PAIRING_FAILED') for anything else: not an invitation frame (`what` says what
   *   was expected), altered, out of order, or not of this protocol's shape
   */
  open(bytes: Uint8Array, what: string): InvitationFrame {
    const b = Buffer.from(bytes);
    const body = b.subarray(MARKER.length);
    if (!b.subarray(0, MARKER.length).equals(MARKER) || body.length <= TAG_BYTES)
      throw new ClawError('PAIRING_FAILED', `expected ${what}, and the other side sent something else`);
    if (body.length > MAX_INVITATION_FRAME_PLAIN + TAG_BYTES)
      throw new ClawError('PAIRING_FAILED', `${what} is too large (${body.length} bytes)`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.readKey, nonce(this.read), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(MARKER);
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new ClawError(
        'PAIRING_FAILED',
        `${what} failed authentication — someone interfered; ask for a new invitation`,
        { cause: err },
      );
    }
    this.read++;
    let json: unknown;
    try {
      json = JSON.parse(plain.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = frameSchema().safeParse(json);
    if (!parsed.success)
      throw new ClawError('PAIRING_FAILED', `${what} is not a frame this version reads — update both nodes`);
    return parsed.data;
  }
}

/** `records` in batches that each fit one frame (a record alone always does). */
export function recordBatches(records: readonly unknown[]): unknown[][] {
  const batches: unknown[][] = [];
  let batch: unknown[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = Buffer.byteLength(JSON.stringify(r), 'utf8') + 1;
    if (batch.length > 0 && (bytes + size > BATCH_BYTES || batch.length >= 64)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
