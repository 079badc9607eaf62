/**
 * CPace, suite CPACE-X25519-SHA512 (draft-irtf-cfrg-cpace, "CPace group objects G_X25519"): a balanced
 * PAKE in which both sides derive a secret generator from the shared password (PRS), exchange one
 * Diffie-Hellman share each and hash the result with the transcript into the intermediate session key
 * ISK. Built on @noble/curves' X25519 ladder and RFC 9380 Elligator 2 map, and @noble/hashes' SHA-512;
 * checked against every vector of the draft's X25519 appendix (test/vectors/cpace.test.ts).
 *
 * Only the primitive lives here; the pairing messages around it are in pairing.ts. No I/O.
 *
 * Side channels: JavaScript bigints are not constant time, so the generator computation (which depends
 * on the password) can leak through timing to a local observer. Pairing codes are single use and
 * expire, which bounds what such a leak is worth.
 */
import { _map_to_curve_elligator2_curve25519, x25519 } from '@noble/curves/ed25519.js';
import { invertCt } from '@noble/curves/abstract/modular.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ClawError } from '../core/errors.js';
import { CPACE_POINT_BYTES, concatBytes, leb128, prefixFreeCat } from './prefix-free.js';

// The encodings live apart so that pairing-messages.ts does not load @noble/curves (ADR 0062).
export { CPACE_POINT_BYTES, concatBytes, leb128, parsePrefixFree, prefixFreeCat } from './prefix-free.js';

/** G_X25519.DSI, the suite's domain-separation identifier. */
export const CPACE_DSI = new TextEncoder().encode('CPace255');
/** G_X25519.field_size_bits: bits kept when a hash is decoded as a u-coordinate. */
const FIELD_SIZE_BITS = 255;
/** H.s_in_bytes of SHA-512: its input block size in bytes; the zero padding fills the first block. */
const HASH_BLOCK_BYTES = 128;
/** Field prime of Curve25519, 2^255 − 19. */
const P = 2n ** 255n - 19n;

/**
 * generator_string(DSI, PRS, CI, sid, s_in_bytes) = prefix_free_cat(DSI, PRS, zero_bytes(len_zpad), CI,
 * sid), where the zero padding makes DSI and PRS fill SHA-512's first block whatever the PRS length.
 */
export function cpaceGeneratorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const zpad = Math.max(
    0,
    HASH_BLOCK_BYTES - 1 - (leb128(prs.length).length + prs.length) - (1 + CPACE_DSI.length),
  );
  return prefixFreeCat(CPACE_DSI, prs, new Uint8Array(zpad), ci, sid);
}

/** decodeUCoordinate(bytes, 255) of RFC 7748: little endian with bit 255 ignored, reduced mod p. */
function decodeUCoordinate(bytes: Uint8Array): bigint {
  let u = 0n;
  for (let i = CPACE_POINT_BYTES - 1; i >= 0; i--) u = (u << 8n) | BigInt(bytes[i]!);
  return (u & ((1n << BigInt(FIELD_SIZE_BITS)) - 1n)) % P;
}

function encodeUCoordinate(u: bigint): Uint8Array {
  const out = new Uint8Array(CPACE_POINT_BYTES);
  let rest = u % P;
  for (let i = 0; i < CPACE_POINT_BYTES; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/**
 * G.calculate_generator: g = Elligator2(decodeUCoordinate(SHA-512(generator_string)[0‥31], 255)), as a
 * 32-byte little-endian u-coordinate. Secret: it is a function of the password.
 */
export function cpaceGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const hash = sha512(cpaceGeneratorString(prs, ci, sid)).subarray(0, CPACE_POINT_BYTES);
  const { xMn, xMd } = _map_to_curve_elligator2_curve25519(decodeUCoordinate(hash));
  // The map returns u as a fraction; Fermat inversion has a data-independent exponent.
  return encodeUCoordinate((xMn * invertCt(xMd, P)) % P);
}

/** G.sample_scalar(): 32 uniformly random bytes (X25519 clamps them). */
export function cpaceSampleScalar(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(CPACE_POINT_BYTES));
}

