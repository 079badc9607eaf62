/**
 * The receiving end of a `files` stream in the page (docs/protocol.md "files service", ADR 0124):
 * the frames, their limits and the tree hash are the agent's (protocol/file-frames.ts,
 * file-tree-hash.ts); what is the page's own is where the bytes go. Nothing is staged: each file's
 * bytes are handed on as a ReadableStream, in the order the sender sends them, and the device is
 * credited only as that stream's reader takes them (a download written to disk), so the page holds
 * at most the stream's window whatever the file's size. Each file's SHA-256 is computed as it passes;
 * its last bytes are held back until the hash matched (the offer's, or the DIGEST after them), so a
 * file whose hash does not match errors its stream — the download fails — instead of completing.
 * There is no resume here: a stream that breaks ends the receiving (ADR 0124 §The page).
 */
import {
  decodeFileFrame,
  encodeFileControlFrame,
  MAX_ENTRIES,
  MAX_FILE_FRAME_BYTES,
  MAX_INDICES_PER_FRAME,
  MAX_OFFER_BYTES,
  type FileFrame,
  type FilesVersion,
  type OfferEntry,
} from '../../src-main/protocol/file-frames-wire.js';
import { treeHashInput } from '../../src-main/protocol/file-tree-hash.js';
import { BrowserNodeError, concat, randomBytes, toHex, u32, view } from './bytes.js';
import type { MuxStream } from './mux.js';
import { bs, sha256, subtle } from './primitives.js';

/**
 * The receive window a files stream gets in the page, in bytes (8 MiB): enough to keep a relayed
 * link busy, and all the file bytes the page holds at once.
 */
export const PAGE_FILES_WINDOW = 8 * 1024 * 1024;
/** SHA-256 of nothing: what an empty file's offered hash must be. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export type OfferedFile = Extract<OfferEntry, { kind: 'file' }>;

/** One file's bytes as they arrive, verified before the stream ends. */
export interface ArrivingFile {
  index: number;
  entry: OfferedFile;
  stream: ReadableStream<Uint8Array>;
}

export interface FilesStreamEvents {
  /** The whole offer: every entry, its files with their sizes. */
  offered(entries: readonly OfferEntry[]): void;
  /** A file's bytes begin (an empty file: at once, after `take`). */
  file(file: ArrivingFile): void;
  /** Bytes of files taken by their readers so far. */
  progress(bytes: number): void;
  /** Every file verified, the sender told (COMPLETE). */
  done(): void;
  failed(error: BrowserNodeError): void;
}

const protocol = (message: string) => new BrowserNodeError('PROTOCOL', message);

/**
 * Why an offered path cannot name a download or a zip entry, or undefined: the agent's rule
 * (files/file-names.ts pathProblem) on the path as text, and no backslash, which a zip tool on
 * Windows reads as a separator.
 */
function pathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'is an absolute path';
  if (path.includes('\0') || path.includes('\\')) return 'has a NUL or a backslash';
  for (const c of path.split('/')) {
    if (c.length === 0) return 'has an empty component (// or a trailing /)';
    if (c === '.' || c === '..') return `has a '${c}' component`;
  }
  return undefined;
}

