/**
 * The decision record of pairing by code (docs/protocol.md, "Decision record"): after key confirmation
 * the issuer's owner approves or rejects the joiner, possibly minutes later, and that answer crosses the
 * relay sealed under a key derived from ISK, so the relay can neither forge "approved" nor "rejected".
 * AES-256-GCM with a fixed nonce per direction: each direction seals exactly one record per pairing,
 * which sealDecision enforces per session key. The record's format is pairing-decision-format.ts's,
 * shared with the browser node; here it is sealed and opened on node:crypto.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ClawError } from '../core/errors.js';
import type { PairingRole } from './pairing-names.js';
import {
  DECISION_FORGED_LINE,
  DECISION_TAG_BYTES as TAG_BYTES,
  decisionKey,
  decisionNonce,
  decisionSchema,
  MAX_DECISION_BYTES,
  parseDecision,
  readDecisionRecord,
  type PairDecision,
} from './pairing-decision-format.js';
import { AbortReason, decisionHeader, PairingError } from './pairing-messages.js';

export {
  MAX_DECISION_BYTES,
  MAX_DECISION_REASON_CHARS,
  type PairDecision,
} from './pairing-decision-format.js';

/** Session keys that already sealed a record, per direction: a fixed nonce must never seal twice. */
const sealed = new WeakMap<Uint8Array, Set<PairingRole>>();

/**
 * Seals a decision: version ‖ 0x04 ‖ AES-256-GCM(decision key, fixed nonce of `from`, aad = header,
 * JSON). At most once per session key and direction.
 * @throws ClawError(`BAD_ARGUMENT`) for an invalid decision; ClawError(`INTERNAL`) on a second seal.
 */
export function sealDecision(
  sessionKey: Uint8Array,
  decision: PairDecision,
  from: PairingRole = 'issuer',
): Uint8Array {
  const parsed = decisionSchema().safeParse(decision);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClawError(
      'BAD_ARGUMENT',
      `pairing decision ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const used = sealed.get(sessionKey) ?? new Set<PairingRole>();
  if (used.has(from)) {
    throw new ClawError('INTERNAL', `a pairing decision from the ${from} was already sealed under this key`);
  }
  const plain = Buffer.from(JSON.stringify(parsed.data), 'utf8');
  if (plain.length > MAX_DECISION_BYTES) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `pairing decision is ${plain.length} bytes, the limit is ${MAX_DECISION_BYTES}`,
    );
  }
  used.add(from);
  sealed.set(sessionKey, used);
  const header = decisionHeader();
  const cipher = createCipheriv('aes-256-gcm', decisionKey(sessionKey), decisionNonce(from), {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(header);
  return new Uint8Array(Buffer.concat([header, cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
}

/**
 * Opens a decision record sealed by `from`. An ABORT in its place throws the abort's line.
 * @throws ClawError(`PAIRING_FAILED`) when the record is malformed, forged, or not a decision.
 */
export function openDecision(
  sessionKey: Uint8Array,
  bytes: Uint8Array,
  from: PairingRole = 'issuer',
): PairDecision {
  const m = readDecisionRecord(bytes);
  const key = decisionKey(sessionKey);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, decisionNonce(from), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(m.header);
    decipher.setAuthTag(m.sealed.subarray(m.sealed.length - TAG_BYTES));
    plain = Buffer.concat([
      decipher.update(m.sealed.subarray(0, m.sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch (err) {
    throw new PairingError(DECISION_FORGED_LINE, AbortReason.Failed, { cause: err });
  }
  return parseDecision(plain);
}
