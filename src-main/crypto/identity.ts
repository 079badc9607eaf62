/**
 * Node identity (architecture.md §Identity): an ECDSA P-256 key and a self-signed X.509 certificate for it. The Node ID is
 * the SHA-256 of the certificate's DER. P-256 rather than Ed25519 because Electron's BoringSSL rejects
 * Ed25519 TLS certificates, and the same certificate serves direct TLS, relay auth and the E2E handshake.
 * Certificate building is @peculiar/x509's job (no hand-written ASN.1); parsing and key checks use
 * node:crypto. No I/O here: storing the key at rest is the agent's job.
 */
import { createPrivateKey, randomBytes, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { ClawError } from '../core/errors.js';
import { fingerprintOfCert } from './signature.js';
import { CLOCK_SKEW_MS, IDENTITY_VALIDITY_YEARS } from './cert-profile.js';

/**
 * @peculiar/x509, loaded on the first generation only: loading it and its ASN.1 schemas was most of
 * the start of a command that merely reads an identity (`clawbridge id`; the agent, the relay:
 * docs/design/loading-on-demand.md), and an identity is generated once per node.
 */
let x509Library: Promise<typeof X509> | undefined;
function loadX509(): Promise<typeof X509> {
  x509Library ??= (async () => {
    // Its decorators need the Reflect metadata polyfill installed first.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    // node's webcrypto is the standard Web Crypto; the cast only bridges @types/node and the DOM typings.
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Library;
}

/** A node's identity: certificate and key as PEM for storage and TLS, plus the DER and fingerprint. */
export interface Identity {
  /** Self-signed certificate, PEM (`-----BEGIN CERTIFICATE-----`). */
  certPem: string;
  /** PKCS#8 private key, PEM (`-----BEGIN PRIVATE KEY-----`). Never leaves the node. */
  keyPem: string;
  /** The certificate's DER: what peers hash into the fingerprint and what the E2E handshake sends. */
  certDer: Uint8Array;
  /** Node ID: SHA-256 of `certDer`, 64 lowercase hex characters. */
  fingerprint: string;
}

export { IDENTITY_VALIDITY_YEARS } from './cert-profile.js';

/** Upper bound of an X.520 common name in characters (ub-common-name). */
const MAX_COMMON_NAME_LENGTH = 64;

/** Serial number size in bytes: 16 random bytes, as RFC 5280 §4.1.2.2 allows up to 20. */
const SERIAL_BYTES = 16;

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** Generates a fresh identity: a P-256 key pair and a self-signed certificate valid for 20 years. */
export async function generateIdentity(commonName = 'clawbridge node'): Promise<Identity> {
  if (commonName.length === 0 || commonName.length > MAX_COMMON_NAME_LENGTH) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `certificate name must be 1 to ${MAX_COMMON_NAME_LENGTH} characters, got ${commonName.length}`,
    );
  }
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const serial = randomBytes(SERIAL_BYTES);
  // A DER INTEGER with the top bit set would be negative; RFC 5280 requires a positive serial.
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const now = Date.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + IDENTITY_VALIDITY_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    // JSON form, not a DN string, so a name with commas or '=' cannot inject attributes.
    name: [{ CN: [commonName] }],
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return loadIdentity(cert.toString('pem'), keyPem);
}

/**
 * Loads a stored identity and checks that it is usable: a P-256 ECDSA key whose public half is the one in
 * the certificate. Computes the fingerprint from the certificate's DER.
 * @throws ClawError(`IDENTITY_INVALID`) saying which part is wrong and what to do.
 */
export function loadIdentity(certPem: string, keyPem: string): Identity {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new ClawError(
      'IDENTITY_INVALID',
      'identity certificate is not a readable X.509 certificate — restore it from backup or delete the identity to generate a new one',
      { cause: err },
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new ClawError(
      'IDENTITY_INVALID',
      'identity private key is not a readable PEM key — restore it from backup or delete the identity to generate a new one',
      { cause: err },
    );
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new ClawError(
      'IDENTITY_INVALID',
      `identity key must be ECDSA P-256, got ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''} — delete the identity to generate a new one`,
    );
  }
  if (!cert.checkPrivateKey(key)) {
    throw new ClawError(
      'IDENTITY_INVALID',
      'identity private key does not match its certificate — restore the matching key file or delete both to generate a new identity',
    );
  }
  const certDer = new Uint8Array(cert.raw);
  return {
    certPem: cert.toString(),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certDer,
    fingerprint: fingerprintOfCert(certDer),
  };
}