/** A file whose bytes are passing: its hash so far, its reader's queue, the chunk held back. */
class Passing {
  readonly hash = sha256.create();
  arrived = 0;
  /** Chunks waiting for the reader, each with the stream bytes it stands for (to credit). */
  readonly queue: Array<{ bytes: Uint8Array; wire: number }> = [];
  wake: (() => void) | undefined;
  /** The stream's end: undefined while bytes may come; an error, or 'verified'. */
  end: Error | 'verified' | undefined;
  /** Whole: its last bytes, held back until its hash matched. */
  last: Uint8Array | undefined;
  /** The SHA-256 of what arrived, once whole, for a file offered without one (its DIGEST comes next). */
  arrivedSha: string | undefined;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(
    readonly index: number,
    readonly entry: OfferedFile,
    taken: (bytes: number, wire: number) => void,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.queue.length === 0 && this.end === undefined)
            await new Promise<void>((resolve) => (this.wake = resolve));
          const next = this.queue.shift();
          if (next) {
            controller.enqueue(next.bytes);
            taken(next.bytes.length, next.wire);
          } else if (this.end === 'verified') controller.close();
          else controller.error(this.end);
        },
      },
      { highWaterMark: 0 },
    );
  }

  push(bytes: Uint8Array, wire: number): void {
    this.queue.push({ bytes, wire });
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
 * Reads one `files` stream the sender opened, version `version`: the offer first (`offered`), then,
 * once `take()` is called, the files' bytes (`file`, one after another), until every file is verified
 * (`done`) or something failed (`failed`).
 */
export class FilesStreamReceiver {
  private entries: OfferEntry[] = [];
  private offerBytes = 0;
  private phase: 'offer' | 'offered' | 'data' | 'over' = 'offer';
  private transfer = '';
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private current: Passing | undefined;
  private readonly digests = new Map<number, string>();
  private verified = 0;
  private fileCount = 0;
  private bytesTaken = 0;
  /** Resolves once the stream is over both ways (after `done`: the sender read the COMPLETE). */
  readonly settled: Promise<void>;

  constructor(
    private readonly stream: MuxStream,
    private readonly version: FilesVersion,
    private readonly events: FilesStreamEvents,
  ) {
    stream.onDataHeld((bytes) => this.onBytes(bytes), PAGE_FILES_WINDOW);
    this.settled = new Promise((resolve) =>
      stream.onEnd((error) => {
        if (this.phase !== 'over')
          this.fail(
            error ?? new BrowserNodeError('LINK_CLOSED', 'the sender ended the transfer before it was whole'),
          );
        resolve();
      }),
    );
  }

  /** The transfer's ID the sender gave. */
  get id(): string {
    return this.transfer;
  }

  /** Asks for every file (WANT, nothing held): the bytes start. */
  take(): void {
    if (this.phase !== 'offered') return;
    this.phase = 'data';
    this.send({ type: 'want', have: [] });
    // Empty files are whole already: checked, handed on and verified at once.
    const empty: number[] = [];
    for (const [i, e] of this.entries.entries()) {
      if (e.kind !== 'file' || e.size > 0) continue;
      if (e.sha256 !== undefined && e.sha256 !== EMPTY_SHA256)
        return this.fail(
          protocol(`${JSON.stringify(e.path)} is empty and its offered SHA-256 is not an empty file's`),
        );
      this.digests.set(i, EMPTY_SHA256);
      const passing = new Passing(i, e, () => undefined);
      passing.finish('verified');
      this.events.file({ index: i, entry: e, stream: passing.stream });
      empty.push(i);
    }
    if (empty.length > 0) this.verifiedNow(empty);
  }

  /** Gives up: the sender is told why (CANCEL), and every file not whole fails. */
  cancel(reason: string): void {
    if (this.phase === 'over') return;
    this.send({ type: 'cancel', reason: reason.slice(0, 200) });
    this.fail(new BrowserNodeError('CANCELLED', reason));
  }

  private send(frame: Exclude<FileFrame, { type: 'data' }>): void {
    const payload = encodeFileControlFrame(frame, this.version);
    this.stream.write(concat(u32(payload.length), payload));
  }

  /** Length-prefixed frames out of the stream's bytes. */
  private onBytes(bytes: Uint8Array): void {
    if (this.phase === 'over') return;
    this.buffered.push(bytes.slice());
    this.bufferedBytes += bytes.length;
    try {
      while (this.bufferedBytes >= 4) {
        const head = this.buffered[0]!.length >= 4 ? this.buffered[0]! : concat(...this.buffered);
        const length = view(head).getUint32(0);
        if (length > MAX_FILE_FRAME_BYTES)
          throw protocol(`a files frame of ${length} bytes is over the limit`);
        if (this.bufferedBytes < 4 + length) return;
        const all = this.buffered.length === 1 ? this.buffered[0]! : concat(...this.buffered);
        const rest = all.subarray(4 + length);
        this.buffered = rest.length > 0 ? [rest] : [];
        this.bufferedBytes = rest.length;
        this.onFrame(decodeFileFrame(all.subarray(4, 4 + length)), 4 + length);
      }
    } catch (err) {
      this.fail(err instanceof BrowserNodeError ? err : protocol((err as Error).message));
    }
  }

  private onFrame(f: FileFrame, wire: number): void {
    if (f.type === 'data') return this.onData(f.index, f.offset, f.bytes, wire);
    // A control frame is read now: its bytes are consumed.
    this.stream.consumed(wire);
    if (f.type === 'offer' && this.phase === 'offer') return this.onOffer(f);
    if (f.type === 'digest' && this.phase === 'data') return this.onDigest(f.index, f.sha256);
    if (f.type === 'cancel')
      return this.fail(new BrowserNodeError('TRANSFER_FAILED', `the sender cancelled: ${f.reason}`));
    throw protocol(`a ${f.type} frame was not expected here`);
  }

  private onOffer(f: Extract<FileFrame, { type: 'offer' }>): void {
    if (this.transfer !== '' && f.id !== this.transfer) throw protocol('an OFFER part of another transfer');
    this.transfer = f.id;
    this.offerBytes += JSON.stringify(f.entries).length;
    if (this.entries.length + f.entries.length > MAX_ENTRIES || this.offerBytes > MAX_OFFER_BYTES)
      throw protocol('the offer is larger than a transfer may be');
    for (const e of f.entries) {
      const problem = pathProblem(e.path);
      if (problem) throw protocol(`the offer's path ${JSON.stringify(e.path)} ${problem}`);
    }
    this.entries.push(...f.entries);
    if (f.more) return;
    this.fileCount = this.entries.filter((e) => e.kind === 'file').length;
    this.phase = 'offered';
    this.events.offered(this.entries);
  }

  private onData(index: number, offset: number, bytes: Uint8Array, wire: number): void {
    if (this.phase !== 'data') throw protocol('DATA before the WANT');
    const e = this.entries[index];
    if (e?.kind !== 'file') throw protocol(`DATA for entry ${index}, which is no file`);
    let cur = this.current;
    if (cur && cur.index !== index) throw protocol(`DATA for ${index} before ${cur.index} was whole`);
    if (!cur) {
      if (this.digests.has(index)) throw protocol(`DATA for ${index}, verified already`);
      cur = new Passing(index, e, (n, w) => this.taken(n, w));
      this.current = cur;
      this.events.file({ index, entry: e, stream: cur.stream });
    }
    if (cur.last) throw protocol(`DATA for ${index} after its last byte`);
    if (offset !== cur.arrived) throw protocol(`DATA for ${index} at ${offset}, expected ${cur.arrived}`);
    if (cur.arrived + bytes.length > e.size) throw protocol(`DATA past the end of ${index}`);
    cur.hash.update(bytes);
    cur.arrived += bytes.length;
    // The frame's header and prefix are consumed now; its file bytes when the reader takes them.
    this.stream.consumed(wire - bytes.length);
    if (cur.arrived < e.size) return cur.push(bytes, bytes.length);
    // Its last bytes: held back until the hash matched.
    cur.last = bytes;
    const digest = toHex(cur.hash.digest());
    if (e.sha256 === undefined) cur.arrivedSha = digest;
    else this.check(cur, digest, e.sha256);
  }

  private onDigest(index: number, sha: string): void {
    const cur = this.current;
    if (cur?.index !== index || cur.arrivedSha === undefined)
      throw protocol(`DIGEST for ${index}, which is not a file whose bytes all arrived`);
    this.check(cur, cur.arrivedSha, sha);
  }

  /** The held-back bytes go to the reader and the file is verified, or it fails. */
  private check(cur: Passing, arrived: string, expected: string): void {
    const last = cur.last ?? new Uint8Array(0);
    this.current = undefined;
    if (arrived !== expected) {
      const why = `${JSON.stringify(cur.entry.path)} did not match its SHA-256 when it arrived (it changed while it was sent?); it was not saved`;
      this.send({ type: 'failed', index: cur.index, reason: why.slice(0, 500) });
      cur.finish(new Error(why));
      throw new BrowserNodeError('TRANSFER_FAILED', why);
    }
    this.digests.set(cur.index, expected);
    cur.push(last, last.length);
    cur.finish('verified');
    this.verifiedNow([cur.index]);
  }

  private verifiedNow(indices: number[]): void {
    this.verified += indices.length;
    for (let at = 0; at < indices.length; at += MAX_INDICES_PER_FRAME)
      this.send({ type: 'verified', indices: indices.slice(at, at + MAX_INDICES_PER_FRAME) });
    if (this.verified < this.fileCount) return;
    this.phase = 'over';
    this.complete().catch((err: unknown) =>
      this.events.failed(protocol(`the tree hash could not be made: ${(err as Error).message}`)),
    );
  }

  /** Every file verified: COMPLETE with the tree hash the sender checks against its own. */
  private async complete(): Promise<void> {
    const input = treeHashInput(this.entries, this.digests);
    const hash = toHex(new Uint8Array(await subtle().digest('SHA-256', bs(input))));
    const received = `page-${toHex(randomBytes(6))}`;
    this.send({ type: 'complete', treeHash: hash, received });
    // This side is done; the sender ends its side once it read the COMPLETE.
    this.stream.end();
    this.events.done();
  }

  private taken(bytes: number, wire: number): void {
    this.stream.consumed(wire);
    this.bytesTaken += bytes;
    this.events.progress(this.bytesTaken);
  }

  private fail(error: BrowserNodeError): void {
    if (this.phase === 'over' && this.verified >= this.fileCount && this.fileCount > 0) return;
    this.phase = 'over';
    this.current?.finish(error);
    this.current = undefined;
    this.stream.reset(error.message.slice(0, 200));
    this.events.failed(error);
  }
}
