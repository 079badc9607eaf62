/**
 * An append-only log of records with group commit (ADR 0046 §Durability): the inbox and the outbox are
 * each one such file, replayed into memory when opened.
 *
 * File: an 8-byte magic, then records, each `u32 length | u32 CRC-32 (of the length bytes and the
 * payload) | payload`. A crash can only tear the end of the file (the writes that were not yet synced),
 * so recovery reads records until the first one that is short, oversized or fails its checksum and cuts
 * the file there; nothing behind that point was ever reported durable.
 *
 * Group commit: `append` queues a record and returns a promise that resolves once it is durable. One
 * batch is written (one writev) and synced (one fdatasync; or the writev alone, on a file opened
 * with O_DSYNC: log-files.ts) at a time; whatever was appended while that sync ran forms the next batch. Under load a batch holds everything that arrived during one fsync
 * (about half a millisecond here), so durability costs one flush per batch, not per message; a lone
 * record waits for nothing but its own flush. No timer: the batch window is the fsync itself.
 *
 * Compaction (`rewrite`) writes the live records the owner hands it to a temp file, syncs it and
 * renames it over the log. Records appended meanwhile are written after them in the new file, so the
 * owner's replay must be idempotent and monotone (a record it already reflects changes nothing).
 */
import { crc32 } from 'node:zlib';
import { ClawError } from '../core/errors.js';
import { isDiskProblem } from '../core/file-errors.js';
import type { LogFile, LogFolder } from './log-files.js';

/** First bytes of every log file: its format and version. */
const MAGIC = Buffer.from('CBMSGLOG');
/** Bytes before each payload: length and checksum. */
export const RECORD_HEADER_BYTES = 8;
/** Largest record payload, in bytes: a 1 MiB message body with its metadata fits well within. */
export const MAX_RECORD_BYTES = 2 * 1024 * 1024;
/** Most bytes written by one batch (one writev + one sync): 8 MiB, so a burst of big messages is cut in a few. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** Bytes read at a time when a log is replayed. */
const SCAN_BLOCK_BYTES = 1024 * 1024;
/** Bytes a compaction's reader takes from the file at a time (`inOrder`). */
export const READ_AHEAD_BYTES = 256 * 1024;

/** What group commit did, for measurements and tests. */
export interface LogStats {
  records: number;
  batches: number;
  /** Flushes to disk: one per batch (an fdatasync, or the batch's synchronized write) and one per rewrite. */
  syncs: number;
  bytes: number;
}

/** What opening found. */
export interface LogRecovery {
  records: number;
  /** Bytes cut from the end: a record a crash tore (0 after a clean stop). */
  truncatedBytes: number;
}

interface Pending {
  framed: Buffer;
  /** Rides along with the next flush instead of starting one (see appendLazy). */
  lazy: boolean;
  resolve: (offset: number) => void;
  reject: (err: Error) => void;
}

/** Longest a lazy record waits for a flush to ride along with, in ms, before it starts one itself. */
export const LAZY_FLUSH_MS = 50;

export class RecordLog {
  private pending: Pending[] = [];
  /** Bytes in `pending`, and in the batch being written. */
  private pendingBytes = 0;
  private inFlightBytes = 0;
  /** Records in `pending` that are not lazy: only these start a flush. */
  private urgent = 0;
  private lazyTimer: NodeJS.Timeout | undefined;
  /** Lazy records are flushed now, not after LAZY_FLUSH_MS (closing). */
  private forceLazy = false;
  /** The newest append's promise: batches complete in order, so it settles after every earlier one. */
  private lastAppend: Promise<unknown> = Promise.resolve();
  private flushing: Promise<void> | undefined;
  private compacting = false;
  private closed = false;
  /** Set when a write or sync failed: what is on disk is no longer known, so nothing more is written. */
  private broken: Error | undefined;
  /** Reads in progress per file, so a file replaced by `rewrite` is closed once they are done. */
  private readonly readers = new Map<LogFile, number>();
  private readonly retired = new Set<LogFile>();
  readonly stats: LogStats = { records: 0, batches: 0, syncs: 0, bytes: 0 };

  private constructor(
    private readonly folder: LogFolder,
    private readonly name: string,
    private file: LogFile,
    /** Where the next record goes. */
    private end: number,
  ) {}