/** G.I, the neutral element: 32 zero bytes. */
export const CPACE_NEUTRAL = new Uint8Array(CPACE_POINT_BYTES);

/**
 * G.scalar_mult_vfy(y, X) = X25519(y, X), returning G.I (32 zero bytes) for every input of low order on
 * the curve or its twist, including non-canonical encodings. noble rejects those inputs by throwing
 * before it runs the ladder; that throw is exactly the draft's G.I case.
 */
export function cpaceScalarMultVfy(y: Uint8Array, X: Uint8Array): Uint8Array {
  if (y.length !== CPACE_POINT_BYTES || X.length !== CPACE_POINT_BYTES) {
    throw new ClawError(
      'INTERNAL',
      `CPace scalar and point must be ${CPACE_POINT_BYTES} bytes, got ${y.length} and ${X.length}`,
    );
  }
  try {
    return x25519.scalarMult(y, X);
  } catch {
    return CPACE_NEUTRAL.slice();
  }
}

/** True when `bytes` is G.I. Not constant time: it only ever sees a value that is about to be refused. */
export function isCpaceNeutral(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/** One side's CPace share: the secret scalar, the public share Y and MSG = prefix_free_cat(Y, AD). */
export interface CpaceShare {
  /** Secret scalar; wipe it (fill(0)) once ISK is derived. */
  y: Uint8Array;
  /** Public share Y = X25519(y, g). */
  Y: Uint8Array;
  /** MSGa or MSGb: prefix_free_cat(Y, AD), what the peer parses and the ISK hashes. */
  msg: Uint8Array;
}

/**
 * Computes one side's share. `scalar` is for test vectors only; by default a fresh one is sampled.
 * @throws ClawError(`PAIRING_FAILED`) in the negligible case that the generator has low order.
 */
export function cpaceMessage(
  prs: Uint8Array,
  ci: Uint8Array,
  sid: Uint8Array,
  ad: Uint8Array,
  scalar: Uint8Array = cpaceSampleScalar(),
): CpaceShare {
  const g = cpaceGenerator(prs, ci, sid);
  const Y = cpaceScalarMultVfy(scalar, g);
  g.fill(0);
  if (isCpaceNeutral(Y)) {
    throw new ClawError('PAIRING_FAILED', 'pairing failed: CPace generator has low order — retry pairing');
  }
  return { y: scalar.slice(), Y, msg: prefixFreeCat(Y, ad) };
}

/** How the two messages enter ISK: `ir` when roles fix the order (MSGa ‖ MSGb), `sy` for oCat. */
export type CpaceSetting = 'ir' | 'sy';

/** lexiographically_larger(a, b) of the draft. */
function lexicographicallyLarger(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! > b[i]!;
  }
  return a.length > b.length;
}

/**
 * ISK = SHA-512(prefix_free_cat(DSI ‖ "_ISK", sid, K) ‖ concat(MSGa, MSGb)), with K = X25519(y, Y_peer).
 * `ir` (ISK_IR) concatenates in protocol order; `sy` (ISK_SY) uses oCat, larger message first.
 * @throws ClawError(`PAIRING_FAILED`) when K is G.I: the peer's share has low order, which only an
 *   attacker sends.
 */
export function cpaceIsk(args: {
  sid: Uint8Array;
  y: Uint8Array;
  peerY: Uint8Array;
  msgA: Uint8Array;
  msgB: Uint8Array;
  setting?: CpaceSetting;
}): Uint8Array {
  const K = cpaceScalarMultVfy(args.y, args.peerY);
  if (isCpaceNeutral(K)) {
    throw new ClawError(
      'PAIRING_FAILED',
      'pairing failed: the other side sent an invalid key (a low-order point) — someone interfered; ask for a new code',
    );
  }
  const { msgA, msgB } = args;
  const transcript =
    (args.setting ?? 'ir') === 'ir' || lexicographicallyLarger(msgA, msgB)
      ? concatBytes(msgA, msgB)
      : concatBytes(msgB, msgA);
  const prefix = prefixFreeCat(concatBytes(CPACE_DSI, new TextEncoder().encode('_ISK')), args.sid, K);
  K.fill(0);
  return sha512(concatBytes(prefix, transcript));
}
