/**
 * The E2E channel's key schedule on node:crypto (docs/protocol.md, "Key schedule"): the schedule and
 * its labels are e2e-schedule.ts's, shared with the browser node (ADR 0116); here are the running
 * transcript hash, HMAC, and the one-shot AEAD that protects the identity parts of the handshake.
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
import {
  expandLabelWith,
  HANDSHAKE_NONCE,
  handshakeSecretsWith,
  nextTrafficSecretWith,
  recordKeyWith,
  SECRET_BYTES,
  trafficSecretsWith,
  transcriptStart,
  type HandshakeSecrets,
  type Hkdf256,
} from './e2e-schedule.js';

export {
  HANDSHAKE_NONCE,
  INITIATOR_SIGNATURE_CONTEXT,
  NONCE_BYTES,
  PROTOCOL_NAME,
  RESPONDER_SIGNATURE_CONTEXT,
  SECRET_BYTES,
  type HandshakeSecrets,
} from './e2e-schedule.js';

/*
 * HKDF-SHA256 (RFC 5869) on node:crypto's HMAC, not a JavaScript hash: a process's first link runs the
 * key schedule cold, where a JavaScript hash (@noble/hashes) was a noticeable part of each side's
 * set-up of a relay link and OpenSSL's HMAC is fast from the first call
 * (docs/design/hot-path-costs.md). The known-answer vectors pin the result.
 */
const NODE_HKDF: Hkdf256 = {
  extract: (salt, ikm) => new Uint8Array(createHmac('sha256', salt).update(ikm).digest()),
  expand(prk, info, length) {
    if (length > 255 * SECRET_BYTES) throw new RangeError(`HKDF-Expand cannot make ${length} bytes`);
    const out = new Uint8Array(length);
    let block: Uint8Array = new Uint8Array(0);
    for (let i = 1, at = 0; at < length; i++, at += SECRET_BYTES) {
      block = createHmac('sha256', prk).update(block).update(info).update(Uint8Array.of(i)).digest();
      out.set(block.subarray(0, Math.min(SECRET_BYTES, length - at)), at);
    }
    return out;
  },
};

/** HKDF-Expand with the protocol's label (e2e-schedule.ts), on node:crypto. */
export function expandLabel(
  secret: Uint8Array,
  label: string,
  context: Uint8Array = new Uint8Array(0),
  length = SECRET_BYTES,
): Uint8Array {
  return expandLabelWith(NODE_HKDF, secret, label, context, length);
}

/** Derives the handshake secrets. `th2` is the transcript hash through msg2's cleartext header. */
export function deriveHandshakeSecrets(sharedSecret: Uint8Array, th2: Uint8Array): HandshakeSecrets {
  return handshakeSecretsWith(NODE_HKDF, sharedSecret, th2);
}

/** Traffic secrets of the two directions, bound to the whole transcript (`thFinal`). */
export function deriveTrafficSecrets(
  handshakeSecret: Uint8Array,
  thFinal: Uint8Array,
): { i2r: Uint8Array; r2i: Uint8Array } {
  return trafficSecretsWith(NODE_HKDF, handshakeSecret, thFinal);
}

/** AES-256 record key of one traffic secret. */
export function recordKey(trafficSecret: Uint8Array): Uint8Array {
  return recordKeyWith(NODE_HKDF, trafficSecret);
}

/** Next traffic secret after a key update. */
export function nextTrafficSecret(trafficSecret: Uint8Array): Uint8Array {
  return nextTrafficSecretWith(NODE_HKDF, trafficSecret);
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
    this.running.update(transcriptStart(prologue));
  }

  add(item: Uint8Array): this {
    this.running.update(item);
    return this;
  }

  hash(): Uint8Array {
    return new Uint8Array(this.running.copy().digest());
  }
}

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
