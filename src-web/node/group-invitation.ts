/**
 * The frames of a group invitation after its code's CPace, on the browser's side (the joiner's):
 * protocol/group-invitation-frames.ts's frames, sealed with WebCrypto as group-members/invitation-frames.ts
 * seals them with node:crypto: under a key per direction derived from the CPace session key, with
 * a counter nonce, so the relay between can neither read, forge, drop unnoticed nor reorder them.
 */
import {
  INVITATION_KEY_SALT,
  INVITATION_MARKER as MARKER,
  INVITATION_TAG_BYTES as TAG_BYTES,
  invitationNonce as nonce,
  MAX_INVITATION_FRAME_PLAIN,
  readInvitationFrame,
  type InvitationFrame,
} from '../../src-main/protocol/group-invitation-frames.js';
import { BrowserNodeError, concat, fromUtf8, utf8 } from './bytes.js';
import { aesKey, aesOpen, aesSeal, hkdf, sha512, type WebKey } from './primitives.js';

const failed = (message: string) => new BrowserNodeError('PAIRING_FAILED', message);

/** The joiner's sealing and opening: frames it sends numbered from 0 under its key, frames it reads under the inviter's. */
export class JoinerChannel {
  private sent = 0;
  private read = 0;

  private constructor(
    private readonly sendKey: WebKey,
    private readonly readKey: WebKey,
  ) {}

  static async of(sessionKey: Uint8Array): Promise<JoinerChannel> {
    const key = (from: string) => aesKey(hkdf(sha512, sessionKey, utf8(INVITATION_KEY_SALT), utf8(from), 32));
    return new JoinerChannel(await key('joiner'), await key('inviter'));
  }

  seal(frame: InvitationFrame): Promise<Uint8Array> {
    const plain = utf8(JSON.stringify(frame));
    return aesSeal(this.sendKey, nonce(this.sent++), plain, MARKER).then((sealed) => concat(MARKER, sealed));
  }

  /** The inviter's next frame. @throws BrowserNodeError('PAIRING_FAILED') for anything else. */
  async open(bytes: Uint8Array, what: string): Promise<InvitationFrame> {
    const marked = bytes.length > MARKER.length && MARKER.every((b, i) => bytes[i] === b);
    const body = bytes.subarray(MARKER.length);
    if (!marked || body.length <= TAG_BYTES)
      throw failed(`expected ${what}, and the other side sent something else: is it a pairing code?`);
    if (body.length > MAX_INVITATION_FRAME_PLAIN + TAG_BYTES) throw failed(`${what} is too large`);
    let plain: Uint8Array;
    try {
      plain = await aesOpen(this.readKey, nonce(this.read), body, MARKER);
    } catch {
      throw failed(`${what} failed authentication — someone interfered; ask for a new invitation`);
    }
    this.read++;
    let json: unknown;
    try {
      json = JSON.parse(fromUtf8(plain));
    } catch {
      json = undefined;
    }
    const frame = readInvitationFrame(json);
    if (!frame) throw failed(`${what} is not a frame this version reads — update both sides`);
    return frame;
  }
}
