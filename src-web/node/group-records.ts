/**
 * Group records as a browser node checks them (ADR 0089, 0094 §Groups): each record it is given —
 * by the inviter at the join, never by the relay, which sees only ciphertext — is read field by field
 * into a clean record (anything the signature does not cover is dropped), and its signature is
 * checked with WebCrypto against the certificate it carries, whose SHA-256 must be its signer. Who
 * may sign what is the agent's own pure rule (state/groups.ts), applied to the checked records only.
 */
import {
  GROUP_ID,
  GROUP_RECORD_CONTEXT,
  GROUP_RECORD_KINDS,
  groupRecordBytes,
  MAX_GROUP_ALLOW_WORDS,
  MAX_GROUP_SEQ,
  type GroupRecord,
  type GroupRecordKind,
} from '../../src-main/protocol/group-records.js';
import { isValidNodeName } from '../../src-main/core/names.js';
import { PERMISSION_WORD } from '../../src-main/core/permissions.js';
import { BrowserNodeError } from './bytes.js';
import { publicKeyOfCert } from './certificate.js';
import { fingerprintOf, verifyIdentity } from './primitives.js';

const FINGERPRINT = /^[0-9a-f]{64}$/;
const MAX_CERT_CHARS = 4000;
const MAX_SIG_CHARS = 100;
const MAX_NAME_CHARS = 200;

const bad = (why: string) => new BrowserNodeError('BAD_RECORD', `a group record ${why}`);

/** Base64 in its one canonical spelling, decoded. @throws BrowserNodeError('BAD_RECORD') otherwise. */
function canonicalBase64(value: unknown, max: number, field: string): Uint8Array {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw bad(`has a bad ${field}`);
  let binary: string;
  try {
    binary = atob(value);
  } catch {
    throw bad(`has a bad ${field}`);
  }
  if (btoa(binary) !== value) throw bad(`has a non-canonical ${field}`);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function text(value: unknown, field: string, pattern?: RegExp, max = MAX_NAME_CHARS): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > max ||
    (pattern && !pattern.test(value))
  )
    throw bad(`has a bad ${field}`);
  return value;
}

/** A name as records carry it (core/names.ts). */
function name(value: unknown): string {
  const n = text(value, 'name');
  if (!isValidNodeName(n)) throw bad('has a bad name');
  return n;
}

/**
 * `raw` (as JSON gave it) as a record of the fields its signature covers.
 * @throws BrowserNodeError('BAD_RECORD') for anything that is not one
 */
export function readGroupRecord(raw: unknown): GroupRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('is not an object');
  const r = raw as Record<string, unknown>;
  if (r.v !== 1) throw bad('is of another version');
  const kind = r.kind as GroupRecordKind;
  if (!GROUP_RECORD_KINDS.includes(kind)) throw bad('is of no known kind');
  if (typeof r.seq !== 'number' || !Number.isInteger(r.seq) || r.seq < 1 || r.seq > MAX_GROUP_SEQ)
    throw bad('has a bad seq');
  const group = text(r.group, 'group', GROUP_ID);
  const common = {
    v: 1 as const,
    group,
    seq: r.seq,
    by: text(r.by, 'signer', FINGERPRINT),
    byCert: text(r.byCert, 'certificate', undefined, MAX_CERT_CHARS),
    at: text(r.at, 'time', undefined, 40),
    sig: text(r.sig, 'signature', undefined, MAX_SIG_CHARS),
  };
  if (Number.isNaN(Date.parse(common.at))) throw bad('has a bad time');
  switch (kind) {
    case 'settings': {
      const allow = r.allow;
      if (
        !Array.isArray(allow) ||
        allow.length > MAX_GROUP_ALLOW_WORDS ||
        allow.some((w) => typeof w !== 'string' || !PERMISSION_WORD.test(w)) ||
        new Set(allow).size !== allow.length
      )
        throw bad('has a bad allow list');
      if (r.subject !== group) throw bad('names another group');
      return { ...common, kind, subject: group, name: name(r.name), allow: allow as string[] };
    }
    case 'delete':
      if (r.subject !== group) throw bad('names another group');
      return { ...common, kind, subject: group };
    case 'device':
    case 'member':
    case 'owner':
      return { ...common, kind, subject: text(r.subject, 'subject', FINGERPRINT), name: name(r.name) };
    case 'device-drop':
    case 'member-remove':
    case 'owner-remove':
      return { ...common, kind, subject: text(r.subject, 'subject', FINGERPRINT) };
    case 'member-device':
    case 'member-device-remove': {
      const subject = text(r.subject, 'subject', FINGERPRINT);
      const member = text(r.member, 'member', FINGERPRINT);
      if (member === subject) throw bad("names the member's root as its device");
      return kind === 'member-device'
        ? { ...common, kind, subject, member, name: name(r.name) }
        : { ...common, kind, subject, member };
    }
  }
}

/**
 * `raw` as a record whose signer signed exactly it.
 * @throws BrowserNodeError('BAD_RECORD') for a malformed, altered or forged one
 */
export async function checkedGroupRecord(raw: unknown): Promise<GroupRecord> {
  const record = readGroupRecord(raw);
  const cert = canonicalBase64(record.byCert, MAX_CERT_CHARS, 'certificate');
  if (fingerprintOf(cert) !== record.by) throw bad("carries a certificate that is not its signer's");
  const sig = canonicalBase64(record.sig, MAX_SIG_CHARS, 'signature');
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
