/**
 * X25519 (RFC 7748) for the E2E handshake's ephemeral keys, on Node's OpenSSL: a pure-JavaScript curve
 * was most of a relay link's set-up time, above all on a process's first link, before the JIT warms it
 * (docs/design/hot-path-costs.md). Raw 32-byte keys in and out, as the handshake's messages and
 * known-answer vectors carry them; the DER prefixes are the fixed PKCS#8 / SPKI headers of an X25519
 * key (RFC 8410).
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';

export const X25519_BYTES = 32;
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function privateKey(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/** The public key of a raw private key (any 32 bytes; clamped as RFC 7748 says). */
export function x25519PublicKey(privateRaw: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKey(privateRaw)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - X25519_BYTES));
}

/**
 * The shared secret of our private key and the peer's public key.
 * @throws when the peer's key is not 32 bytes or OpenSSL refuses it (a low-order point gives an
 *   all-zero secret, which OpenSSL refuses); callers check for zero as well.
 */
export function x25519SharedSecret(privateRaw: Uint8Array, peerPublicRaw: Uint8Array): Uint8Array {
  if (peerPublicRaw.length !== X25519_BYTES) {
    throw new Error(`an X25519 public key is ${X25519_BYTES} bytes, got ${peerPublicRaw.length}`);
  }
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, peerPublicRaw]),
    format: 'der',
    type: 'spki',
  });
  return new Uint8Array(diffieHellman({ privateKey: privateKey(privateRaw), publicKey }));
}
