/**
 * The receiving end of a code's transfer in the page (docs/protocol.md "files service", ADR 0124):
 * the frames, their limits and the tree hash are the agent's (protocol/file-frames.ts,
 * file-tree-hash.ts); what is the page's own is where the bytes go. Nothing is staged: each file's
 * bytes are handed on as a ReadableStream, in the order the sender sends them, and the device is
 * credited only as that stream's reader takes them (a download written to disk), so the page holds
 * at most the stream's window whatever the file's size. Each file's SHA-256 is computed as it passes;
 * its last bytes are held back until the hash matched (the offer's, or the DIGEST after them), so a
 * file whose hash does not match errors its stream — the download fails — instead of completing.
 *
 * A `files` stream that breaks before the transfer is whole does not end it: the receiver waits
 * (`interrupted`) for the sender's next stream (`resume`, after the page dialed it again), checks that
 * its OFFER is the same transfer, and answers its WANT with what arrived — verified files whole, the
 * file under way up to its last byte here — so the downloads already running carry on from there.
 *
 * **Save** of one file of several asks for that file only: the WANT says every other file is here
 * whole, so the sender sends that one. Once it is verified the page resets the stream (not as a
 * cancel: the sender opens the transfer again at once) and holds the sender's next OFFER until it is
 * asked for another file; the COMPLETE goes when every file was verified, over however many asks.
 */
import {
  DATA_HEADER_BYTES,
  DATA_WIRE_HEADER_BYTES,
  decodeFileFrame,
  encodeFileControlFrame,
  FileFrameType,
  MAX_DATA_BYTES,
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
import { Passing, pathProblem, type OfferedFile } from './file-code-passing.js';
import type { MuxStream } from './mux.js';

/** Why the page resets a stream whose asked-for files all arrived (the sender offers again, and waits). */
const ASKED_FOR_ARRIVED = 'the receiver saved the files it asked for and may ask for more';
import { bs, subtle } from './primitives.js';

export type { OfferedFile };

/**
 * The receive window a files stream gets in the page, in bytes (8 MiB): enough to keep a relayed
 * link busy, and all the file bytes the page holds at once (twice that for a moment after a dropped
 * link: what the old stream brought and the reader has not taken yet, and the new stream's window).
 */
export const PAGE_FILES_WINDOW = 8 * 1024 * 1024;
/** SHA-256 of nothing: what an empty file's offered hash must be. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

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
  /** The sender's stream broke before the transfer was whole (why): waiting for its next one. */
  interrupted(why: string): void;
  /** The sender's next stream offered the same transfer again: it carries on from what arrived. */
  resumed(): void;
  /** Every file verified, the sender told (COMPLETE). */
  done(): void;
  failed(error: BrowserNodeError): void;
}

const protocol = (message: string) => new BrowserNodeError('PROTOCOL', message);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Where the transfer is: its first OFFER being read, offered (waiting for `take`), its bytes passing,
 * between asks (the files asked for verified, others not: waiting for the next `take`), COMPLETE sent
 * (`complete` holds it, to answer a sender that did not read it and offers again), over.
 */
type Phase = 'offer' | 'offered' | 'data' | 'between' | 'complete' | 'over';

/**
 * Reads the `files` streams the sender opens for one transfer: the offer first (`offered`), then,
 * once `take()` is called, the files' bytes (`file`, one after another), until every file is verified
 * (`done`) or something failed (`failed`); a stream that breaks in between is carried on by the next
 * one (`resume`).
 */
