/**
 * The relay frames a browser node sends and reads (docs/relay-protocol.md; the agent's codec is
 * src-main/protocol/relay-frames.ts, on Buffer): `version u8 ‖ type u8 ‖ body`, big-endian. A browser
 * only dials, so it sends HELLO, OPEN, DATA and CLOSE and reads CHALLENGE, AUTH_OK, OPEN_OK, INCOMING,
 * DATA and CLOSE. Every frame read is checked field by field; anything else is a BAD_FRAME.
 */
import { BrowserNodeError, concat, fromHex, fromUtf8, toHex, u32, utf8, view } from './bytes.js';

export const RELAY_VERSION = 1;
export const T = {
  CHALLENGE: 0x01,
  HELLO: 0x02,
  AUTH_OK: 0x03,
  OPEN: 0x10,
  OPEN_OK: 0x11,
  INCOMING: 0x12,
  DATA: 0x13,
  CLOSE: 0x14,
} as const;
/** Signature context of relay authentication (protocol/relay-frames.ts RELAY_AUTH_CONTEXT). */
export const RELAY_AUTH_CONTEXT = 'clawbridge relay auth v1';
const NONCE_BYTES = 32;
const NODE_ID_BYTES = 32;
const MAX_REASON_BYTES = 123;
const MAX_CERT_BYTES = 4096;
const MAX_TOKEN_BYTES = 255;
/** The largest frame a browser takes from a relay, whatever CHALLENGE says (a link frame and headers). */
export const MAX_RELAY_FRAME_BYTES = 64 * 1024 + 64 + 6 + 64;

export type RelayIn =
  | { type: 'challenge'; maxFrameBytes: number }
  | { type: 'auth-ok'; nodeId: string }
  | { type: 'open-ok'; circuitId: number }
  | { type: 'incoming'; circuitId: number }
  | { type: 'data'; circuitId: number; payload: Uint8Array }
  | { type: 'close'; circuitId: number; code: number; reason: string };

const bad = (why: string) => new BrowserNodeError('BAD_FRAME', `malformed relay frame: ${why}`);
const head = (type: number) => Uint8Array.of(RELAY_VERSION, type);

export function encodeHello(certDer: Uint8Array, signature: Uint8Array, token: string): Uint8Array {
  const tokenBytes = utf8(token);
  if (certDer.length === 0 || certDer.length > MAX_CERT_BYTES) throw bad('certificate size');
  if (tokenBytes.length > MAX_TOKEN_BYTES) throw bad('token size');
  const len = Uint8Array.of(certDer.length >>> 8, certDer.length & 0xff);
  return concat(head(T.HELLO), len, certDer, signature, Uint8Array.of(tokenBytes.length), tokenBytes);
}

export function encodeOpen(circuitId: number, target: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(target)) throw bad('target must be 64 lowercase hex');
  return concat(head(T.OPEN), u32(circuitId), fromHex(target));
}

export function encodeData(circuitId: number, payload: Uint8Array): Uint8Array {
  return concat(head(T.DATA), u32(circuitId), payload);
}

export function encodeClose(circuitId: number, code: number, reason: string): Uint8Array {
  let text = utf8(reason);
  if (text.length > MAX_REASON_BYTES) text = utf8(reason.slice(0, MAX_REASON_BYTES / 4));
  const code16 = Uint8Array.of(code >>> 8, code & 0xff);
  return concat(head(T.CLOSE), u32(circuitId), code16, Uint8Array.of(text.length), text);
}

/**
 * Decodes a frame from the relay. The CHALLENGE's bytes themselves are what HELLO signs: the caller
 * keeps them. @throws BrowserNodeError('BAD_FRAME') for anything malformed or not for a browser.
 */
export function decodeRelayIn(bytes: Uint8Array): RelayIn {
  if (bytes.length > MAX_RELAY_FRAME_BYTES) throw bad(`${bytes.length} bytes is over the limit`);
  if (bytes.length < 2) throw bad('shorter than its header');
  if (bytes[0] !== RELAY_VERSION) throw bad(`version ${bytes[0]}`);
  const v = view(bytes);
  const exact = (n: number) => {
    if (bytes.length !== n) throw bad(`type ${bytes[1]} of ${bytes.length} bytes`);
  };
  const atLeast = (n: number) => {
    if (bytes.length < n) throw bad(`type ${bytes[1]} of ${bytes.length} bytes`);
  };
  switch (bytes[1]) {
    case T.CHALLENGE: {
      atLeast(2 + NONCE_BYTES + 4 + 1);
      exact(2 + NONCE_BYTES + 4 + 1 + bytes[38]!);
      fromUtf8(bytes.subarray(39));
      return { type: 'challenge', maxFrameBytes: v.getUint32(34) };
    }
    case T.AUTH_OK:
      // An observed address may follow; a browser does not ask for one, so the length is at least this.
      atLeast(2 + NODE_ID_BYTES + 8);
      return { type: 'auth-ok', nodeId: toHex(bytes.subarray(2, 2 + NODE_ID_BYTES)) };
    case T.OPEN_OK:
      exact(6);
      return { type: 'open-ok', circuitId: v.getUint32(2) };
    case T.INCOMING:
      exact(6 + NODE_ID_BYTES);
      return { type: 'incoming', circuitId: v.getUint32(2) };
    case T.DATA:
      atLeast(7);
      return { type: 'data', circuitId: v.getUint32(2), payload: bytes.subarray(6) };
    case T.CLOSE: {
      atLeast(9);
      exact(9 + bytes[8]!);
      return {
        type: 'close',
        circuitId: v.getUint32(2),
        code: v.getUint16(6),
        reason: fromUtf8(bytes.subarray(9)),
      };
    }
    default:
      throw bad(`type 0x${(bytes[1] ?? 0).toString(16)} is not one a relay sends a browser`);
  }
}
