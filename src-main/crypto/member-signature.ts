/**
 * Signing and checking membership records (protocol/member-records.ts) with the identity key of the
 * node whose owner made the decision, so a member that only passes a record on cannot forge or alter
 * one (docs/adr/0056-my-devices.md). The signer's certificate travels in the record: it proves itself
 * (its SHA-256 is the signer's fingerprint), so a member can check a record signed by a device it
 * learned of in the same exchange.
 */
import {
  memberRecordBytes,
  type MemberRecord,
  type UnsignedMemberRecord,
} from '../protocol/member-records.js';
import { fingerprintOfCert, signIdentity, verifyIdentity } from './signature.js';
import type { Identity } from './identity.js';

/** Separates these signatures from every other use of the identity key. */
const CONTEXT = 'clawbridge member record v1';

/** `record` signed by `identity` (which must be its `by`). */
export function signMemberRecord(
  identity: Pick<Identity, 'keyPem'>,
  record: UnsignedMemberRecord,
): MemberRecord {
  const sig = Buffer.from(signIdentity(identity.keyPem, CONTEXT, memberRecordBytes(record))).toString(
    'base64',
  );
  return { ...record, sig };
}

/** Why `record`'s signature does not hold, or undefined when its signer signed exactly this. */
export function memberSignatureProblem(record: MemberRecord): string | undefined {
  const cert = Buffer.from(record.byCert, 'base64');
  if (fingerprintOfCert(cert) !== record.by) return "its signer's certificate is not the signer's";
  const { sig, ...unsigned } = record;
  const ok = verifyIdentity(cert, CONTEXT, memberRecordBytes(unsigned), Buffer.from(sig, 'base64'));
  return ok ? undefined : 'its signature does not match (altered or forged)';
}
