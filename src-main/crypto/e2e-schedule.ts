/**
 * The E2E channel's names and key schedule (docs/protocol.md, "Key schedule"), apart from the hash
 * that runs it: the agent's HMAC is node:crypto's (e2e-keys.ts), the browser node's @noble/hashes',
 * and both derive every secret here (ADR 0116). Shaped like TLS 1.3's schedule (RFC 8446 §7.1) with
 * fewer stages: one extract over the X25519 secret salted with the transcript so far, then labelled
 * expands.
 */

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
/** The nonce of the two handshake bodies: each handshake key encrypts exactly one message, so fixed is safe. */
export const HANDSHAKE_NONCE: Readonly<Uint8Array> = new Uint8Array(NONCE_BYTES);

/** HKDF-SHA256 (RFC 5869) as a runtime offers it: the schedule below is the same on every one. */
export interface Hkdf256 {
  /** HKDF-Extract(salt, IKM) = HMAC-SHA256(salt, IKM). */
  extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand(PRK, info, L). */
  expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
}

const encoder = new TextEncoder();

/** The first transcript item: "clawbridge e2e v1" ‖ u32 length(prologue) ‖ prologue. */
export function transcriptStart(prologue: Uint8Array = new Uint8Array(0)): Uint8Array {
  const name = encoder.encode(PROTOCOL_NAME);
  const out = new Uint8Array(name.length + 4 + prologue.length);
  out.set(name, 0);
  new DataView(out.buffer).setUint32(name.length, prologue.length);
  out.set(prologue, name.length + 4);
  return out;
}

/**
 * HKDF-Expand with a TLS 1.3-style label: info = u8 length ‖ "clawbridge e2e v1 " ‖ label ‖ context.
 * The length prefix keeps (label, context) pairs from colliding.
 */
export function expandLabelWith(
  kdf: Hkdf256,
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
  return kdf.expand(secret, info, length);
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
export function handshakeSecretsWith(
  kdf: Hkdf256,
  sharedSecret: Uint8Array,
  th2: Uint8Array,
): HandshakeSecrets {
  const handshakeSecret = kdf.extract(th2, sharedSecret);
  return {
    handshakeSecret,
    r2iKey: expandLabelWith(kdf, handshakeSecret, 'r2i hs key'),
    i2rKey: expandLabelWith(kdf, handshakeSecret, 'i2r hs key'),
    r2iMacKey: expandLabelWith(kdf, handshakeSecret, 'r2i finished'),
    i2rMacKey: expandLabelWith(kdf, handshakeSecret, 'i2r finished'),
  };
}

/** Traffic secrets of the two directions, bound to the whole transcript (`thFinal`). */
export function trafficSecretsWith(
  kdf: Hkdf256,
  handshakeSecret: Uint8Array,
  thFinal: Uint8Array,
): { i2r: Uint8Array; r2i: Uint8Array } {
  return {
    i2r: expandLabelWith(kdf, handshakeSecret, 'i2r traffic', thFinal),
    r2i: expandLabelWith(kdf, handshakeSecret, 'r2i traffic', thFinal),
  };
}

/** AES-256 record key of one traffic secret. */
export function recordKeyWith(kdf: Hkdf256, trafficSecret: Uint8Array): Uint8Array {
  return expandLabelWith(kdf, trafficSecret, 'key');
}

/** Next traffic secret after a key update, like TLS 1.3's "traffic upd" (RFC 8446 §7.2). */
export function nextTrafficSecretWith(kdf: Hkdf256, trafficSecret: Uint8Array): Uint8Array {
  return expandLabelWith(kdf, trafficSecret, 'traffic upd');
}
