/**
 * One file whose bytes are passing through the page's receiver (file-code-stream.ts): its SHA-256 so
 * far, the chunks waiting for its reader (a download), and the chunk held back until the hash matched.
 * It outlives the `files` stream that brought its first bytes: after a dropped link the sender's next
 * stream carries on where `arrived` says, into the same ReadableStream and the same running hash.
 */
import type { OfferEntry } from '../../src-main/protocol/file-frames-wire.js';
import { toHex } from './bytes.js';
import { sha256 } from './primitives.js';

export type OfferedFile = Extract<OfferEntry, { kind: 'file' }>;

/** A chunk for the reader, and how to credit its sender once the reader took it (a no-op after a drop). */
interface Queued {
  bytes: Uint8Array;
  credit: () => void;
}

export class Passing {
  hash = sha256.create();
  /**
   * For a file offered without its SHA-256: the hash before its very last byte, kept once every byte
   * arrived and until its DIGEST came. A link that drops in between asks for that byte again (and so
   * for the DIGEST after it), as the agent's staging does (files/receive-staging.ts).
   */
  private beforeLastByte: ReturnType<typeof sha256.create> | undefined;
  arrived = 0;
  /** Chunks waiting for the reader. */
  private readonly queue: Queued[] = [];
  private wake: (() => void) | undefined;
  /** The stream's end: undefined while bytes may come; an error, or 'verified'. */
  private end: Error | 'verified' | undefined;
  /** Whole: its last bytes, held back until its hash matched. */
  last: Uint8Array | undefined;
  /** The SHA-256 of what arrived, once whole, for a file offered without one (its DIGEST comes next). */
  arrivedSha: string | undefined;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(
    readonly index: number,
    readonly entry: OfferedFile,
    taken: (bytes: number) => void,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.queue.length === 0 && this.end === undefined)
            await new Promise<void>((resolve) => (this.wake = resolve));
          const next = this.queue.shift();
          if (next) {
            controller.enqueue(next.bytes);
            next.credit();
            taken(next.bytes.length);
          } else if (this.end === 'verified') controller.close();
          else controller.error(this.end);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Bytes that arrived (not the last ones): hashed, and queued for the reader. */
  add(bytes: Uint8Array, credit: () => void): void {
    this.hash.update(bytes);
    this.arrived += bytes.length;
    this.push(bytes, credit);
  }

  /** The file's last bytes: hashed and held back; the SHA-256 of the whole file. */
  addLast(bytes: Uint8Array, offeredWithHash: boolean): string {
    if (!offeredWithHash && bytes.length > 0) {
      this.hash.update(bytes.subarray(0, bytes.length - 1));
      this.beforeLastByte = this.hash.clone();
      this.hash.update(bytes.subarray(bytes.length - 1));
    } else this.hash.update(bytes);
    this.arrived += bytes.length;
    this.last = bytes;
    return toHex(this.hash.digest());
  }

  /**
   * The link dropped with every byte here but the DIGEST not: the last byte is forgotten (hash and
   * all), so the sender's next stream sends it, and the DIGEST after it, again.
   */
  forgetLastByte(): void {
    const last = this.last;
    if (!last || !this.beforeLastByte || this.arrivedSha === undefined) return;
    this.hash = this.beforeLastByte;
    this.beforeLastByte = undefined;
    this.arrivedSha = undefined;
    this.last = undefined;
    this.arrived -= 1;
    if (last.length > 1) this.push(last.subarray(0, last.length - 1), () => undefined);
  }

  push(bytes: Uint8Array, credit: () => void): void {
    this.queue.push({ bytes, credit });
    this.wakeUp();
  }

  finish(end: Error | 'verified'): void {
    this.end = end;
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

/**
 * Why an offered path cannot name a download or a zip entry, or undefined: the agent's rule
 * (files/file-names.ts pathProblem) on the path as text, and no backslash, which a zip tool on
 * Windows reads as a separator.
 */
export function pathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'is an absolute path';
  if (path.includes('\0') || path.includes('\\')) return 'has a NUL or a backslash';
  for (const c of path.split('/')) {
    if (c.length === 0) return 'has an empty component (// or a trailing /)';
    if (c === '.' || c === '..') return `has a '${c}' component`;
  }
  return undefined;
}
