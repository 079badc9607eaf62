/**
 * The pairing protocol's names and sizes, apart from its CPace code (pairing.ts): the decision that
 * follows a pairing (pairing-decision.ts) needs them on every agent's start, while the curve code is
 * loaded only once someone pairs (pairing/pairing-issuer.ts and pairing-joiner.ts import it lazily).
 */

/** Protocol label: CI, the HKDF salt and every HKDF label start with it. */
export const PAIR_PROTOCOL_NAME = 'clawbridge pair v1';
/** Size of the session key handed to the caller, in bytes. */
export const PAIR_SESSION_KEY_BYTES = 32;

/** Which side of a pairing. */
export type PairingRole = 'issuer' | 'joiner';
