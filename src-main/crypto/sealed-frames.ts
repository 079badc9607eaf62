/**
 * The channel a code's two sides talk over once its PAKE succeeded (a group invitation, a file sent
 * with a code): each JSON frame sealed with AES-256-GCM under a key derived from the PAKE's session key,
 * one key per direction and a counter nonce, so the relay (or a LAN host) between the two can neither
 * read, forge, drop unnoticed nor reorder what either side sends. Each use brings its own marker, salt
 * and nonce, so a frame of one never opens as another's, and its own frame reader and wording.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ClawError } from '../core/errors.js';

/** What one use of the channel fixes: its wire constants, its frames and its words. */
export interface SealedFramesSpec<Frame, Role extends string> {
  /** Sent in clear before each sealed frame, and bound to it as associated data. */
  readonly marker: Uint8Array;
  /** The HKDF salt of the direction keys (the direction's role is the info). */
  readonly salt: string;
  readonly tagBytes: number;
  /** The largest frame's JSON, in bytes. */
  readonly maxPlain: number;
  /** The nonce of the frame numbered `counter` in its direction. */
  nonce(counter: number): Uint8Array;
  /** The frame `json` is, or undefined when it is not of this protocol's shape. */
  read(json: unknown): Frame | undefined;
  /** The other side of `role`. */
  other(role: Role): Role;
  /** Words for the internal error of a frame too large to send: "a file offer frame". */
  readonly frameName: string;
  /** What the user does after an altered frame: "ask the sender for a new code". */
  readonly retry: string;
  /** Who updates when a frame is of a newer protocol: "both sides". */
  readonly updateWho: string;
}

/**
 * One side's sealing and opening: frames it sends are numbered from 0 under its own key, frames it
 * reads under the other side's, so a frame replayed, dropped or moved fails to open.
 */
export class SealedFrames<Frame, Role extends string> {
  private sent = 0;
  private read = 0;
  private readonly marker: Buffer;
  private readonly sendKey: Uint8Array;
  private readonly readKey: Uint8Array;

  constructor(
    private readonly spec: SealedFramesSpec<Frame, Role>,
    sessionKey: Uint8Array,
    self: Role,
  ) {
    this.marker = Buffer.from(spec.marker);
    const key = (from: Role) =>
      hkdf(sha512, sessionKey, new TextEncoder().encode(spec.salt), new TextEncoder().encode(from), 32);
    this.sendKey = key(self);
    this.readKey = key(spec.other(self));
  }

  seal(frame: Frame): Uint8Array {
    const { spec, marker } = this;
    const plain = Buffer.from(JSON.stringify(frame), 'utf8');
    if (plain.length > spec.maxPlain)
      throw new ClawError('INTERNAL', `${spec.frameName} of ${plain.length} bytes does not fit one frame`);
    const cipher = createCipheriv('aes-256-gcm', this.sendKey, spec.nonce(this.sent++), {
      authTagLength: spec.tagBytes,
    });
    cipher.setAAD(marker);
    return new Uint8Array(Buffer.concat([marker, cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
  }

  /**
   * The frame `bytes` carries.
   * @throws ClawError('PAIRING_FAILED') for anything else: not a frame of this use (`what` says what
   *   was expected), altered, out of order, or not of this protocol's shape
   */
  open(bytes: Uint8Array, what: string): Frame {
    const { spec, marker } = this;
    const tag = spec.tagBytes;
    const b = Buffer.from(bytes);
    const body = b.subarray(marker.length);
    if (!b.subarray(0, marker.length).equals(marker) || body.length <= tag)
      throw new ClawError('PAIRING_FAILED', `expected ${what}, and the other side sent something else`);
    if (body.length > spec.maxPlain + tag)
      throw new ClawError('PAIRING_FAILED', `${what} is too large (${body.length} bytes)`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.readKey, spec.nonce(this.read), {
        authTagLength: tag,
      });
      decipher.setAAD(marker);
      decipher.setAuthTag(body.subarray(body.length - tag));
      plain = Buffer.concat([decipher.update(body.subarray(0, body.length - tag)), decipher.final()]);
    } catch (err) {
      throw new ClawError(
        'PAIRING_FAILED',
        `${what} failed authentication — someone interfered; ${spec.retry}`,
        {
          cause: err,
        },
      );
    }
    this.read++;
    let json: unknown;
    try {
      json = JSON.parse(plain.toString('utf8'));
    } catch {
      json = undefined;
    }
    const frame = spec.read(json);
    if (frame === undefined)
      throw new ClawError(
        'PAIRING_FAILED',
        `${what} is not a frame this version reads — update ${spec.updateWho}`,
      );
    return frame;
  }
}