export class FilesStreamReceiver {
  private entries: OfferEntry[] = [];
  private offerBytes = 0;
  private phase: Phase = 'offer';
  private transfer = '';
  /** The sender's stream now; undefined while the link is down. */
  private stream: MuxStream | undefined;
  private version: FilesVersion;
  /** A resumed stream's OFFER parts, until its last one matched the transfer's. */
  private reoffer: OfferEntry[] | undefined;
  private reofferId = '';
  /**
   * The frame being read: its first bytes as they came (copies: the length prefix, then a control
   * frame whole, or a DATA frame's header alone), its length and type byte once they are here.
   */
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private frameLength = -1;
  private frameType = -1;
  /** File bytes of the DATA frame being read still to come: handed on as they arrive, never joined. */
  private dataLeft = 0;
  private current: Passing | undefined;
  private readonly digests = new Map<number, string>();
  private verified = 0;
  private fileCount = 0;
  /** The files the last `take` asked for (their indices): the WANT says every other one is here. */
  private wanted = new Set<number>();
  private bytesTaken = 0;
  private complete: Extract<FileFrame, { type: 'complete' }> | undefined;
  /** Why the last stream broke, for the error when the sender cannot be reached again. */
  private lastBreak = '';
  private settle!: () => void;
  /**
   * Resolves once the transfer is over: done and the sender ended its side of the stream that carried
   * the COMPLETE (so it read it), or failed, or given up.
   */
  readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(
    stream: MuxStream,
    version: FilesVersion,
    private readonly events: FilesStreamEvents,
  ) {
    this.version = version;
    this.attach(stream);
  }

  /** The transfer's ID the sender gave. */
  get id(): string {
    return this.transfer;
  }

  /** Whether the transfer still needs the sender: not over, and not done with the sender told. */
  get open(): boolean {
    return this.phase !== 'over';
  }

