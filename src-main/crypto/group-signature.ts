/**
 * Signing and checking group records (protocol/group-records.ts) with the identity key of the device
 * whose person made the decision, so a device that only passes a record on — a member's, the relay's
 * way — cannot forge or alter one (docs/adr/0089-groups.md). The signer's certificate travels in the
 * record: it proves itself (its SHA-256 is the signer's fingerprint), so a member device can check a
 * record signed by an owner device it has never met.
 */
import {
  GROUP_RECORD_CONTEXT,
  groupRecordBytes,
  type GroupRecord,
  type UnsignedGroupRecord,
} from '../protocol/group-records.js';
import type { KeyObject } from 'node:crypto';
import { fingerprintOfCert, publicKeyOfCert, signIdentity, verifyIdentityWithKey } from './signature.js';
import type { Identity } from './identity.js';

/** `record` signed by `identity` (which must be its `by`). */
export function signGroupRecord(
  identity: Pick<Identity, 'keyPem'>,
  record: UnsignedGroupRecord,
): GroupRecord {
  const sig = Buffer.from(
    signIdentity(identity.keyPem, GROUP_RECORD_CONTEXT, groupRecordBytes(record)),
  ).toString('base64');
  return { ...record, sig };
}

/** The public key of a signer's certificate (`certDer`, whose SHA-256 is `fingerprint`), or undefined. */
export type SignerKey = (certDer: Uint8Array, fingerprint: string) => KeyObject | undefined;

/**
 * Why `record`'s signature does not hold, or undefined when its signer signed exactly this. Never throws.
 * `keyOf` may hand back a key it took from the same signer's certificate before: the certificate is
 * matched to `by` first, and a fingerprint names one certificate.
 */
export function groupSignatureProblem(
  record: GroupRecord,
  keyOf: SignerKey = (certDer) => publicKeyOfCert(certDer),
): string | undefined {
  const cert = Buffer.from(record.byCert, 'base64');
  if (fingerprintOfCert(cert) !== record.by) return "its signer's certificate is not the signer's";
  const { sig, ...unsigned } = record;
  const key = keyOf(cert, record.by);
  const ok =
    key !== undefined &&
    verifyIdentityWithKey(key, GROUP_RECORD_CONTEXT, groupRecordBytes(unsigned), Buffer.from(sig, 'base64'));
  return ok ? undefined : 'its signature does not match (altered or forged)';
}
