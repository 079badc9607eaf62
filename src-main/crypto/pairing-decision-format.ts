/**
 * The decision record of pairing by code, apart from the AES-GCM that seals it (docs/protocol.md,
 * "Decision record"): its key, its nonces, its limits and what its JSON may say. The agent seals and
 * opens it with node:crypto (pairing-decision.ts), the browser node opens it with WebCrypto; both
 * read it here (ADR 0116).
 */
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
export const DECISION_TAG_BYTES = 16;
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
export const decisionSchema = () =>
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
export function decisionNonce(from: PairingRole): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  nonce[NONCE_BYTES - 1] = from === 'issuer' ? 1 : 2;
  return nonce;
}

export function decisionKey(sessionKey: Uint8Array): Uint8Array {
  if (sessionKey.length !== PAIR_SESSION_KEY_BYTES) {
    throw new ClawError('BAD_ARGUMENT', `pairing session key must be ${PAIR_SESSION_KEY_BYTES} bytes`);
  }
  return hkdf(sha512, sessionKey, undefined, utf8.encode(`${PAIR_PROTOCOL_NAME} decision key`), KEY_BYTES);
}

/**
 * The header (the AEAD's associated data) and sealed part of a decision record, checked for type and
 * length. An ABORT in its place throws the abort's line.
 * @throws ClawError(`PAIRING_FAILED`) when the record is malformed or not a decision.
 */
export function readDecisionRecord(bytes: Uint8Array): { header: Uint8Array; sealed: Uint8Array } {
  const m = decodePairMessage(bytes);
  if (m.type === 'abort') throw abortError(m.reason);
  if (m.type !== 'decision') {
    throw new PairingError(`expected a pairing decision, got ${m.type}`, AbortReason.Malformed);
  }
  if (m.sealed.length <= DECISION_TAG_BYTES || m.sealed.length > MAX_DECISION_BYTES + DECISION_TAG_BYTES) {
    throw new PairingError(
      `pairing decision record has a bad length: ${bytes.length} bytes`,
      AbortReason.Malformed,
    );
  }
  return { header: m.header, sealed: m.sealed };
}

/** The line a decision that fails authentication ends pairing with. */
export const DECISION_FORGED_LINE =
  'pairing decision failed authentication — someone interfered; ask for a new code';

/**
 * The decision in an opened record's plaintext.
 * @throws ClawError(`PAIRING_FAILED`) when it is not UTF-8 JSON of a valid decision.
 */
export function parseDecision(plain: Uint8Array): PairDecision {
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
