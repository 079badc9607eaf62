/**
 * Time-ordered IDs (UUID version 7, RFC 9562 §5.7): 48 bits of Unix time in milliseconds, the version,
 * 74 random bits and the variant. node:crypto's randomUUID makes only version 4 (random, unordered), and
 * a message ID must sort in the order its messages were made (docs/adr/0046-messages.md: the receiver
 * keeps order per sender and topic by ID). Pure: the clock and the random source are injected.
 *
 * Monotonic (RFC 9562 §6.2, method 2: the random bits serve as a counter): within one millisecond, or
 * when the clock steps back, the next ID is the last one plus one in its 74 random bits, so IDs from
 * one generator only ever increase. `observe` raises that floor to an ID made before (by an earlier
 * run of the process), so a clock set back across a restart cannot make an ID that sorts before one
 * already used.
 */

/** Bytes in a UUID. */
export const UUID_BYTES = 16;
/** Largest time a version 7 UUID can carry, in ms since the Unix epoch (2^48 − 1: the year 10889). */
export const UUID_V7_MAX_TIME_MS = 2 ** 48 - 1;

/** What the generator needs from the world, injected so tests can name every bit. */
export interface UuidV7Source {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Fills `bytes` with random bytes. */
  random(bytes: Uint8Array): void;
}

const systemSource: UuidV7Source = {
  now: () => Date.now(),
  random: (bytes) => {
    globalThis.crypto.getRandomValues(bytes);
  },
};

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Makes strictly increasing version 7 UUIDs. One per process part that issues IDs. */
export class UuidV7Generator {
  /** The last ID made or observed (bytes); every later ID is greater. */
  private last: Uint8Array | undefined;

  private readonly source: UuidV7Source;

  /** @param source the clock and random bytes; each defaults to the system's */
  constructor(source: Partial<UuidV7Source> = {}) {
    this.source = { ...systemSource, ...source };
  }

  /** The next ID, as 16 bytes. */
  nextBytes(): Uint8Array {
    const now = Math.min(Math.max(Math.floor(this.source.now()), 0), UUID_V7_MAX_TIME_MS);
    const last = this.last;
    let id: Uint8Array;
    if (last === undefined || now > timeOfBytes(last)) {
      id = fresh(now, this.source);
    } else {
      // Same millisecond, or the clock went back: count up from the last ID, keeping its time; on
      // the (2^-74-likely) overflow of the counter, move to the next millisecond.
      id = Uint8Array.from(last);
      if (!incrementRandomBits(id)) {
        const next = timeOfBytes(last) + 1;
        if (next > UUID_V7_MAX_TIME_MS) throw new RangeError('UUIDv7 time exhausted');
        id = fresh(next, this.source);
      }
    }
    this.last = id;
    return Uint8Array.from(id);
  }

  /** The next ID in canonical text form (lowercase, hyphenated). */
  next(): string {
    return formatUuid(this.nextBytes());
  }

  /** Raises the floor: every ID made after this sorts after `id` (an ID made by an earlier run). */
  observe(id: string | Uint8Array): void {
    const bytes = typeof id === 'string' ? parseUuid(id) : id;
    if (this.last === undefined || compareBytes(bytes, this.last) > 0) this.last = Uint8Array.from(bytes);
  }
}

function fresh(ms: number, source: UuidV7Source): Uint8Array {
  const id = new Uint8Array(UUID_BYTES);
  source.random(id.subarray(6));
  writeTime(id, ms);
  id[6] = 0x70 | (id[6]! & 0x0f);
  id[8] = 0x80 | (id[8]! & 0x3f);
  return id;
}

function writeTime(id: Uint8Array, ms: number): void {
  // 48 bits do not fit a 32-bit shift: split into the high 16 and the low 32.
  const high = Math.floor(ms / 2 ** 32);
  const low = ms >>> 0;
  id[0] = high >>> 8;
  id[1] = high & 0xff;
  id[2] = low >>> 24;
  id[3] = (low >>> 16) & 0xff;
  id[4] = (low >>> 8) & 0xff;
  id[5] = low & 0xff;
}

function timeOfBytes(id: Uint8Array): number {
  return id[0]! * 2 ** 40 + id[1]! * 2 ** 32 + id[2]! * 2 ** 24 + id[3]! * 2 ** 16 + id[4]! * 2 ** 8 + id[5]!;
}

/**
 * Adds one to the 74 random bits (rand_a: the low 4 bits of byte 6 and byte 7; rand_b: the low 6 bits
 * of byte 8 and bytes 9–15), leaving the version and variant bits alone. False on overflow.
 */
function incrementRandomBits(id: Uint8Array): boolean {
  for (let i = 15; i >= 9; i--) {
    id[i] = (id[i]! + 1) & 0xff;
    if (id[i] !== 0) return true;
  }
  const b8 = (id[8]! & 0x3f) + 1;
  id[8] = 0x80 | (b8 & 0x3f);
  if (b8 <= 0x3f) return true;
  id[7] = (id[7]! + 1) & 0xff;
  if (id[7] !== 0) return true;
  const b6 = (id[6]! & 0x0f) + 1;
  id[6] = 0x70 | (b6 & 0x0f);
  return b6 <= 0x0f;
}

/** Lexicographic order of two byte strings (for UUIDs: time order, then the random bits). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** 16 bytes as the canonical text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase. */
export function formatUuid(bytes: Uint8Array): string {
  if (bytes.length !== UUID_BYTES) throw new RangeError(`a UUID is ${UUID_BYTES} bytes, got ${bytes.length}`);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Why `text` is not a version 7 UUID in canonical form (any case), or undefined when it is. */
export function uuidV7Problem(text: string): string | undefined {
  if (text.length !== 36) return `a message ID is 36 characters (a UUIDv7), got ${text.length}`;
  if (!CANONICAL.test(text.toLowerCase())) return `not a UUIDv7: ${JSON.stringify(text)}`;
  return undefined;
}

/**
 * The 16 bytes of a version 7 UUID in canonical text form (any case).
 * @throws RangeError naming what is wrong (callers at a boundary check uuidV7Problem first).
 */
export function parseUuid(text: string): Uint8Array {
  const problem = uuidV7Problem(text);
  if (problem) throw new RangeError(problem);
  const hex = text.toLowerCase().replaceAll('-', '');
  const out = new Uint8Array(UUID_BYTES);
  for (let i = 0; i < UUID_BYTES; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Whether 16 bytes carry version 7 and the RFC 9562 variant. */
export function isUuidV7Bytes(bytes: Uint8Array): boolean {
  return bytes.length === UUID_BYTES && (bytes[6]! & 0xf0) === 0x70 && (bytes[8]! & 0xc0) === 0x80;
}

/** The time a version 7 UUID carries, in ms since the Unix epoch (its text form, canonical). */
export function uuidV7Time(id: string): number {
  // The first 12 hex digits, without the hyphen after the eighth.
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