  /**
   * Opens (or creates) `name` in `folder`, calling `onRecord` with each intact record's payload (a view:
   * copy what you keep) and its position, in order; cuts a torn end.
   * @throws ClawError('CONFIG_INVALID') when the file is not a message log; the file system's errors.
   */
  static async open(
    folder: LogFolder,
    name: string,
    onRecord: (payload: Buffer, offset: number) => void,
  ): Promise<{ log: RecordLog; recovery: LogRecovery }> {
    await folder.removeTemp(name);
    let file = await folder.open(name);
    if (!file) {
      const tmp = await folder.createTemp(name);
      try {
        await tmp.write([MAGIC], 0);
        await tmp.sync();
      } finally {
        await tmp.close();
      }
      await folder.install(name);
      file = await folder.open(name);
      if (!file) throw new ClawError('INTERNAL', `${name} vanished right after it was created`);
    }
    try {
      const magic = await file.read(0, MAGIC.length);
      if (!magic.equals(MAGIC)) {
        throw new ClawError(
          'CONFIG_INVALID',
          `${name} in the messages folder is not a message log (its first bytes are wrong): move it away and restart`,
        );
      }
      const { end, records } = await scan(file, onRecord);
      const truncatedBytes = file.size - end;
      if (truncatedBytes > 0) {
        await file.truncate(end);
        await file.sync();
      }
      return { log: new RecordLog(folder, name, file, end), recovery: { records, truncatedBytes } };
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** Bytes in the file (the magic and every record written or queued). */
  get size(): number {
    return this.end + this.inFlightBytes + this.pendingBytes;
  }

  /**
   * Queues `payload` (1 to MAX_RECORD_BYTES bytes; not copied: leave it alone). Resolves with the
   * payload's position in the file once it is durable; rejects when the write or sync failed (then
   * the log takes no more records until it is opened again).
   */
  append(payload: Uint8Array): Promise<number> {
    return this.appendAll([payload])[0]!;
  }

  /**
   * Queues several records at once, in order, as `append` queues one: they go to the file in the same
   * batch (one write and one sync), where appending them one by one would send the first alone.
   * Each promise resolves with its payload's position once durable.
   */
  appendAll(payloads: readonly Uint8Array[]): Promise<number>[] {
    const out = payloads.map((payload) => {
      const problem = this.appendProblem(payload);
      if (problem) return Promise.reject(problem);
      const framed = frame(payload);
      const done = new Promise<number>((resolve, reject) => {
        this.pending.push({ framed, lazy: false, resolve, reject });
      });
      this.pendingBytes += framed.length;
      this.urgent++;
      this.lastAppend = done;
      return done;
    });
    this.kick();
    return out;
  }

  /**
   * Queues a record whose loss in a crash costs nothing but a repeat (a receipt the peer sends again):
   * it is written with the next flush, or within LAZY_FLUSH_MS, and starts no flush of its own before
   * that — so a stream of receipts costs no fsync per receipt. Failures are silent (the log is
   * broken for everyone then). Not counted by `settled` / `durableSoFar`.
   */
  appendLazy(payload: Uint8Array): void {
    if (this.appendProblem(payload)) return;
    const framed = frame(payload);
    this.pending.push({ framed, lazy: true, resolve: () => undefined, reject: () => undefined });
    this.pendingBytes += framed.length;
    this.kick();
  }

  private appendProblem(payload: Uint8Array): Error | undefined {
    if (this.closed) return new ClawError('INTERNAL', `${this.name} is closed`);
    if (this.broken) return this.broken;
    if (payload.length === 0 || payload.length > MAX_RECORD_BYTES) {
      return new RangeError(`a log record is 1 to ${MAX_RECORD_BYTES} bytes, got ${payload.length}`);
    }
    return undefined;
  }

  /** `length` bytes at `offset` (a position `append` or `rewrite` reported), waiting for them to be written. */
  async read(offset: number, length: number): Promise<Buffer> {
    const file = this.file;
    this.readers.set(file, (this.readers.get(file) ?? 0) + 1);
    try {
      const out = await file.read(offset, length);
      if (out.length !== length)
        throw new ClawError('INTERNAL', `${this.name}: read past the end at ${offset}`);
      return out;
    } finally {
      const n = (this.readers.get(file) ?? 1) - 1;
      if (n > 0) this.readers.set(file, n);
      else {
        this.readers.delete(file);
        if (this.retired.delete(file)) await file.close().catch(() => undefined);
      }
    }
  }

  /**
   * A reader for records read in the order they lie in the file, as a compaction reads every live
   * body: it takes READ_AHEAD_BYTES at a time and serves the records within from memory. One read per
   * record (a promise and a trip through libuv's thread pool each) was most of what compacting a log
   * of 10,000 small messages cost. A record outside the window, or one as large as it, is read on
   * its own; each returned buffer is a copy, so keeping one keeps no window alive.
   */
  inOrder(): (offset: number, length: number) => Promise<Buffer> {
    let window: { file: LogFile; at: number; bytes: Buffer } | undefined;
    return async (offset, length) => {
      const w = window;
      if (w && w.file === this.file && offset >= w.at && offset + length <= w.at + w.bytes.length) {
        return Buffer.from(w.bytes.subarray(offset - w.at, offset - w.at + length));
      }
      // Only what is written: a batch in flight may still be on its way to the file.
      const span = Math.min(READ_AHEAD_BYTES, this.end - offset);
      if (span <= length) return this.read(offset, length);
      const file = this.file;
      const bytes = await this.read(offset, span);
      window = { file, at: offset, bytes };
      return Buffer.from(bytes.subarray(0, length));
    };
  }

  /**
   * Replaces the file with `records` (each payload, in order) followed by whatever is appended
   * meanwhile. `switched` gets each record's new position at the moment the new file takes over
   * (synchronously: a read after it must use the new positions). On failure the old file stays.
   */
  async rewrite(
    records: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    switched: (offsets: number[]) => void,
  ): Promise<void> {
    if (this.closed || this.broken) throw this.broken ?? new ClawError('INTERNAL', `${this.name} is closed`);
    if (this.compacting) throw new ClawError('INTERNAL', `${this.name} is already being rewritten`);
    this.compacting = true;
    try {
      await this.flushing;
      const tmp = await this.folder.createTemp(this.name);
      const offsets: number[] = [];
      let at = MAGIC.length;
      try {
        let batch: Uint8Array[] = [MAGIC];
        let batchAt = 0;
        let batchBytes = MAGIC.length;
        for await (const payload of records) {
          const head = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
          head.writeUInt32BE(payload.length, 0);
          head.writeUInt32BE(crc32(payload, crc32(head.subarray(0, 4))), 4);
          batch.push(head, payload);
          offsets.push(at + RECORD_HEADER_BYTES);
          at += RECORD_HEADER_BYTES + payload.length;
          batchBytes += RECORD_HEADER_BYTES + payload.length;
          if (batchBytes >= MAX_BATCH_BYTES) {
            await tmp.write(batch, batchAt);
            batch = [];
            batchAt = at;
            batchBytes = 0;
          }
        }
        if (batch.length > 0) await tmp.write(batch, batchAt);
        await tmp.sync();
        this.stats.syncs++;
      } finally {
        await tmp.close();
      }
      await this.folder.install(this.name);
      // From here the old file is no longer the log: a failure leaves nothing to write to.
      const file = await this.folder.open(this.name).catch((err: unknown) => {
        throw (this.broken = new ClawError('INTERNAL', `reopening ${this.name} failed: ${String(err)}`));
      });
      if (!file)
        throw (this.broken = new ClawError('INTERNAL', `${this.name} vanished right after it was rewritten`));
      const old = this.file;
      this.file = file;
      this.end = at;
      switched(offsets);
      if (this.readers.has(old)) this.retired.add(old);
      else await old.close().catch(() => undefined);
    } catch (err) {
      await this.folder.removeTemp(this.name).catch(() => undefined);
      throw err;
    } finally {
      this.compacting = false;
      this.kick();
    }
  }

  /** Resolves once every record appended before this call is durable (or failed). */
  async settled(): Promise<void> {
    await this.lastAppend.catch(() => undefined);
  }

  /**
   * Resolves once every record appended before this call is durable; rejects when the log failed
   * (then nothing appended before can be counted on: a repeat must not be acknowledged).
   */
  async durableSoFar(): Promise<void> {
    await this.settled();
    if (this.broken) throw this.broken;
  }

  /** Writes what is queued, then closes the file. Appends after this are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forceLazy = true;
    this.kick();
    // Bounded: no appends are taken once closed, so each turn writes what is left or fails.
    while ((this.flushing || this.pending.length > 0) && !this.broken) {
      await (this.flushing ?? new Promise((r) => setImmediate(r)));
    }
    clearTimeout(this.lazyTimer);
    for (const p of this.pending.splice(0)) p.reject(new ClawError('INTERNAL', `${this.name} is closed`));
    this.pendingBytes = 0;
    await this.file.close();
  }

  private kick(): void {
    if (this.flushing || this.compacting || this.pending.length === 0 || this.broken) return;
    if (this.urgent === 0 && !this.forceLazy) {
      this.lazyTimer ??= setTimeout(() => {
        this.lazyTimer = undefined;
        this.forceLazy = true;
        this.kick();
      }, LAZY_FLUSH_MS).unref();
      return;
    }
    clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      if (!this.closed) this.forceLazy = false;
      this.kick();
    });
  }

  /** Writes and syncs one batch: everything queued, up to MAX_BATCH_BYTES (at least one record). */
  private async flush(): Promise<void> {
    let bytes = 0;
    let n = 0;
    while (
      n < this.pending.length &&
      (n === 0 || bytes + this.pending[n]!.framed.length <= MAX_BATCH_BYTES)
    ) {
      bytes += this.pending[n]!.framed.length;
      n++;
    }
    const batch = this.pending.splice(0, n);
    for (const p of batch) if (!p.lazy) this.urgent--;
    this.pendingBytes -= bytes;
    this.inFlightBytes = bytes;
    const start = this.end;
    try {
      await this.file.write(
        batch.map((p) => p.framed),
        start,
      );
      // A file opened for synchronized writes is durable already (log-files.ts, ADR 0066).
      if (!this.file.writesDurable) await this.file.sync();
    } catch (err) {
      // After a failed sync the kernel may have dropped the pages it could not write: what the file
      // holds is unknown, so the log stops here (it is replayed, and cut, when opened again).
      const code = isDiskProblem(err) ? (err as ClawError).code : 'INTERNAL';
      const error = new ClawError(code, `writing ${this.name} failed: ${(err as Error).message}`, {
        cause: err,
      });
      this.broken = error;
      for (const p of [...batch, ...this.pending.splice(0)]) p.reject(error);
      this.urgent = 0;
      this.pendingBytes = 0;
      this.inFlightBytes = 0;
      return;
    }
    this.end = start + bytes;
    this.inFlightBytes = 0;
    this.stats.batches++;
    this.stats.syncs++;
    this.stats.records += batch.length;
    this.stats.bytes += bytes;
    let at = start;
    for (const p of batch) {
      p.resolve(at + RECORD_HEADER_BYTES);
      at += p.framed.length;
    }
  }
}

/** A payload with its length and checksum in front. */
function frame(payload: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  framed.writeUInt32BE(payload.length, 0);
  framed.set(payload, RECORD_HEADER_BYTES);
  framed.writeUInt32BE(crc32(payload, crc32(framed.subarray(0, 4))), 4);
  return framed;
}

/** Calls `onRecord` for each intact record from the magic on; returns where the intact part ends. */
async function scan(
  file: LogFile,
  onRecord: (payload: Buffer, offset: number) => void,
): Promise<{ end: number; records: number }> {
  const size = file.size;
  let block: Buffer = Buffer.alloc(0);
  let blockAt = 0;
  /** The bytes [at, at + n) of the file, or undefined when the file ends before them. */
  const bytesAt = async (at: number, n: number): Promise<Buffer | undefined> => {
    if (at + n > size) return undefined;
    if (at < blockAt || at + n > blockAt + block.length) {
      block = await file.read(at, Math.max(n, Math.min(SCAN_BLOCK_BYTES, size - at)));
      blockAt = at;
      if (block.length < n) return undefined;
    }
    return block.subarray(at - blockAt, at - blockAt + n);
  };
  let pos = MAGIC.length;
  let records = 0;
  for (;;) {
    const head = await bytesAt(pos, RECORD_HEADER_BYTES);
    if (!head) break;
    const length = head.readUInt32BE(0);
    const sum = head.readUInt32BE(4);
    if (length === 0 || length > MAX_RECORD_BYTES) break;
    const lengthBytes = Buffer.from(head.subarray(0, 4));
    const payload = await bytesAt(pos + RECORD_HEADER_BYTES, length);
    if (!payload || crc32(payload, crc32(lengthBytes)) !== sum) break;
    onRecord(payload, pos + RECORD_HEADER_BYTES);
    pos += RECORD_HEADER_BYTES + length;
    records++;
  }
  return { end: pos, records };
}
