/**
 * The frames of a group invitation after its code's CPace, on the browser's side (the joiner's):
 * group-members/invitation-frames.ts on WebCrypto and Uint8Array. Each frame is `CBGINV1:` ‖
 * AES-256-GCM(JSON) under a key per direction derived from the CPace session key, with a counter
 * nonce, so the relay between can neither read, forge, drop unnoticed nor reorder them.
 */
import { GROUP_ID } from '../../src-main/protocol/group-records.js';
import { BrowserNodeError, concat, fromUtf8, utf8 } from './bytes.js';
import { aesKey, aesOpen, aesSeal, hkdf, sha512, type WebKey } from './primitives.js';

const MARKER = utf8('CBGINV1:');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Largest plaintext of one frame (invitation-frames.ts MAX_INVITATION_FRAME_PLAIN). */
const MAX_FRAME_PLAIN = 7 * 1024;
/** Most records one invitation may carry (state/group-exchange.ts GROUP_BOUNDS.recordsPerExchange). */
export const MAX_INVITATION_RECORDS = 1024;

/** group-members/invitation-frames.ts InvitationFrame (that module is Node's: node:crypto). */
export type InvitationFrame =
  | { t: 'join' }
  | { t: 'group'; group: string; name: string; records: number }
  | { t: 'records'; records: unknown[] }
  | { t: 'joined' }
  | { t: 'refused'; reason: string };

const failed = (message: string) => new BrowserNodeError('PAIRING_FAILED', message);

function nonce(counter: number): Uint8Array {
  const n = new Uint8Array(NONCE_BYTES);
  new DataView(n.buffer).setUint32(NONCE_BYTES - 4, counter);
  return n;
}

/** A frame as JSON gave it, checked for this protocol's shape; undefined when it is none. */
function frameOf(json: unknown): InvitationFrame | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const f = json as Record<string, unknown>;
  const keys = Object.keys(f).sort().join(',');
  switch (f.t) {
    case 'join':
    case 'joined':
      return keys === 't' ? { t: f.t } : undefined;
    case 'refused':
      return keys === 'reason,t' && typeof f.reason === 'string' && f.reason.length <= 300
        ? { t: 'refused', reason: f.reason }
        : undefined;
    case 'group':
      return keys === 'group,name,records,t' &&
        typeof f.group === 'string' &&
        GROUP_ID.test(f.group) &&
        typeof f.name === 'string' &&
        f.name.length >= 1 &&
        f.name.length <= 200 &&
        Number.isInteger(f.records) &&
        (f.records as number) >= 1 &&
        (f.records as number) <= MAX_INVITATION_RECORDS
        ? { t: 'group', group: f.group, name: f.name, records: f.records as number }
        : undefined;
    case 'records':
      return keys === 'records,t' &&
        Array.isArray(f.records) &&
        f.records.length >= 1 &&
        f.records.length <= 64
        ? { t: 'records', records: f.records as unknown[] }
        : undefined;
    default:
      return undefined;
  }
}

/** The joiner's sealing and opening: frames it sends numbered from 0 under its key, frames it reads under the inviter's. */
export class JoinerChannel {
  private sent = 0;
  private read = 0;

  private constructor(
    private readonly sendKey: WebKey,
    private readonly readKey: WebKey,
  ) {}

  static async of(sessionKey: Uint8Array): Promise<JoinerChannel> {
    const key = (from: string) =>
      aesKey(hkdf(sha512, sessionKey, utf8('clawbridge group invitation v1'), utf8(from), 32));
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
    if (body.length > MAX_FRAME_PLAIN + TAG_BYTES) throw failed(`${what} is too large`);
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
    const frame = frameOf(json);
    if (!frame) throw failed(`${what} is not a frame this version reads — update both sides`);
    return frame;
  }
}
