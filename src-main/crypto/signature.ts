/**
 * Identity signatures: ECDSA P-256 over SHA-256 with the node's identity key, checked against the
 * public key inside the signer's certificate. Used by relay authentication and the E2E handshake.
 * Signatures are IEEE P1363 (r‖s, 64 bytes) so their size is fixed on the wire.
 */
import { createHash, createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { fingerprintFromDigest } from '../core/fingerprint.js';
import { SIGNATURE_BYTES, signedInput } from './signed-input.js';

export { SIGNATURE_BYTES };

/** Node ID of a certificate: SHA-256 over its DER (architecture.md §Identity). */
export function fingerprintOfCert(certDer: Uint8Array): string {
  return fingerprintFromDigest(createHash('sha256').update(certDer).digest());
}

export function privateKeyFrom(keyPem: string | KeyObject): KeyObject {
  return typeof keyPem === 'string' ? createPrivateKey(keyPem) : keyPem;
}

/** Signs `data` with the identity key. `context` separates uses so one signature cannot serve another. */
export function signIdentity(key: string | KeyObject, context: string, data: Uint8Array): Uint8Array {
  const msg = signedInput(context, data);
  return new Uint8Array(sign('sha256', msg, { key: privateKeyFrom(key), dsaEncoding: 'ieee-p1363' }));
}

/**
 * Verifies a signature made by `signIdentity` against the key in `certDer`. Returns false (never throws)
 * for a malformed certificate or signature, so callers at a boundary can reject with their own reason.
 */
export function verifyIdentity(
  certDer: Uint8Array,
  context: string,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = publicKeyOfCert(certDer);
  return key !== undefined && verifyIdentityWithKey(key, context, data, signature);
}

/** The public key in `certDer`, or undefined for what is no certificate. Never throws. */
export function publicKeyOfCert(certDer: Uint8Array): KeyObject | undefined {
  try {
    return new X509Certificate(certDer).publicKey;
  } catch {
    return undefined;
  }
}

/**
 * `verifyIdentity` with the signer's key already taken from its certificate (`publicKeyOfCert`): for
 * a caller that checks many signatures of one signer. Never throws.
 */
export function verifyIdentityWithKey(
  key: KeyObject,
  context: string,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    const msg = signedInput(context, data);
    return verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
