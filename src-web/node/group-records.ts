/**
 * Group records as a browser node checks them (ADR 0089, 0094 §Groups): each record it is given —
 * by the inviter at the join, never by the relay, which sees only ciphertext — is read by the agents'
 * own schema (protocol/group-records.ts; a field the signature does not cover is refused, as an agent
 * refuses it), and its signature is checked with WebCrypto against the certificate it carries, whose SHA-256 must be its signer. Who
 * may sign what is the agent's own pure rule (groups/group-view.ts), applied to the checked records only.
 */
import {
  GROUP_RECORD_CONTEXT,
  groupRecord,
  groupRecordBytes,
  type GroupRecord,
} from '../../src-main/protocol/group-records.js';
import { checkRecord } from '../../src-main/protocol/signed-record-lines.js';
import { BrowserNodeError } from './bytes.js';
import { publicKeyOfCert } from './certificate.js';
import { fingerprintOf, verifyIdentity } from './primitives.js';

const bad = (why: string) => new BrowserNodeError('BAD_RECORD', `a group record ${why}`);

/** Canonical base64 (the schema checked it) as bytes. */
const decoded = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/**
 * `raw` (as JSON gave it) as a group record, by the agents' own schema: what an agent refuses, the
 * page refuses too.
 * @throws BrowserNodeError('BAD_RECORD') for anything that is not one
 */
export function readGroupRecord(raw: unknown): GroupRecord {
  const checked = checkRecord(raw, groupRecord());
  if ('problem' in checked) throw bad(`is ${checked.problem}`);
  return checked.record;
}

/**
 * `raw` as a record whose signer signed exactly it.
 * @throws BrowserNodeError('BAD_RECORD') for a malformed, altered or forged one
 */
export async function checkedGroupRecord(raw: unknown): Promise<GroupRecord> {
  const record = readGroupRecord(raw);
  const cert = decoded(record.byCert);
  if (fingerprintOf(cert) !== record.by) throw bad("carries a certificate that is not its signer's");
  const sig = decoded(record.sig);
  let key;
  try {
    key = await publicKeyOfCert(cert);
  } catch {
    throw bad('carries an unreadable certificate');
  }
  if (!(await verifyIdentity(key, GROUP_RECORD_CONTEXT, groupRecordBytes(record), sig)))
    throw bad('has a signature that does not match (altered or forged)');
  return record;
}
