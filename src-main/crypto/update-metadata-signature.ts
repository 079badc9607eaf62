/**
 * Signatures over the desktop app's update metadata (docs/adr/0084-signed-update-metadata.md): the
 * release workflow signs each feed file (`latest-linux.yml`, `latest-mac.yml`, `latest.yml`,
 * `beta*.yml`) with an Ed25519 key kept in a CI secret, and writes the signature beside it as
 * `<file>.sig`; the app checks it with the public keys it ships before electron-updater reads a byte
 * of the file. The signed message names the file, so one channel's or platform's signed metadata
 * cannot be served as another's. Pure: no I/O, no keys of its own.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

/** Separates these signatures from any other use of an Ed25519 key. */
export const UPDATE_METADATA_CONTEXT = 'clawbridge update metadata v1';

/** An Ed25519 public key or secret seed, in bytes. */
export const UPDATE_KEY_BYTES = 32;

/** An Ed25519 signature, in bytes. */
export const UPDATE_SIGNATURE_BYTES = 64;

/** Longest `.sig` file read, in characters: the base64 of a signature (88) and some whitespace. */
export const MAX_SIGNATURE_FILE_CHARS = 256;

/** What a signed feed file may be called: the file name only, ending in `.yml`. */
const METADATA_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.yml$/;

/** The name of the detached signature of feed file `fileName`. */
export const signatureFileName = (fileName: string): string => `${fileName}.sig`;

/** The bytes a signature covers: the context, the feed file's name and its exact content. */
export function updateMetadataMessage(fileName: string, content: Uint8Array): Uint8Array {
  if (!METADATA_FILE_NAME.test(fileName)) throw new RangeError(`not a feed file name: ${fileName}`);
  const head = new TextEncoder().encode(`${UPDATE_METADATA_CONTEXT}\0${fileName}\0`);
  const message = new Uint8Array(head.length + content.length);
  message.set(head, 0);
  message.set(content, head.length);
  return message;
}

/** The `.sig` file for feed file `fileName` with `content`, signed with the 32-byte `seed`. */
export function signUpdateMetadata(fileName: string, content: Uint8Array, seed: Uint8Array): string {
  if (seed.length !== UPDATE_KEY_BYTES) throw new RangeError(`a signing key is ${UPDATE_KEY_BYTES} bytes`);
  const signature = ed25519.sign(updateMetadataMessage(fileName, content), seed);
  return `${Buffer.from(signature).toString('base64')}\n`;
}

/** The public key of a 32-byte signing seed, in base64 (what the app ships). */
export function updatePublicKey(seed: Uint8Array): string {
  if (seed.length !== UPDATE_KEY_BYTES) throw new RangeError(`a signing key is ${UPDATE_KEY_BYTES} bytes`);
  return Buffer.from(ed25519.getPublicKey(seed)).toString('base64');
}

/** Base64 that decodes to exactly `bytes` bytes, or undefined. */
export function base64Exact(text: string, bytes: number): Uint8Array | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, 'base64');
  // Buffer ignores what does not decode; a re-encoding that differs means the text was not canonical.
  if (decoded.length !== bytes || decoded.toString('base64') !== trimmed) return undefined;
  return new Uint8Array(decoded);
}

/**
 * Why the `.sig` text `signature` does not vouch for feed file `fileName` with `content` under any of
 * `publicKeys` (base64), or undefined when one of them signed exactly these bytes under this name.
 * Never throws: every malformed input is a reason.
 */
export function updateMetadataProblem(
  fileName: string,
  content: Uint8Array,
  signature: string | null | undefined,
  publicKeys: readonly string[],
): string | undefined {
  if (publicKeys.length === 0) return 'this build ships no update signing key';
  if (!METADATA_FILE_NAME.test(fileName)) return `'${fileName.slice(0, 100)}' is not a feed file name`;
  if (signature === null || signature === undefined || signature.trim() === '')
    return `${fileName} has no signature (${signatureFileName(fileName)})`;
  if (signature.length > MAX_SIGNATURE_FILE_CHARS)
    return `${signatureFileName(fileName)} is longer than a signature`;
  const sig = base64Exact(signature, UPDATE_SIGNATURE_BYTES);
  if (!sig) return `${signatureFileName(fileName)} is not a base64 Ed25519 signature`;
  const message = updateMetadataMessage(fileName, content);
  for (const key of publicKeys) {
    const publicKey = base64Exact(key, UPDATE_KEY_BYTES);
    if (!publicKey) continue;
    try {
      // Strict RFC 8032 checks (no ZIP-215 leniency): one message, one valid signature encoding.
      if (ed25519.verify(sig, message, publicKey, { zip215: false })) return undefined;
    } catch {
      // A key or signature that is not a curve point does not verify; the next key may.
    }
  }
  return `${fileName}'s signature does not verify with this app's update signing key (altered, or signed by another key)`;
}
