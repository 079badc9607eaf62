/**
 * Key schedule of the E2E channel (docs/protocol.md, "Key schedule"): the running transcript hash,
 * HKDF-SHA256 labels, the handshake and traffic secrets, and the one-shot AEAD that protects the identity
 * parts of the handshake. Shaped like TLS 1.3's schedule (RFC 8446 §7.1) with fewer stages: one extract
 * over the X25519 secret salted with the transcript so far, then labelled expands.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  timingSafeEqual,
  type Hash,
} from 'node:crypto';
import { ClawError } from '../core/errors.js';
import { MAC_BYTES, TAG_BYTES } from './e2e-messages.js';

/** Protocol name: starts the transcript and prefixes every HKDF label and signature context. */
export const PROTOCOL_NAME = 'clawbridge e2e v1';
/** Signature context of the responder (msg2); distinct per role so a signature cannot be reflected. */
export const RESPONDER_SIGNATURE_CONTEXT = `${PROTOCOL_NAME} responder signature`;
/** Signature context of the initiator (msg3). */
export const INITIATOR_SIGNATURE_CONTEXT = `${PROTOCOL_NAME} initiator signature`;
/** Size of every secret and key in bytes (SHA-256 output, AES-256 key). */
export const SECRET_BYTES = 32;
/** Size of an AES-GCM nonce in bytes. */
export const NONCE_BYTES = 12;

const encoder = new TextEncoder();

/**
 * HKDF-Expand with a TLS 1.3-style label: info = u8 length ‖ "clawbridge e2e v1 " ‖ label ‖ context.
 * The length prefix keeps (label, context) pairs from colliding.
 */
export function expandLabel(
  secret: Uint8Array,
  label: string,
  context: Uint8Array = new Uint8Array(0),
  length = SECRET_BYTES,
): Uint8Array {
  const full = encoder.encode(`${PROTOCOL_NAME} ${label}`);
  const info = new Uint8Array(1 + full.length + context.length);
  info[0] = full.length;
  info.set(full, 1);
  info.set(context, 1 + full.length);
  return hkdfExpand(secret, info, length);
}

/*
 * HKDF-SHA256 (RFC 5869) on node:crypto's HMAC, not a JavaScript hash: a process's first link runs the
 * key schedule cold, where a JavaScript hash (@noble/hashes) was a noticeable part of each side's
 * set-up of a relay link and OpenSSL's HMAC is fast from the first call
 * (docs/design/hot-path-costs.md). The known-answer vectors pin the result.
 */

/** HKDF-Extract(salt, IKM) = HMAC-SHA256(salt, IKM). */
function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', salt).update(ikm).digest());
}

/** HKDF-Expand(PRK, info, L): T(i) = HMAC-SHA256(PRK, T(i−1) ‖ info ‖ i), the first L bytes of T(1) ‖ T(2)…. */
function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > 255 * SECRET_BYTES) throw new RangeError(`HKDF-Expand cannot make ${length} bytes`);
  const out = new Uint8Array(length);
  let block: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++, at += SECRET_BYTES) {
    block = createHmac('sha256', prk).update(block).update(info).update(Uint8Array.of(i)).digest();
    out.set(block.subarray(0, Math.min(SECRET_BYTES, length - at)), at);
  }
  return out;
}

/** Secrets and keys of the handshake phase, all derived from the X25519 secret and TH2. */
export interface HandshakeSecrets {
  /** HKDF-Extract(salt = TH2, IKM = X25519 shared secret): the root of everything below. */
  handshakeSecret: Uint8Array;
  /** AES-256-GCM key for msg2's body (responder → initiator). */
  r2iKey: Uint8Array;
  /** AES-256-GCM key for msg3's body (initiator → responder). */
  i2rKey: Uint8Array;
  /** HMAC-SHA256 key of the responder's key confirmation (SIGMA's MAC). */
  r2iMacKey: Uint8Array;
  /** HMAC-SHA256 key of the initiator's key confirmation. */
  i2rMacKey: Uint8Array;
}

/** Derives the handshake secrets. `th2` is the transcript hash through msg2's cleartext header. */
export function deriveHandshakeSecrets(sharedSecret: Uint8Array, th2: Uint8Array): HandshakeSecrets {
  const handshakeSecret = hkdfExtract(th2, sharedSecret);
  return {
    handshakeSecret,
    r2iKey: expandLabel(handshakeSecret, 'r2i hs key'),
    i2rKey: expandLabel(handshakeSecret, 'i2r hs key'),
    r2iMacKey: expandLabel(handshakeSecret, 'r2i finished'),
    i2rMacKey: expandLabel(handshakeSecret, 'i2r finished'),
  };
}

/** Traffic secrets of the two directions, bound to the whole transcript (`thFinal`). */
export function deriveTrafficSecrets(
  handshakeSecret: Uint8Array,
  thFinal: Uint8Array,
): { i2r: Uint8Array; r2i: Uint8Array } {
  return {
    i2r: expandLabel(handshakeSecret, 'i2r traffic', thFinal),
    r2i: expandLabel(handshakeSecret, 'r2i traffic', thFinal),
  };
}

/** AES-256 record key of one traffic secret. */
export function recordKey(trafficSecret: Uint8Array): Uint8Array {
  return expandLabel(trafficSecret, 'key');
}

/** Next traffic secret after a key update, like TLS 1.3's "traffic upd" (RFC 8446 §7.2). */
export function nextTrafficSecret(trafficSecret: Uint8Array): Uint8Array {
  return expandLabel(trafficSecret, 'traffic upd');
}

/** HMAC-SHA256 key confirmation over a transcript hash. */
export function confirmationMac(macKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', macKey).update(transcriptHash).digest());
}

/** Constant-time comparison of a received MAC with the expected one. */
export function macEquals(expected: Uint8Array, received: Uint8Array): boolean {
  return received.length === MAC_BYTES && timingSafeEqual(expected, received);
}

/**
 * The running transcript: T0 = "clawbridge e2e v1" ‖ u32 length(prologue) ‖ prologue, then every
 * handshake item in order. `hash()` is SHA-256 over everything added so far and does not end the hash.
 */
export class Transcript {
  private readonly running: Hash = createHash('sha256');

  constructor(prologue: Uint8Array = new Uint8Array(0)) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(prologue.length);
    this.running.update(PROTOCOL_NAME).update(length).update(prologue);
  }

  add(item: Uint8Array): this {
    this.running.update(item);
    return this;
  }

  hash(): Uint8Array {
    return new Uint8Array(this.running.copy().digest());
  }
}

/** The all-zero nonce: each handshake key encrypts exactly one message, so a fixed nonce is safe. */
const HANDSHAKE_NONCE = Buffer.alloc(NONCE_BYTES);

/** Encrypts a handshake body; returns ciphertext ‖ tag. */
export function sealHandshake(key: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, HANDSHAKE_NONCE, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  return new Uint8Array(Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
}

/**
 * Decrypts a handshake body (ciphertext ‖ tag).
 * @throws ClawError(`HANDSHAKE_FAILED`) when authentication fails.
 */
export function openHandshake(
  key: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  which: number,
): Uint8Array {
  const split = sealed.length - TAG_BYTES;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, HANDSHAKE_NONCE, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(split));
    const plain = decipher.update(sealed.subarray(0, split));
    decipher.final();
    return new Uint8Array(plain);
  } catch (err) {
    throw new ClawError(
      'HANDSHAKE_FAILED',
      `handshake message ${which} failed to decrypt — it was altered in transit or the peer is not running this protocol`,
      { cause: err },
    );
  }
}
