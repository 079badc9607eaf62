/**
 * The page's files as the relay knows them between its start and the first browser that asks
 * (relay/page.ts, ADR 0126): hashed at start, 64 KiB at a time, and read into memory only when first
 * asked for, then kept. An idle relay that serves nobody the page holds none of its 2 MB; the hashes
 * it printed at start still pin what it sends: a file whose bytes changed on disk since is not sent.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ClawError } from '../core/errors.js';
import type { Coding } from '../core/http-encoding.js';

/** Bytes read at a time while hashing: no buffer the size of a file is made, or freed, at start. */
const HASH_CHUNK_BYTES = 64 * 1024;

/** A file's SHA-256 (hex) and SHA-384 (base64, as Subresource Integrity writes it). */
export interface FileHashes {
  readonly sha256: string;
  readonly sha384: string;
}

/** The hashes of the file at `path`, read a chunk at a time. */
export function hashFile(path: string): FileHashes {
  const sha256 = createHash('sha256');
  const sha384 = createHash('sha384');
  const chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      sha256.update(chunk.subarray(0, n));
      sha384.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: sha256.digest('hex'), sha384: sha384.digest('base64') };
}

/** One file the page serves. */
export interface PageFile {
  /** Its bytes as hashed (`pageHash`) and as a client decodes every encoded form to. */
  readonly body: Buffer;
  readonly type: string;
  /** Its entity tag without quotes: the start of its SHA-256, so a revisit revalidates with a 304. */
  readonly tag: string;
  /** Its precompressed forms (only those that are the file's): what the build wrote beside it. */
  readonly encoded: Readonly<Partial<Record<Coding, Buffer>>>;
}

/** The SHA-256 of `bytes`, hex. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The entity tag of a file with this SHA-256. */
export const tagOf = (sha256: string): string => sha256.slice(0, 32);

/** A copy the build wrote beside a file, known by where it is and its own SHA-256. */
export interface CopyOnDisk {
  readonly file: string;
  readonly sha256: string;
}

/**
 * A page file read from disk when first asked for. `get` throws ClawError('INTERNAL') when the file no
 * longer has the bytes hashed at start (the page would no longer be the one whose hash the relay
 * printed), and keeps throwing; a copy changed since is left out, the file sent without it.
 */
export class PageFileOnDisk {
  private loaded: PageFile | Error | undefined;

  constructor(
    private readonly file: string,
    private readonly type: string,
    private readonly sha256: string,
    private readonly copies: Readonly<Partial<Record<Coding, CopyOnDisk>>>,
  ) {}

  get(): PageFile {
    this.loaded ??= this.load();
    if (this.loaded instanceof Error) throw this.loaded;
    return this.loaded;
  }

  private load(): PageFile | Error {
    const body = readFileSync(this.file);
    if (sha256Hex(body) !== this.sha256) {
      return new ClawError(
        'INTERNAL',
        `${this.file} changed since the relay started, so the page is no longer the one whose hash it printed: restart the relay`,
      );
    }
    const encoded: Partial<Record<Coding, Buffer>> = {};
    for (const [coding, copy] of Object.entries(this.copies) as [Coding, CopyOnDisk][]) {
      const bytes = readFileSync(copy.file);
      if (sha256Hex(bytes) === copy.sha256) encoded[coding] = bytes;
    }
    return { body, type: this.type, tag: tagOf(this.sha256), encoded };
  }
}
