/**
 * What kind of node a certificate belongs to (ADR 0094): a browser marks its self-signed certificate
 * with the subject OU `clawbridge browser` (src-web/node/certificate.ts); every other certificate is a
 * node's. The fingerprint covers the certificate, so the mark cannot change without the node ID
 * changing, and a node that claims to be a browser only gets less (a browser's default is `terminal`).
 */
import { X509Certificate } from 'node:crypto';
import { BROWSER_UNIT } from './cert-profile.js';

export type NodeKind = 'node' | 'browser';

export { BROWSER_UNIT };

/** Kinds already read, by certificate (base64): `peers` asks on every listing, a parse each time is waste. */
const known = new Map<string, NodeKind>();
const MAX_KNOWN = 1024;

/** The kind of the certificate `cert` (DER, or base64 DER as a peer record keeps it); `node` if unreadable. */
export function nodeKindOfCert(cert: Uint8Array | string): NodeKind {
  const key = typeof cert === 'string' ? cert : Buffer.from(cert).toString('base64');
  const seen = known.get(key);
  if (seen) return seen;
  let kind: NodeKind = 'node';
  try {
    const der = typeof cert === 'string' ? Buffer.from(cert, 'base64') : cert;
    const subject = new X509Certificate(der).subject.split('\n');
    if (subject.includes(`OU=${BROWSER_UNIT}`)) kind = 'browser';
  } catch {
    kind = 'node';
  }
  if (known.size >= MAX_KNOWN) known.clear();
  known.set(key, kind);
  return kind;
}
