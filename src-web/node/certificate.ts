/**
 * The browser's certificate and the public keys in peers' certificates, through @peculiar/x509 (the
 * library the agent builds its certificates with, pinned in package.json): it signs through WebCrypto,
 * so it builds a certificate for a non-extractable key. Loaded on first use: a page that is already
 * paired and only links never builds one.
 */
import type * as X509 from '@peculiar/x509';
import { BrowserNodeError, randomBytes, toHex } from './bytes.js';
import { bs, subtle, type WebKey } from './primitives.js';

import {
  BROWSER_UNIT,
  CLOCK_SKEW_MS,
  IDENTITY_VALIDITY_YEARS as VALIDITY_YEARS,
} from '../../src-main/crypto/cert-profile.js';

export { BROWSER_UNIT };

let library: Promise<typeof X509> | undefined;
function x509(): Promise<typeof X509> {
  library ??= (async () => {
    // Its decorators need the Reflect metadata polyfill installed first.
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    // The one-argument form: the page's (or Node's) standard WebCrypto.
    (lib.cryptoProvider as { set(crypto: unknown): void }).set(globalThis.crypto);
    return lib;
  })();
  return library;
}

/** A self-signed certificate (DER) for `keys`, named `name`, marked as a browser's. */
export async function selfSignedBrowserCert(
  keys: { privateKey: WebKey; publicKey: WebKey },
  name: string,
): Promise<Uint8Array> {
  const lib = await x509();
  const serial = randomBytes(16);
  // A DER INTEGER with the top bit set would be negative; RFC 5280 wants a positive serial.
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const now = Date.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: toHex(serial),
    // JSON form, not a DN string, so a name with commas or '=' cannot inject attributes.
    name: [{ CN: [name] }, { OU: [BROWSER_UNIT] }],
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys,
    extensions: [
      new lib.BasicConstraintsExtension(false, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return new Uint8Array(cert.rawData);
}

/**
 * The P-256 public key in a peer's certificate, for verifying its signatures.
 * @throws BrowserNodeError('HANDSHAKE_FAILED') for anything that is not an X.509 certificate with a
 *   P-256 ECDSA key.
 */
export async function publicKeyOfCert(certDer: Uint8Array): Promise<WebKey> {
  const lib = await x509();
  try {
    const cert = new lib.X509Certificate(bs(certDer));
    return await subtle().importKey(
      'spki',
      cert.publicKey.rawData,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
  } catch {
    throw new BrowserNodeError('HANDSHAKE_FAILED', "the peer's certificate is not a P-256 X.509 certificate");
  }
}
