/**
 * Byte helpers of the browser node: Uint8Array and DataView only, so the same code runs in a page and
 * in Node (no Buffer, no node: import).
 */

const encoder = new TextEncoder();
// fatal: invalid UTF-8 from the wire is an error, not replacement characters.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A failure of the browser node, with a code a caller can switch on and one line for people. */
export class BrowserNodeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The device's refusal code when it refused (core/refusal-codes.ts): REMOVED, NOT_APPROVED, … */
    readonly refusal?: string,
  ) {
    super(message);
    this.name = 'BrowserNodeError';
  }
}

/** Refusal codes by wire value: the node's own list (pure, no Node import), not a copy of it. */
export { REFUSAL_CODES as REFUSALS } from '../../src-main/core/refusal-codes.js';

export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** Strict UTF-8 decoding. @throws BrowserNodeError('BAD_FRAME') for invalid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new BrowserNodeError('BAD_FRAME', 'invalid UTF-8 in a frame');
  }
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Lowercase hex, and constant-time equality: the wire modules' own (core/hex.ts). */
export { bytesEqual, hexOf as toHex } from '../../src-main/core/hex.js';

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new BrowserNodeError('BAD_ARGUMENT', 'not lowercase hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export const view = (bytes: Uint8Array): DataView =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  view(out).setUint32(0, value);
  return out;
}

/** A u64 big-endian of a safe integer (counters and offsets stay below 2^53). */
export function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  view(out).setUint32(0, Math.floor(value / 2 ** 32));
  view(out).setUint32(4, value >>> 0);
  return out;
}

export function readU64(bytes: Uint8Array, at: number): number {
  const v = view(bytes);
  return v.getUint32(at) * 2 ** 32 + v.getUint32(at + 4);
}

export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}
