/**
 * A file offer's frames on its code's rendezvous once the PAKE succeeded (ADR 0124): sealed under a
 * key derived from the PAKE's session key, one key per direction and a counter nonce, so the relay
 * between the two can neither read, forge, drop unnoticed nor reorder them. The frames and how one is
 * read are the protocol's (protocol/file-code-frames.ts). The same construction as a group
 * invitation's channel (group-members/invitation-frames.ts) under its own marker and salt, so a frame
 * of one never opens as the other's.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ClawError } from '../core/errors.js';
import {
  FILE_CODE_KEY_SALT,
  FILE_CODE_MARKER,
  FILE_CODE_TAG_BYTES,
  fileCodeNonce,
  MAX_FILE_CODE_FRAME_PLAIN,
  readFileCodeFrame,
  type FileCodeFrame,
  type FileCodeRole,
} from '../protocol/file-code-frames.js';

const MARKER = Buffer.from(FILE_CODE_MARKER);
const TAG_BYTES = FILE_CODE_TAG_BYTES;
const utf8 = new TextEncoder();

/** The key of one direction, from the PAKE's session key. */
function directionKey(sessionKey: Uint8Array, from: FileCodeRole): Uint8Array {
  return hkdf(sha512, sessionKey, utf8.encode(FILE_CODE_KEY_SALT), utf8.encode(from), 32);
}

/** One side's sealing and opening: its frames numbered from 0 under its key, the other's under theirs. */
export class FileCodeChannel {
  private sent = 0;
  private read = 0;
  private readonly sendKey: Uint8Array;
  private readonly readKey: Uint8Array;

  constructor(sessionKey: Uint8Array, self: FileCodeRole) {
    this.sendKey = directionKey(sessionKey, self);
    this.readKey = directionKey(sessionKey, self === 'sender' ? 'receiver' : 'sender');
  }

  seal(frame: FileCodeFrame): Uint8Array {
    const plain = Buffer.from(JSON.stringify(frame), 'utf8');
    if (plain.length > MAX_FILE_CODE_FRAME_PLAIN)
      throw new ClawError('INTERNAL', `a file offer frame of ${plain.length} bytes does not fit one frame`);
    const cipher = createCipheriv('aes-256-gcm', this.sendKey, fileCodeNonce(this.sent++), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(MARKER);
    return new Uint8Array(Buffer.concat([MARKER, cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
  }

  /**
   * The frame `bytes` carries.
   * @throws ClawError('PAIRING_FAILED') for anything else: not a file offer frame, altered, out of
   *   order, or not of this protocol's shape
   */
  open(bytes: Uint8Array, what: string): FileCodeFrame {
    const b = Buffer.from(bytes);
    const body = b.subarray(MARKER.length);
    if (!b.subarray(0, MARKER.length).equals(MARKER) || body.length <= TAG_BYTES)
      throw new ClawError('PAIRING_FAILED', `expected ${what}, and the other side sent something else`);
    if (body.length > MAX_FILE_CODE_FRAME_PLAIN + TAG_BYTES)
      throw new ClawError('PAIRING_FAILED', `${what} is too large (${body.length} bytes)`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.readKey, fileCodeNonce(this.read), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(MARKER);
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new ClawError(
        'PAIRING_FAILED',
        `${what} failed authentication — someone interfered; ask the sender for a new code`,
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
    const frame = readFileCodeFrame(json);
    if (!frame)
      throw new ClawError('PAIRING_FAILED', `${what} is not a frame this version reads — update both sides`);
    return frame;
  }
}
