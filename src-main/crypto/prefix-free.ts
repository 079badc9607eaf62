/**
 * CPace's byte encodings (draft-irtf-cfrg-cpace): LEB128 length prefixes and prefix_free_cat, and the
 * size of an X25519 share. Apart from cpace.ts so that what only encodes or parses pairing messages
 * (pairing-messages.ts, pairing-decision.ts) does not load @noble/curves: an agent loads the PAKE with
 * its first pairing (ADR 0062). No I/O.
 */
import { ClawError } from '../core/errors.js';

/** G_X25519.field_size_bytes: size of a scalar, a share Y and the secret K, in bytes. */
export const CPACE_POINT_BYTES = 32;
/** Longest LEB128 length prefix accepted when parsing, in bytes: 3 bytes encode up to 2 MiB − 1. */
const MAX_LEB128_BYTES = 3;

/** LEB128 encoding of a length (the draft's prepend_len prefix). */
export function leb128(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new ClawError('INTERNAL', `LEB128 length must be a non-negative integer, got ${length}`);
  }
  const out: number[] = [];
  let rest = length;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return Uint8Array.from(out);
}

/** Concatenates byte strings. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** prefix_free_cat(a0, a1, …): each part preceded by its LEB128 length. */
export function prefixFreeCat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(...parts.flatMap((p) => [leb128(p.length), p]));
}

/**
 * Parses a prefix_free_cat of exactly `count` parts that fills `bytes` exactly, as the draft requires
 * before using MSGa/MSGb ("If this parsing fails, then B MUST abort"). Length prefixes must be minimal
 * LEB128 of at most 3 bytes, so every message has one encoding.
 * @throws ClawError(`PAIRING_FAILED`) naming `what` and the problem.
 */
export function parsePrefixFree(bytes: Uint8Array, count: number, what: string): Uint8Array[] {
  const fail = (why: string): never => {
    throw new ClawError('PAIRING_FAILED', `${what} is malformed: ${why}`);
  };
  const parts: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    let length = 0;
    let shift = 1;
    for (let n = 0; ; n++) {
      if (n === MAX_LEB128_BYTES) fail(`length prefix of field ${i + 1} is longer than ${n} bytes`);
      if (at >= bytes.length) fail(`field ${i + 1} is cut short`);
      const byte = bytes[at++]!;
      length += (byte & 0x7f) * shift;
      shift *= 128;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && n > 0) fail(`length prefix of field ${i + 1} is not minimal`);
        break;
      }
    }
    if (length > bytes.length - at) {
      fail(`field ${i + 1} claims ${length} bytes, only ${bytes.length - at} remain`);
    }
    parts.push(bytes.slice(at, at + length));
    at += length;
  }
  if (at !== bytes.length) fail(`${bytes.length - at} bytes after the last field`);
  return parts;
}
