/**
 * The browser node's primitives: SHA-256, HMAC and HKDF from @noble/hashes (synchronous, so the
 * transcript and key schedule read like the agent's), AES-256-GCM and ECDSA P-256 from WebCrypto
 * (`globalThis.crypto`: a page's, or Node's standard one in tests). The identity key never leaves
 * WebCrypto: signing takes the CryptoKey, never its bytes.
 */
import { expand, extract, hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { BrowserNodeError, toHex } from './bytes.js';
import type { Hkdf256 } from '../../src-main/crypto/e2e-schedule.js';
import { SIGNATURE_BYTES, signedInput } from '../../src-main/crypto/signed-input.js';

export { sha256, sha512, hmac, hkdf };

/** The subset of WebCrypto this module uses, typed here so it compiles for a page and for Node alike. */
type Subtle = typeof globalThis.crypto.subtle;
export type WebKey = Awaited<ReturnType<Subtle['importKey']>>;

export const subtle = (): Subtle => globalThis.crypto.subtle;

/**
 * WebCrypto's typings want bytes over an ArrayBuffer, not a SharedArrayBuffer; every array here is one
 * this module or a decoder made, over an ArrayBuffer.
 */
export const bs = (bytes: Readonly<Uint8Array>): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

/** Node ID of a certificate: SHA-256 over its DER, 64 lowercase hex (as crypto/signature.ts). */
export const fingerprintOf = (certDer: Uint8Array): string => toHex(sha256(certDer));

/** HKDF-SHA256 on @noble/hashes: the E2E key schedule (crypto/e2e-schedule.ts) runs on it here. */
export const WEB_HKDF: Hkdf256 = {
  extract: (salt, ikm) => extract(sha256, ikm, salt),
  expand: (prk, info, length) => expand(sha256, prk, info, length),
};

const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Signs `context ‖ 0 ‖ data` with the identity key, as crypto/signature.ts signIdentity does. */
export async function signIdentity(key: WebKey, context: string, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign(ECDSA_SHA256, key, bs(signedInput(context, data))));
}

/** Verifies a signIdentity signature with a public key taken from a certificate; never throws. */
export async function verifyIdentity(
  publicKey: WebKey,
  context: string,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return await subtle().verify(ECDSA_SHA256, publicKey, bs(signature), bs(signedInput(context, data)));
  } catch {
    return false;
  }
}

/** An AES-256-GCM key for WebCrypto from 32 raw bytes. */
export function aesKey(raw: Uint8Array): Promise<WebKey> {
  return subtle().importKey('raw', bs(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function aesSeal(
  key: WebKey,
  nonce: Readonly<Uint8Array>,
  plain: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  const params = {
    name: 'AES-GCM',
    iv: bs(nonce),
    tagLength: 128,
    ...(aad ? { additionalData: bs(aad) } : {}),
  };
  return new Uint8Array(await subtle().encrypt(params, key, bs(plain)));
}

/** @throws BrowserNodeError('DECRYPT_FAILED') when authentication fails. */
export async function aesOpen(
  key: WebKey,
  nonce: Readonly<Uint8Array>,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  const params = {
    name: 'AES-GCM',
    iv: bs(nonce),
    tagLength: 128,
    ...(aad ? { additionalData: bs(aad) } : {}),
  };
  try {
    return new Uint8Array(await subtle().decrypt(params, key, bs(sealed)));
  } catch {
    throw new BrowserNodeError('DECRYPT_FAILED', 'a sealed message failed authentication');
  }
}
