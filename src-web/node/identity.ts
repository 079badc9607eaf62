/**
 * The browser's identity (ADR 0094): an ECDSA P-256 key made by WebCrypto as non-extractable, and a
 * self-signed certificate for it; the node ID is the SHA-256 of the certificate's DER, as every node's.
 * Where it is kept is the store's business (store.ts): the key stays a CryptoKey all the way, never bytes.
 */
import { BrowserNodeError } from './bytes.js';
import { selfSignedBrowserCert } from './certificate.js';
import { fingerprintOf, subtle, type WebKey } from './primitives.js';

export interface BrowserIdentity {
  /** Non-extractable: it signs, nothing reads it. */
  privateKey: WebKey;
  publicKey: WebKey;
  certDer: Uint8Array;
  /** SHA-256 of certDer, 64 lowercase hex. */
  fingerprint: string;
  /**
   * The name the browser goes by (shown to the owner at pairing, said in its hellos); its certificate
   * keeps the one it was made with.
   */
  name: string;
}

/**
 * What every page was called before pages named themselves (src-web/window/browser-name.ts): an
 * identity with this name takes the page's default when it starts.
 */
export const OLD_DEFAULT_NAME = 'browser';

/** C0 and C1 controls, line and paragraph separators, bidi embeddings and overrides. */
function isControl(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e);
}

/** A name is 1 to 64 characters without control characters (the node-name rule's shape). */
export function checkBrowserName(name: string): string {
  if (name.length === 0 || name.length > 64 || [...name].some(isControl)) {
    throw new BrowserNodeError(
      'BAD_ARGUMENT',
      'a browser name is 1 to 64 characters without control characters',
    );
  }
  return name;
}

/** Makes a fresh identity: a non-extractable P-256 key and its certificate. */
export async function makeBrowserIdentity(name: string): Promise<BrowserIdentity> {
  checkBrowserName(name);
  const keys = await subtle().generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const certDer = await selfSignedBrowserCert(keys, name);
  return { ...keys, certDer, fingerprint: fingerprintOf(certDer), name };
}
