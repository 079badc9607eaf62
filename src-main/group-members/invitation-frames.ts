/**
 * What a group invitation sends once its code's PAKE succeeded (the code met, pairing/): each frame
 * sealed under a key derived from the PAKE's session key, one key per direction and a counter nonce,
 * so the relay (or a LAN host) between the two can neither read, forge, drop unnoticed nor reorder
 * what the owner's device sends the member's, nor the member's answer. The frames and how one is
 * read are the protocol's (protocol/group-invitation-frames.ts), which a browser node shares.
 *
 * A pairing joiner that met a group code, or a group joiner a pairing code, reads no such frame and
 * gives up: nothing is decided on either side before the other side's first frame here is read.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ClawError } from '../core/errors.js';
import {
  INVITATION_KEY_SALT,
  INVITATION_MARKER,
  INVITATION_RECORDS_PER_FRAME,
  INVITATION_TAG_BYTES,
  invitationNonce,
  MAX_INVITATION_FRAME_PLAIN,
  readInvitationFrame,
  type InvitationFrame,
  type InvitationRole,
} from '../protocol/group-invitation-frames.js';
import { MAX_GROUP_LINE_BYTES } from '../protocol/group-records.js';

const MARKER = Buffer.from(INVITATION_MARKER);
const TAG_BYTES = INVITATION_TAG_BYTES;
/** A record (at most MAX_GROUP_LINE_BYTES) always fits a batch of its own. */
const BATCH_BYTES = MAX_GROUP_LINE_BYTES + 256;

const utf8 = new TextEncoder();

/** The key of one direction, from the PAKE's session key; never the pairing decision's key. */
function directionKey(sessionKey: Uint8Array, from: InvitationRole): Uint8Array {
  return hkdf(sha512, sessionKey, utf8.encode(INVITATION_KEY_SALT), utf8.encode(from), 32);
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
    const cipher = createCipheriv('aes-256-gcm', this.sendKey, invitationNonce(this.sent++), {
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
      const decipher = createDecipheriv('aes-256-gcm', this.readKey, invitationNonce(this.read), {
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
    const frame = readInvitationFrame(json);
    if (!frame)
      throw new ClawError('PAIRING_FAILED', `${what} is not a frame this version reads — update both nodes`);
    return frame;
  }
}

/** `records` in batches that each fit one frame (a record alone always does). */
export function recordBatches(records: readonly unknown[]): unknown[][] {
  const batches: unknown[][] = [];
  let batch: unknown[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = Buffer.byteLength(JSON.stringify(r), 'utf8') + 1;
    if (batch.length > 0 && (bytes + size > BATCH_BYTES || batch.length >= INVITATION_RECORDS_PER_FRAME)) {
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
