/**
 * Wire formats of pairing by code (docs/protocol.md, "Pairing by code"): version, type, sizes,
 * encode/decode and nothing else (architecture.md §Rules the code keeps). Every decoder checks the version, the type and every
 * length against the bytes present, and throws only PairingError (a ClawError, code `PAIRING_FAILED`)
 * with one line naming the problem.
 *
 * msg1 and msg2 carry CPace's MSGa and MSGb verbatim (prefix_free_cat with LEB128 lengths), so what is
 * parsed here is exactly what the ISK hashes.
 */
import { ClawError } from '../core/errors.js';
import { CONTROL_CHARS, MAX_NODE_NAME_BYTES } from '../core/names.js';
import { CPACE_POINT_BYTES, parsePrefixFree, prefixFreeCat } from './prefix-free.js';

/** Pairing protocol version, byte 0 of every message. */
export const PAIR_VERSION = 1;

/** Message types (byte 1). */
export const PairMessageType = { Msg1: 1, Msg2: 2, Msg3: 3, Decision: 4, Abort: 5 } as const;
export type PairMessageType = (typeof PairMessageType)[keyof typeof PairMessageType];

/** Why a side gave up (ABORT byte 2). Unauthenticated: it only picks the line shown to the user. */
export const AbortReason = { Failed: 1, Malformed: 2, Version: 3, Cancelled: 4 } as const;
export type AbortReason = (typeof AbortReason)[keyof typeof AbortReason];

/** Size of the version and type header in bytes. */
export const PAIR_HEADER_BYTES = 2;
/** Size of the joiner's fresh session id (CPace sid) in bytes: the draft asks for at least 8. */
export const PAIR_SID_BYTES = 16;
/** Size of a key-confirmation MAC (HMAC-SHA512) in bytes. */
export const PAIR_MAC_BYTES = 64;
/** Size of an ABORT message in bytes: header and reason. */
export const PAIR_ABORT_BYTES = 3;
/**
 * Largest certificate DER in a pairing message, in bytes: the relay HELLO limit (relay-frames.ts), since
 * a node with a larger certificate could not use a relay anyway. Node certificates are about 400 bytes.
 */
export const MAX_PAIR_CERT_BYTES = 4096;
/** Largest node name in UTF-8 bytes (the X.520 common-name bound). */
export const MAX_PAIR_NAME_BYTES = MAX_NODE_NAME_BYTES;
/** Largest pairing message in bytes: msg2 with the largest certificate and name fits with room. */
export const MAX_PAIR_MESSAGE_BYTES = 4608;

/** A pairing failure; `abortReason` is what this side tells the other in its ABORT. */
export class PairingError extends ClawError {
  constructor(
    message: string,
    readonly abortReason: AbortReason = AbortReason.Failed,
    options?: { cause?: unknown },
  ) {
    super('PAIRING_FAILED', message, options);
    this.name = 'PairingError';
  }
}

/** The one line both sides show when key confirmation fails: a wrong code and an attack look alike. */
export const PAIRING_FAILED_LINE =
  'pairing failed: the code was wrong or someone interfered — ask for a new code';

const malformed = (message: string) => new PairingError(message, AbortReason.Malformed);

/** One side's CPace message contents: the share Y and what AD holds. */
export interface PairShare {
  /** CPace MSG = prefix_free_cat(Y, AD), as sent. */
  msg: Uint8Array;
  /** X25519 share, 32 bytes. */
  Y: Uint8Array;
  /** Sender's certificate DER. */
  certDer: Uint8Array;
  /** Sender's node name. */
  name: string;
}