  /**
   * Asks for the files at `indices` (every file not verified yet when not given): the WANT says the
   * others are here, and their bytes start. Once more after those were verified (`between`).
   */
  take(indices?: readonly number[]): void {
    if (this.phase !== 'offered' && this.phase !== 'between') return;
    const files = [...this.entries.keys()].filter((i) => this.entries[i]!.kind === 'file');
    const asked = (indices ?? files).filter((i) => files.includes(i) && !this.digests.has(i));
    if (asked.length === 0) return;
    this.wanted = new Set(asked);
    this.phase = 'data';
    // A stream whose OFFER was read is answered now; one still offering again (or none yet, after the
    // last ask's reset) is answered when its OFFER matched.
    if (this.stream && !this.reoffer) this.send({ type: 'want', have: this.have() });
    // Empty files are whole already: checked, handed on and verified at once.
    const empty: number[] = [];
    for (const [i, e] of this.entries.entries()) {
      if (e.kind !== 'file' || e.size > 0 || !this.wanted.has(i)) continue;
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

  /**
   * The sender's next `files` stream, after the last one broke (a dropped link): read like the first,
   * its OFFER must be this transfer's, and its WANT says what arrived.
   */
  resume(stream: MuxStream, version: FilesVersion): void {
    if (this.phase === 'over') return stream.reset('this transfer is over');
    const old = this.stream;
    this.stream = undefined;
    old?.reset('the sender opened the transfer again');
    this.version = version;
    this.attach(stream);
  }

  /** Gives up: the sender is told why (CANCEL), and every file not whole fails. */
  cancel(reason: string): void {
    if (this.phase === 'over') return;
    this.send({ type: 'cancel', reason: reason.slice(0, 200) });
    this.fail(new BrowserNodeError('CANCELLED', reason));
  }

  /**
   * The sender cannot be reached again (`error` says why): the transfer fails saying what arrived, or,
   * when every file was verified already, is over as it is.
   */
  giveUp(error: BrowserNodeError): void {
    if (this.phase === 'complete') {
      this.phase = 'over';
      return this.settle();
    }
    const broke = this.lastBreak ? ` (the transfer stopped: ${this.lastBreak})` : '';
    this.fail(new BrowserNodeError(error.code, `${error.message}${broke}; ${this.arrivedLine()}`));
  }

  /** What arrived, in words: the files verified and the bytes here. */
  arrivedLine(): string {
    const bytes = [...this.digests.keys()].reduce((n, i) => n + sizeOf(this.entries[i]), 0);
    const here = bytes + (this.current?.arrived ?? 0);
    const total = this.entries.reduce((n, e) => n + sizeOf(e), 0);
    return `${this.verified} of ${this.fileCount} files verified, ${mib(here)} of ${mib(total)} arrived`;
  }

  private attach(stream: MuxStream): void {
    this.stream = stream;
    this.head = [];
    this.headBytes = 0;
    this.frameLength = -1;
    this.frameType = -1;
    this.dataLeft = 0;
    // A stream after the first offers the transfer again before anything else.
    this.reoffer = this.phase === 'offer' ? undefined : [];
    this.reofferId = '';
    if (this.phase === 'offer') {
      this.entries = [];
      this.offerBytes = 0;
    }
    stream.onDataHeld((bytes) => this.onBytes(stream, bytes), PAGE_FILES_WINDOW);
    stream.onEnd((error) => this.onEnd(stream, error));
  }

  private onEnd(stream: MuxStream, error: BrowserNodeError | undefined): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    if (this.phase === 'over') return;
    if (this.phase === 'complete' && !error) {
      this.phase = 'over';
      return this.settle();
    }
    if (!error && this.phase !== 'complete')
      return this.fail(
        new BrowserNodeError('LINK_CLOSED', 'the sender ended the transfer before it was whole'),
      );
    // A stream that broke: the sender carries the transfer on over the next link (or the COMPLETE it
    // may not have read is sent again then).
    this.lastBreak = error?.message ?? 'the stream closed';
    if (this.phase !== 'complete') this.events.interrupted(this.lastBreak);
  }

  private send(frame: Exclude<FileFrame, { type: 'data' }>): void {
    const stream = this.stream;
    if (!stream || stream.done) return;
    const payload = encodeFileControlFrame(frame, this.version);
    stream.write(concat(u32(payload.length), payload));
  }

  /**
   * Length-prefixed frames out of the stream's bytes. A DATA frame's file bytes are handed on as views
   * of the bytes they came in, not joined into its frame and not copied: each piece is the only view
   * of its buffer handed on (bytes of the same buffer before it are read from a copy), so the reader
   * may move that buffer elsewhere (the download's worker) and free it here at once. The bytes are
   * the mux's to give (`onDataHeld`: a decrypted record's own buffer).
   */
  private onBytes(stream: MuxStream, bytes: Uint8Array): void {
    if (this.phase === 'over' || stream !== this.stream) return;
    try {
      let at = 0;
      while (at < bytes.length && stream === this.stream && this.open) {
        if (this.dataLeft === 0) {
          at = this.readHead(stream, bytes, at);
          continue;
        }
        const n = Math.min(this.dataLeft, bytes.length - at);
        this.dataLeft -= n;
        const piece = at + n < bytes.length ? bytes.slice(at, at + n) : bytes.subarray(at);
        at += n;
        this.onDataBytes(stream, piece);
      }
    } catch (err) {
      this.fail(err instanceof BrowserNodeError ? err : protocol((err as Error).message));
    }
  }

  /**
   * Gathers the start of the next frame from `bytes` at `at`; once it is here, reads it (a control
   * frame) or begins its file bytes (a DATA frame's header). Where in `bytes` it stopped.
   */
  private readHead(stream: MuxStream, bytes: Uint8Array, at: number): number {
    for (let want = this.headLength(); this.headBytes < want; want = this.headLength()) {
      if (at >= bytes.length) return at;
      const n = Math.min(want - this.headBytes, bytes.length - at);
      this.head.push(bytes.slice(at, at + n));
      this.headBytes += n;
      at += n;
    }
    const frame = this.joinedHead().subarray(4);
    const length = this.frameLength;
    this.head = [];
    this.headBytes = 0;
    this.frameLength = -1;
    this.frameType = -1;
    if (frame.length === length) this.onFrame(stream, decodeFileFrame(frame), 4 + length);
    else {
      // A DATA frame's header: its file bytes follow, as many as the frame has past the header.
      const f = decodeFileFrame(frame);
      const bytesIn = length - DATA_HEADER_BYTES;
      if (f.type !== 'data' || bytesIn > MAX_DATA_BYTES)
        throw protocol(`a DATA frame of ${length} bytes is over the limit`);
      this.onDataStart(stream, f.index, f.offset, bytesIn);
    }
    return at;
  }

  /**
   * How many bytes of the frame's start to gather: its length prefix, then its type, then a control
   * frame whole or a DATA frame's header.
   */
  private headLength(): number {
    if (this.frameLength < 0) {
      if (this.headBytes < 4) return 4;
      this.frameLength = view(this.joinedHead()).getUint32(0);
      if (this.frameLength > MAX_FILE_FRAME_BYTES)
        throw protocol(`a files frame of ${this.frameLength} bytes is over the limit`);
    }
    if (this.frameLength < 2) return 4 + this.frameLength;
    if (this.frameType < 0) {
      if (this.headBytes < 6) return 6;
      this.frameType = this.joinedHead()[5]!;
    }
    const data = this.frameType === FileFrameType.DATA;
    return 4 + (data ? Math.min(this.frameLength, DATA_HEADER_BYTES) : this.frameLength);
  }

  private joinedHead(): Uint8Array {
    if (this.head.length > 1) this.head = [concat(...this.head)];
    return this.head[0] ?? new Uint8Array(0);
  }

  private onFrame(stream: MuxStream, f: FileFrame, wire: number): void {
    // A DATA frame with no file bytes (its header alone): nothing follows it.
    if (f.type === 'data') return this.onDataStart(stream, f.index, f.offset, 0);
    // A control frame is read now: its bytes are consumed.
    stream.consumed(wire);
    if (f.type === 'offer' && this.reoffer) return this.onReoffer(f);
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

  /** A resumed stream's OFFER: the same transfer, entry for entry, then what arrived is answered. */
  private onReoffer(f: Extract<FileFrame, { type: 'offer' }>): void {
    const parts = this.reoffer!;
    if (f.id !== this.transfer || (this.reofferId !== '' && f.id !== this.reofferId))
      throw protocol('the sender offered another transfer on the stream that was to carry this one on');
    this.reofferId = f.id;
    if (parts.length + f.entries.length > this.entries.length)
      throw protocol('the offer carried on is longer than the one received');
    parts.push(...f.entries);
    if (f.more) return;
    if (JSON.stringify(parts) !== JSON.stringify(this.entries))
      throw protocol('the offer carried on is not the one received: its files changed');
    this.reoffer = undefined;
    if (this.phase === 'complete') {
      // Every file was verified here and the sender had not read the COMPLETE: it is sent again.
      this.send(this.complete!);
      this.stream?.end();
      return;
    }
    // Between asks the OFFER waits, unanswered, for the next `take`.
    if (this.phase === 'data') this.send({ type: 'want', have: this.have() });
    this.events.resumed();
  }

  /**
   * What this side holds, as a WANT says it: each verified file whole, each file not asked for whole
   * too (so the sender sends only those asked for), and the file under way up to the byte it reached
   * (short of its last byte when its DIGEST did not come).
   */
  private have(): Array<[number, number]> {
    const have: Array<[number, number]> = [];
    for (const [i, e] of this.entries.entries())
      if (e.kind === 'file' && (this.digests.has(i) || !this.wanted.has(i))) have.push([i, e.size]);
    const cur = this.current;
    if (cur) {
      cur.forgetLastByte();
      if (cur.arrived > 0) have.push([cur.index, cur.arrived]);
    }
    return have;
  }

  /** A DATA frame's header: `length` bytes of file `index` at `offset` follow (onDataBytes). */
  private onDataStart(stream: MuxStream, index: number, offset: number, length: number): void {
    if (this.phase !== 'data' || this.reoffer) throw protocol('DATA before the WANT');
    const e = this.entries[index];
    if (e?.kind !== 'file') throw protocol(`DATA for entry ${index}, which is no file`);
    if (!this.wanted.has(index)) throw protocol(`DATA for ${index}, which was not asked for`);
    let cur = this.current;
    if (cur && cur.index !== index) throw protocol(`DATA for ${index} before ${cur.index} was whole`);
    if (!cur) {
      if (this.digests.has(index)) throw protocol(`DATA for ${index}, verified already`);
      cur = new Passing(index, e, (n) => this.taken(n));
      this.current = cur;
      this.events.file({ index, entry: e, stream: cur.stream });
    }
    if (cur.last) throw protocol(`DATA for ${index} after its last byte`);
    if (offset !== cur.arrived) throw protocol(`DATA for ${index} at ${offset}, expected ${cur.arrived}`);
    if (cur.arrived + length > e.size) throw protocol(`DATA past the end of ${index}`);
    // The frame's prefix and header are consumed now; its file bytes when the reader takes them.
    stream.consumed(DATA_WIRE_HEADER_BYTES);
    this.dataLeft = length;
  }

  /** File bytes of the DATA frame being read, to the file under way (onDataStart made it current). */
  private onDataBytes(stream: MuxStream, bytes: Uint8Array): void {
    const cur = this.current!;
    // Credited on the stream that brought them once the reader took them (a stream that broke since is
    // owed nothing).
    const credit = () => {
      if (stream === this.stream && !stream.done) stream.consumed(bytes.length);
    };
    if (cur.arrived + bytes.length < cur.entry.size) return cur.add(bytes, credit);
    // Its last bytes: held back until the hash matched.
    const digest = cur.addLast(bytes, cur.entry.sha256 !== undefined);
    if (cur.entry.sha256 === undefined) cur.arrivedSha = digest;
    else this.check(cur, digest, cur.entry.sha256, credit);
  }

  private onDigest(index: number, sha: string): void {
    const cur = this.current;
    if (cur?.index !== index || cur.arrivedSha === undefined)
      throw protocol(`DIGEST for ${index}, which is not a file whose bytes all arrived`);
    const stream = this.stream;
    const last = cur.last?.length ?? 0;
    this.check(cur, cur.arrivedSha, sha, () => {
      if (stream && stream === this.stream && !stream.done) stream.consumed(last);
    });
  }

  /** The held-back bytes go to the reader and the file is verified, or it fails. */
  private check(cur: Passing, arrived: string, expected: string, credit: () => void): void {
    const last = cur.last ?? new Uint8Array(0);
    this.current = undefined;
    if (arrived !== expected) {
      const why = `${JSON.stringify(cur.entry.path)} did not match its SHA-256 when it arrived (it changed while it was sent?); it was not saved`;
      this.send({ type: 'failed', index: cur.index, reason: why.slice(0, 500) });
      cur.finish(new Error(why));
      throw new BrowserNodeError('TRANSFER_FAILED', why);
    }
    this.digests.set(cur.index, expected);
    cur.push(last, credit);
    cur.finish('verified');
    this.verifiedNow([cur.index]);
  }

  private verifiedNow(indices: number[]): void {
    this.verified += indices.length;
    for (let at = 0; at < indices.length; at += MAX_INDICES_PER_FRAME)
      this.send({ type: 'verified', indices: indices.slice(at, at + MAX_INDICES_PER_FRAME) });
    if (this.verified < this.fileCount) return this.askedForArrived();
    this.phase = 'complete';
    this.finish().catch((err: unknown) =>
      this.events.failed(protocol(`the tree hash could not be made: ${(err as Error).message}`)),
    );
  }

  /**
   * The files asked for are verified and others are not: the sender, which waits for a COMPLETE, is
   * made to offer again (a reset that is no cancel), and its next OFFER waits for the next `take`.
   */
  private askedForArrived(): void {
    if (this.phase !== 'data' || [...this.wanted].some((i) => !this.digests.has(i))) return;
    this.phase = 'between';
    const stream = this.stream;
    this.stream = undefined;
    stream?.reset(ASKED_FOR_ARRIVED, 'UNSPECIFIED');
  }

  /** Every file verified: COMPLETE with the tree hash the sender checks against its own. */
  private async finish(): Promise<void> {
    const input = treeHashInput(this.entries, this.digests);
    const hash = toHex(new Uint8Array(await subtle().digest('SHA-256', bs(input))));
    this.complete = { type: 'complete', treeHash: hash, received: `page-${toHex(randomBytes(6))}` };
    this.send(this.complete);
    // This side is done; the sender ends its side once it read the COMPLETE.
    this.stream?.end();
    this.events.done();
  }

  private taken(bytes: number): void {
    this.bytesTaken += bytes;
    this.events.progress(this.bytesTaken);
  }

  private fail(error: BrowserNodeError): void {
    if (this.phase === 'over') return;
    if (this.phase === 'complete') {
      // Every file was verified and handed on: what fails now is only the sender's hearing of it.
      this.phase = 'over';
      this.stream?.reset(error.message.slice(0, 200));
      return this.settle();
    }
    this.phase = 'over';
    this.current?.finish(error);
    this.current = undefined;
    this.stream?.reset(error.message.slice(0, 200));
    this.events.failed(error);
    this.settle();
  }
}

/** An entry's size: a file's bytes, nothing for a folder or a link. */
const sizeOf = (e: OfferEntry | undefined): number => (e?.kind === 'file' ? e.size : 0);
