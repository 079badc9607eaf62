/**
 * Pairing by code's keys and transcript (docs/protocol.md, "Pairing by code"), apart from who runs
 * them: CI and PRS for CPace, the confirmation keys and session key from ISK, and what both MACs
 * cover. The agent's issuer and joiner (pairing.ts) and the browser node's joiner both use them
 * (ADR 0116).
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesEqual } from '../core/hex.js';
import { prefixFreeCat } from './prefix-free.js';
import { PAIR_MAC_BYTES } from './pairing-messages.js';
import { PAIR_PROTOCOL_NAME, PAIR_SESSION_KEY_BYTES } from './pairing-names.js';
import type { PairCode } from '../protocol/pair-code.js';

const utf8 = new TextEncoder();

/** CI = prefix_free_cat("clawbridge pair v1", tag): binds the run to this protocol and rendezvous. */
export function pairingCi(tag: string): Uint8Array {
  return prefixFreeCat(utf8.encode(PAIR_PROTOCOL_NAME), utf8.encode(tag));
}

/** PRS = the code's 8 canonical secret characters as ASCII. */
export function pairingPrs(code: PairCode): Uint8Array {
  return utf8.encode(code.secret);
}

/** HKDF-SHA512(IKM = ISK, salt = "clawbridge pair v1", info = "clawbridge pair v1 " ‖ label). */
function deriveKey(isk: Uint8Array, label: string, length: number): Uint8Array {
  const info = utf8.encode(`${PAIR_PROTOCOL_NAME} ${label}`);
  return hkdf(sha512, isk, utf8.encode(PAIR_PROTOCOL_NAME), info, length);
}

/**
 * Key confirmation keys and the session key from ISK. The draft recommends a KDF between ISK and any
 * use of it; distinct labels keep each key to one purpose and each MAC to one direction.
 */
export function derivePairingKeys(isk: Uint8Array): {
  issuerConfirm: Uint8Array;
  joinerConfirm: Uint8Array;
  sessionKey: Uint8Array;
} {
  return {
    issuerConfirm: deriveKey(isk, 'issuer confirm', PAIR_MAC_BYTES),
    joinerConfirm: deriveKey(isk, 'joiner confirm', PAIR_MAC_BYTES),
    sessionKey: deriveKey(isk, 'session key', PAIR_SESSION_KEY_BYTES),
  };
}

/** T = prefix_free_cat("clawbridge pair v1 transcript", sid, MSGa, MSGb): what both MACs cover. */
export function pairingTranscript(sid: Uint8Array, msgA: Uint8Array, msgB: Uint8Array): Uint8Array {
  return prefixFreeCat(utf8.encode(`${PAIR_PROTOCOL_NAME} transcript`), sid, msgA, msgB);
}

/** Constant-time comparison of a received MAC with the expected one. */
export function macMatches(expected: Uint8Array, received: Uint8Array): boolean {
  return bytesEqual(expected, received);
}
