/**
 * The decision record of pairing by code (docs/protocol.md, "Decision record"): after key confirmation
 * the issuer's owner approves or rejects the joiner, possibly minutes later, and that answer crosses the
 * relay sealed under a key derived from ISK, so the relay can neither forge "approved" nor "rejected".
 * AES-256-GCM with a fixed nonce per direction: each direction seals exactly one record per pairing,
 * which sealDecision enforces per session key.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { CONTROL_CHARS } from '../core/names.js';
import { PAIR_PROTOCOL_NAME, PAIR_SESSION_KEY_BYTES, type PairingRole } from './pairing-names.js';
import {
  abortError,
  AbortReason,
  checkOwnName,
  decisionHeader,
  decodePairMessage,
  PairingError,
} from './pairing-messages.js';

/** Largest decision record plaintext (JSON), in bytes. */
export const MAX_DECISION_BYTES = 1024;
/** Largest decision reason, in UTF-16 code units (at most 600 bytes of UTF-8). */
export const MAX_DECISION_REASON_CHARS = 200;
/** AES-GCM nonce size in bytes. */
const NONCE_BYTES = 12;
/** AES-GCM tag size in bytes. */
const TAG_BYTES = 16;
/** AES-256 key size in bytes. */
const KEY_BYTES = 32;

const utf8 = new TextEncoder();

/**
 * The issuer owner's answer to the joiner (or, the other way, the joiner's), sealed under the pairing's
 * key. The agent decides what `name` means; the natural choice is the name the peer was approved as.
 */
export interface PairDecision {
  approved: boolean;
  /** A node name (1 to 64 bytes of UTF-8), e.g. the name the peer was approved under. */
  name: string;
  reason?: string;
}

/** Made when a decision is sealed or opened (once a pairing), not when this module loads (ADR 0073). */
const decisionSchema = () =>
  z.strictObject({
    approved: z.boolean(),
    name: z.string().refine((n) => {
      try {
        checkOwnName(n);
        return true;
      } catch {
        return false;
      }
    }, 'must be 1 to 64 bytes of UTF-8 without control characters'),
    reason: z
      .string()
      .max(MAX_DECISION_REASON_CHARS)
      .refine((r) => !CONTROL_CHARS.test(r), 'must not contain control characters')
      .optional(),
  });

/** Distinct fixed nonces per direction: each direction seals exactly one record under the key. */
function decisionNonce(from: PairingRole): Buffer {
  const nonce = Buffer.alloc(NONCE_BYTES);
  nonce[NONCE_BYTES - 1] = from === 'issuer' ? 1 : 2;
  return nonce;
}

function decisionKey(sessionKey: Uint8Array): Uint8Array {
  if (sessionKey.length !== PAIR_SESSION_KEY_BYTES) {
    throw new ClawError('BAD_ARGUMENT', `pairing session key must be ${PAIR_SESSION_KEY_BYTES} bytes`);
  }
  return hkdf(sha512, sessionKey, undefined, utf8.encode(`${PAIR_PROTOCOL_NAME} decision key`), KEY_BYTES);
}

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
  const m = decodePairMessage(bytes);
  if (m.type === 'abort') throw abortError(m.reason);
  if (m.type !== 'decision') {
    throw new PairingError(`expected a pairing decision, got ${m.type}`, AbortReason.Malformed);
  }
  if (m.sealed.length <= TAG_BYTES || m.sealed.length > MAX_DECISION_BYTES + TAG_BYTES) {
    throw new PairingError(
      `pairing decision record has a bad length: ${bytes.length} bytes`,
      AbortReason.Malformed,
    );
  }
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
    throw new PairingError(
      'pairing decision failed authentication — someone interfered; ask for a new code',
      AbortReason.Failed,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch {
    json = undefined;
  }
  const parsed = decisionSchema().safeParse(json);
  if (!parsed.success) {
    throw new PairingError(
      'pairing decision is not a valid decision — update both nodes',
      AbortReason.Malformed,
    );
  }
  return parsed.data;
}
