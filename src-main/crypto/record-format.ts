/**
 * The E2E record layer's format and limits (docs/protocol.md, "Records"), apart from the AES-GCM that
 * seals them: the agent's is node:crypto's (records.ts), the browser node's WebCrypto's (ADR 0116).
 * A record is AES-256-GCM(content ‖ type) ‖ tag; its nonce is 4 zero bytes ‖ the direction's 64-bit
 * record counter, never sent.
 */
import { TAG_BYTES } from './e2e-messages.js';

/** Bytes a record adds to its content: the type byte and the GCM tag. */
export const RECORD_OVERHEAD = 1 + TAG_BYTES;
/** Bytes of content after which the sender updates its key (1 GiB), well inside AES-GCM's limits. */
export const REKEY_AFTER_BYTES = 2 ** 30;
/** Age in milliseconds after which the sender updates its key (1 hour), checked at the next `seal`. */
export const REKEY_AFTER_MS = 60 * 60 * 1000;
/** Records per key after which the sender updates its key (2^24, TLS 1.3's AES-GCM margin ≈ 2^24.5). */
export const REKEY_AFTER_RECORDS = 2 ** 24;
/** Records per key the receiver accepts before declaring the peer broken (2^32: 256 × the sender's limit). */
export const MAX_RECORDS_PER_KEY = 2 ** 32;

/** Record content types, the last plaintext byte. */
export const RecordType = { Data: 1, KeyUpdate: 2 } as const;

/**
 * Writes the nonce of record `counter` into `nonce` (12 bytes, its first 4 left zero), big-endian. Two
 * 32-bit halves instead of BigInt, byte by byte so a record costs no DataView: the counter stays far
 * below 2^53 (MAX_RECORDS_PER_KEY).
 */
export function writeRecordNonce(nonce: Uint8Array, counter: number): void {
  const high = Math.floor(counter / 2 ** 32);
  const low = counter >>> 0;
  nonce[4] = high >>> 24;
  nonce[5] = (high >>> 16) & 0xff;
  nonce[6] = (high >>> 8) & 0xff;
  nonce[7] = high & 0xff;
  nonce[8] = low >>> 24;
  nonce[9] = (low >>> 16) & 0xff;
  nonce[10] = (low >>> 8) & 0xff;
  nonce[11] = low & 0xff;
}