export type PairMessage =
  | ({ type: 'msg1'; sid: Uint8Array } & PairShare)
  | ({ type: 'msg2'; mac: Uint8Array } & PairShare)
  | { type: 'msg3'; mac: Uint8Array }
  | { type: 'decision'; header: Uint8Array; sealed: Uint8Array }
  | { type: 'abort'; reason: number };

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why `name` cannot be a node name, or undefined when it can. */
function nameProblem(bytes: number, name: string): string | undefined {
  if (bytes === 0 || bytes > MAX_PAIR_NAME_BYTES) {
    return `must be 1 to ${MAX_PAIR_NAME_BYTES} bytes of UTF-8, got ${bytes}`;
  }
  if (CONTROL_CHARS.test(name)) return 'contains control characters';
  return undefined;
}

/** Checks this node's own name before it goes on the wire. @throws ClawError(`BAD_ARGUMENT`). */
export function checkOwnName(name: string): Uint8Array {
  const bytes = utf8.encode(name);
  const problem = nameProblem(bytes.length, name);
  if (problem) throw new ClawError('BAD_ARGUMENT', `node name ${problem}`);
  return bytes;
}

/** Checks this node's own certificate size. @throws ClawError(`BAD_ARGUMENT`). */
export function checkOwnCert(certDer: Uint8Array): void {
  if (certDer.length === 0 || certDer.length > MAX_PAIR_CERT_BYTES) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `identity certificate must be 1 to ${MAX_PAIR_CERT_BYTES} bytes of DER, got ${certDer.length}`,
    );
  }
}

/** AD of a CPace message: prefix_free_cat(certificate DER, UTF-8 name). */
export function encodeAd(certDer: Uint8Array, name: string): Uint8Array {
  checkOwnCert(certDer);
  return prefixFreeCat(certDer, checkOwnName(name));
}

function header(type: PairMessageType, bodyBytes: number): Uint8Array {
  const out = new Uint8Array(PAIR_HEADER_BYTES + bodyBytes);
  out[0] = PAIR_VERSION;
  out[1] = type;
  return out;
}

/** msg1: version ‖ 0x01 ‖ sid (16) ‖ MSGa. */
export function encodeMsg1(sid: Uint8Array, msgA: Uint8Array): Uint8Array {
  const out = header(PairMessageType.Msg1, sid.length + msgA.length);
  out.set(sid, PAIR_HEADER_BYTES);
  out.set(msgA, PAIR_HEADER_BYTES + sid.length);
  return out;
}

/** msg2: version ‖ 0x02 ‖ MSGb ‖ MACb (64). */
export function encodeMsg2(msgB: Uint8Array, mac: Uint8Array): Uint8Array {
  const out = header(PairMessageType.Msg2, msgB.length + mac.length);
  out.set(msgB, PAIR_HEADER_BYTES);
  out.set(mac, PAIR_HEADER_BYTES + msgB.length);
  return out;
}

/** msg3: version ‖ 0x03 ‖ MACa (64). */
export function encodeMsg3(mac: Uint8Array): Uint8Array {
  const out = header(PairMessageType.Msg3, mac.length);
  out.set(mac, PAIR_HEADER_BYTES);
  return out;
}

/** The 2-byte header of a decision record: also its AEAD associated data. */
export function decisionHeader(): Uint8Array {
  return header(PairMessageType.Decision, 0);
}

/** ABORT: version ‖ 0x05 ‖ reason. */
export function encodeAbort(reason: AbortReason): Uint8Array {
  const out = header(PairMessageType.Abort, 1);
  out[PAIR_HEADER_BYTES] = reason;
  return out;
}

/** parsePrefixFree with its failure reported as a malformed message. */
function fields(bytes: Uint8Array, what: string): [Uint8Array, Uint8Array] {
  try {
    return parsePrefixFree(bytes, 2, what) as [Uint8Array, Uint8Array];
  } catch (err) {
    throw malformed(err instanceof ClawError ? err.message : `${what} is malformed`);
  }
}

