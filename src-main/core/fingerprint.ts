/**
 * Node IDs ("TLS fingerprints"): SHA-256 of a node certificate's DER, as 64 lowercase hex characters
 * (architecture.md §Identity). Input is forgiving about separators and case; output is always canonical.
 */
import { ClawError } from './errors.js';
import { hexOf } from './hex.js';

/** Length of a canonical fingerprint in hex characters (SHA-256 = 32 bytes). */
export const FINGERPRINT_HEX_LENGTH = 64;

/** Characters people paste between hex groups: colons (openssl), spaces and dashes. */
const SEPARATORS = /[\s:-]/g;

/**
 * Parses user input into a canonical fingerprint.
 * @throws ClawError(`BAD_FINGERPRINT`) naming what is wrong, e.g. `fingerprint must be 64 hex characters, got 62`.
 */
export function parseFingerprint(input: string): string {
  const compact = input.replace(SEPARATORS, '').toLowerCase();
  const bad = compact.match(/[^0-9a-f]/);
  if (bad) {
    throw new ClawError('BAD_FINGERPRINT', `fingerprint may contain only hex digits, found '${bad[0]}'`);
  }
  if (compact.length !== FINGERPRINT_HEX_LENGTH) {
    throw new ClawError(
      'BAD_FINGERPRINT',
      `fingerprint must be ${FINGERPRINT_HEX_LENGTH} hex characters, got ${compact.length}`,
    );
  }
  return compact;
}

/** Groups of four for comparing by eye: `8554 4cd4 2bcf …`. */
export function groupFingerprint(fp: string): string {
  return (fp.match(/.{1,4}/g) ?? []).join(' ');
}

/** First 8 hex characters: names a peer where space is tight. */
export function shortFingerprint(fp: string): string {
  return fp.slice(0, 8);
}

/** `8554…0ea7`: enough to tell two fingerprints apart in an error line. */
export function abbreviateFingerprint(fp: string): string {
  return `${fp.slice(0, 4)}…${fp.slice(-4)}`;
}

/** Converts raw 32 digest bytes to a canonical fingerprint. */
export function fingerprintFromDigest(digest: Uint8Array): string {
  if (digest.length !== FINGERPRINT_HEX_LENGTH / 2) {
    throw new ClawError('BAD_FINGERPRINT', `fingerprint digest must be 32 bytes, got ${digest.length}`);
  }
  return hexOf(digest);
}
