/**
 * Wire formats of the E2E handshake (docs/protocol.md, "End-to-end channel"): version, type, sizes,
 * encode/decode and nothing else (architecture.md §Rules the code keeps). Every decoder checks lengths, version and type and throws
 * ClawError('HANDSHAKE_FAILED') with one line that names what was wrong; none of them trusts a length field
 * before checking it against the bytes actually present.
 */
import { ClawError } from '../core/errors.js';
import { SIGNATURE_BYTES } from './signed-input.js';

/** Protocol version carried in byte 0 of every handshake message. */
export const E2E_VERSION = 1;

/** Handshake message types (byte 1). */
export const MessageType = { Msg1: 1, Msg2: 2, Msg3: 3 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Size of an X25519 public key in bytes. */
export const X25519_KEY_BYTES = 32;
/** Size of the AES-256-GCM tag in bytes. */
export const TAG_BYTES = 16;
/** Size of the HMAC-SHA256 key-confirmation MAC in bytes. */
export const MAC_BYTES = 32;
/** Size of a message header (version, type) in bytes. */
export const HEADER_BYTES = 2;
/** Size of msg1 and of msg2's cleartext header (version, type, ephemeral key) in bytes. */
export const EPHEMERAL_HEADER_BYTES = HEADER_BYTES + X25519_KEY_BYTES;
/**
 * Largest certificate DER accepted, in bytes. Node certificates are about 370 bytes; 8 KiB leaves room
 * for longer names or extensions while keeping a hostile peer from making us parse megabytes.
 */
export const MAX_CERT_DER_BYTES = 8 * 1024;
/** Size of the certificate length prefix in bytes (u16 big-endian). */
const CERT_LENGTH_BYTES = 2;
/** Smallest encrypted body: a 1-byte certificate, signature, MAC and tag. */
const MIN_BODY_BYTES = CERT_LENGTH_BYTES + 1 + SIGNATURE_BYTES + MAC_BYTES;
/** Largest encrypted body in bytes. */
const MAX_BODY_BYTES = CERT_LENGTH_BYTES + MAX_CERT_DER_BYTES + SIGNATURE_BYTES + MAC_BYTES;

/** Decrypted content of msg2 and msg3: who the sender is and its proof. */
export interface HandshakeBody {
  certDer: Uint8Array;
  signature: Uint8Array;
  mac: Uint8Array;
}

function fail(message: string): never {
  throw new ClawError('HANDSHAKE_FAILED', message);
}

function checkHeader(bytes: Uint8Array, expected: MessageType): void {
  if (bytes.length < HEADER_BYTES) fail(`handshake message ${expected} too short: ${bytes.length} bytes`);
  if (bytes[0] !== E2E_VERSION) {
    fail(
      `peer speaks end-to-end protocol version ${bytes[0]}, this node speaks ${E2E_VERSION} — update both nodes`,
    );
  }
  if (bytes[1] !== expected) fail(`expected handshake message ${expected}, got message type ${bytes[1]}`);
}

/** The 2-byte header that starts msg3 (and, with the ephemeral key, msg1 and msg2). */
export function encodeHeader(type: MessageType): Uint8Array {
  return Uint8Array.of(E2E_VERSION, type);
}

/** msg1 and msg2's cleartext part: version ‖ type ‖ ephemeral X25519 public key. */
export function encodeEphemeralHeader(type: MessageType, ephemeral: Uint8Array): Uint8Array {
  if (ephemeral.length !== X25519_KEY_BYTES) {
    throw new ClawError(
      'INTERNAL',
      `ephemeral key must be ${X25519_KEY_BYTES} bytes, got ${ephemeral.length}`,
    );
  }
  const out = new Uint8Array(EPHEMERAL_HEADER_BYTES);
  out[0] = E2E_VERSION;
  out[1] = type;
  out.set(ephemeral, HEADER_BYTES);
  return out;
}

/** Decodes msg1 (exactly 34 bytes) and returns the initiator's ephemeral public key. */
export function decodeMsg1(bytes: Uint8Array): { ephemeral: Uint8Array } {
  checkHeader(bytes, MessageType.Msg1);
  if (bytes.length !== EPHEMERAL_HEADER_BYTES) {
    fail(`handshake message 1 must be ${EPHEMERAL_HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  return { ephemeral: bytes.slice(HEADER_BYTES) };
}

/** Splits msg2 into its cleartext header (also the AEAD's associated data), ephemeral key and ciphertext. */
export function decodeMsg2(bytes: Uint8Array): {
  header: Uint8Array;
  ephemeral: Uint8Array;
  ciphertext: Uint8Array;
} {
  checkHeader(bytes, MessageType.Msg2);
  checkCiphertextLength(bytes.length - EPHEMERAL_HEADER_BYTES, 2);
  return {
    header: bytes.subarray(0, EPHEMERAL_HEADER_BYTES),
    ephemeral: bytes.slice(HEADER_BYTES, EPHEMERAL_HEADER_BYTES),
    ciphertext: bytes.subarray(EPHEMERAL_HEADER_BYTES),
  };
}

/** Splits msg3 into its 2-byte header (the AEAD's associated data) and ciphertext. */
export function decodeMsg3(bytes: Uint8Array): { header: Uint8Array; ciphertext: Uint8Array } {
  checkHeader(bytes, MessageType.Msg3);
  checkCiphertextLength(bytes.length - HEADER_BYTES, 3);
  return { header: bytes.subarray(0, HEADER_BYTES), ciphertext: bytes.subarray(HEADER_BYTES) };
}

function checkCiphertextLength(length: number, which: number): void {
  if (length < MIN_BODY_BYTES + TAG_BYTES) {
    fail(`handshake message ${which} too short: ${length} bytes of ciphertext`);
  }
  if (length > MAX_BODY_BYTES + TAG_BYTES) {
    fail(
      `handshake message ${which} too long: ${length} bytes of ciphertext (limit ${MAX_BODY_BYTES + TAG_BYTES})`,
    );
  }
}

/** The u16 length-prefixed certificate: the transcript item that the sender's signature covers. */
export function encodeCertBlock(certDer: Uint8Array): Uint8Array {
  if (certDer.length === 0 || certDer.length > MAX_CERT_DER_BYTES) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `identity certificate must be 1 to ${MAX_CERT_DER_BYTES} bytes of DER, got ${certDer.length}`,
    );
  }
  const out = new Uint8Array(CERT_LENGTH_BYTES + certDer.length);
  out[0] = certDer.length >>> 8;
  out[1] = certDer.length & 0xff;
  out.set(certDer, CERT_LENGTH_BYTES);
  return out;
}

/** Decodes a decrypted body: u16 certificate length ‖ certificate DER ‖ signature (64) ‖ MAC (32). */
export function decodeBody(plain: Uint8Array): HandshakeBody & { certBlock: Uint8Array } {
  if (plain.length < MIN_BODY_BYTES) fail(`handshake body too short: ${plain.length} bytes`);
  const certLength = (plain[0]! << 8) | plain[1]!;
  const expected = CERT_LENGTH_BYTES + certLength + SIGNATURE_BYTES + MAC_BYTES;
  if (certLength === 0 || certLength > MAX_CERT_DER_BYTES) {
    fail(`handshake certificate length ${certLength} is outside 1..${MAX_CERT_DER_BYTES}`);
  }
  if (plain.length !== expected) {
    fail(`handshake body is ${plain.length} bytes but its certificate length implies ${expected}`);
  }
  const certEnd = CERT_LENGTH_BYTES + certLength;
  return {
    certBlock: plain.subarray(0, certEnd),
    certDer: plain.slice(CERT_LENGTH_BYTES, certEnd),
    signature: plain.slice(certEnd, certEnd + SIGNATURE_BYTES),
    mac: plain.slice(certEnd + SIGNATURE_BYTES),
  };
}

/** Encodes a body (before encryption): certificate block ‖ signature ‖ MAC. */
export function encodeBody(certBlock: Uint8Array, signature: Uint8Array, mac: Uint8Array): Uint8Array {
  const out = new Uint8Array(certBlock.length + signature.length + mac.length);
  out.set(certBlock, 0);
  out.set(signature, certBlock.length);
  out.set(mac, certBlock.length + signature.length);
  return out;
}