/** Parses MSGa/MSGb: Y must be 32 bytes, AD a certificate and a name within limits. */
function decodeShare(msg: Uint8Array, which: string): PairShare {
  const [Y, ad] = fields(msg, `${which} (CPace message)`);
  if (Y.length !== CPACE_POINT_BYTES) {
    throw malformed(`${which} carries a ${Y.length}-byte key, expected ${CPACE_POINT_BYTES}`);
  }
  const [certDer, nameBytes] = fields(ad, `${which} (associated data)`);
  if (certDer.length === 0 || certDer.length > MAX_PAIR_CERT_BYTES) {
    throw malformed(
      `${which} carries a ${certDer.length}-byte certificate, expected 1 to ${MAX_PAIR_CERT_BYTES}`,
    );
  }
  let name: string;
  try {
    name = utf8Strict.decode(nameBytes);
  } catch {
    throw malformed(`${which} carries a node name that is not valid UTF-8`);
  }
  const problem = nameProblem(nameBytes.length, name);
  if (problem) throw malformed(`${which} carries a node name that ${problem}`);
  return { msg, Y, certDer, name };
}

function expectLength(bytes: Uint8Array, length: number, which: string): void {
  if (bytes.length !== length) throw malformed(`${which} must be ${length} bytes, got ${bytes.length}`);
}

/**
 * Decodes any pairing message. Checks version, type and every length; does no cryptography.
 * @throws PairingError (`PAIRING_FAILED`) naming the problem.
 */
export function decodePairMessage(bytes: Uint8Array): PairMessage {
  if (bytes.length < PAIR_HEADER_BYTES) throw malformed(`pairing message too short: ${bytes.length} bytes`);
  if (bytes.length > MAX_PAIR_MESSAGE_BYTES) {
    throw malformed(`pairing message too long: ${bytes.length} bytes (limit ${MAX_PAIR_MESSAGE_BYTES})`);
  }
  if (bytes[0] !== PAIR_VERSION) {
    throw new PairingError(
      `pairing failed: the other node speaks pairing protocol version ${bytes[0]}, this node speaks ${PAIR_VERSION} — update both nodes`,
      AbortReason.Version,
    );
  }
  const body = bytes.subarray(PAIR_HEADER_BYTES);
  switch (bytes[1]) {
    case PairMessageType.Msg1: {
      if (body.length <= PAIR_SID_BYTES)
        throw malformed(`pairing message 1 too short: ${bytes.length} bytes`);
      const msg = body.slice(PAIR_SID_BYTES);
      return { type: 'msg1', sid: body.slice(0, PAIR_SID_BYTES), ...decodeShare(msg, 'pairing message 1') };
    }
    case PairMessageType.Msg2: {
      if (body.length <= PAIR_MAC_BYTES)
        throw malformed(`pairing message 2 too short: ${bytes.length} bytes`);
      const split = body.length - PAIR_MAC_BYTES;
      const share = decodeShare(body.slice(0, split), 'pairing message 2');
      return { type: 'msg2', mac: body.slice(split), ...share };
    }
    case PairMessageType.Msg3:
      expectLength(bytes, PAIR_HEADER_BYTES + PAIR_MAC_BYTES, 'pairing message 3');
      return { type: 'msg3', mac: body.slice() };
    case PairMessageType.Decision:
      return { type: 'decision', header: bytes.slice(0, PAIR_HEADER_BYTES), sealed: body.slice() };
    case PairMessageType.Abort:
      expectLength(bytes, PAIR_ABORT_BYTES, 'pairing abort message');
      return { type: 'abort', reason: bytes[PAIR_HEADER_BYTES]! };
    default:
      throw malformed(`unknown pairing message type ${bytes[1]}`);
  }
}

/** The error a side raises when the other side's ABORT arrives: the line matches the reason. */
export function abortError(reason: number): PairingError {
  if (reason === AbortReason.Version) {
    return new PairingError(
      'pairing failed: the other node runs an incompatible pairing protocol — update both nodes',
      AbortReason.Version,
    );
  }
  if (reason === AbortReason.Cancelled) {
    return new PairingError(
      'pairing cancelled on the other node — ask for a new code',
      AbortReason.Cancelled,
    );
  }
  return new PairingError(PAIRING_FAILED_LINE, AbortReason.Failed);
}
