/**
 * Appends audit events to `audit.log` (docs/security.md §Audit log) without ever holding up whoever
 * records one: `record` only queues a line, and a write runs later, one at a time, batching what came
 * in meanwhile (for AUDIT_BATCH_MS). Refusals go to a file of their own through the limits of
 * audit-noise.ts, so a flood of them is a few lines and a count, and never pushes the rest out. Each
 * file's queue is bounded (MAX_QUEUED_LINES): past it events are dropped and counted, and the count is
 * written as an `audit` event once there is room, so a flood costs memory it can spare and a gap in the
 * log is never silent. A write error (a full disk, a home made read-only) is told once through
 * `onProblem` and the node goes on; later writes are tried again.
 *
 * The file stays open while events keep coming and is closed once none came for AUDIT_IDLE_CLOSE_MS.
 * Both that and AUDIT_BATCH_MS are for short forwarded connections, one event each: opening, writing
 * and closing the file per event made the log a large share of each such connection's CPU; one write
 * per batch into a kept file takes most of that back (the figures: docs/design/hot-path-costs.md).
 */
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Emitter } from '../core/emitter.js';
import { errorMessage } from '../core/errors.js';
import { clipAuditEvent, type AuditInput } from './audit-events.js';
import {
  AUDIT_KEEP,
  AUDIT_MAX_BYTES,
  AUDIT_REFUSALS_FILE,
  AUDIT_REFUSALS_KEEP,
  AUDIT_REFUSALS_MAX_BYTES,
} from './audit-files.js';
import { isNoise, RefusalLimiter, type RefusalLimiterOptions } from './audit-noise.js';
import { isoTime } from '../core/iso-time.js';
import { background } from '../core/background.js';

/** Lines waiting to be written at most: far above a burst's, small enough to never matter in memory. */
export const MAX_QUEUED_LINES = 2000;

/**
 * How long a recorded event waits for others to share its write, in ms (20): a node serving a few
 * hundred short connections a second writes a handful of lines at a time instead of one each, and a
 * crash loses at most this much more than before.
 */
export const AUDIT_BATCH_MS = 20;

/**
 * How long the file stays open after the last write, in ms (1 s): a burst of connections shares one
 * open, and a quiet node holds no descriptor, so a log removed or moved by hand is recreated by the
 * next event after a pause.
 */
export const AUDIT_IDLE_CLOSE_MS = 1_000;

export interface AuditWriterOptions {
  path: string;
  maxBytes?: number;
  keep?: number;
  /** The refusals' file (default AUDIT_REFUSALS_FILE beside `path`), its size and rotations kept. */
  refusalsPath?: string;
  refusalsMaxBytes?: number;
  refusalsKeep?: number;
  /** The refusals' limits (audit-noise.ts), for tests. */
  refusalLimits?: Omit<RefusalLimiterOptions, 'write' | 'now'>;
  maxQueued?: number;
  /** How long the file stays open after a write, in ms (default AUDIT_IDLE_CLOSE_MS). */
  idleCloseMs?: number;
  /** Told once, the first time a write fails (a notice for the owner). */
  onProblem: (message: string) => void;
  now?: () => number;
}

/** What parts that record events need (a narrow port: tests pass an array's push). */
export interface AuditSink {
  record(event: AuditInput): void;
}

/** One file of the log: its queue, what it dropped, its size, its rotation, its open handle. */
class LogFile {
  queue: string[] = [];
  dropped = 0;
  /** Size of the file as this writer last knew it; read from disk before the first write. */
  private size: number | undefined;
  private modeSet = false;
  /** The open file while events keep coming (AUDIT_IDLE_CLOSE_MS). */
  private file: FileHandle | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly keep: number,
    private readonly maxQueued: number,
    private readonly idleCloseMs: number,
    /** Whether a write is under way (then the file is not closed for idleness). */
    private readonly busy: () => boolean,
  ) {}

  push(line: string): void {
    if (this.queue.length >= this.maxQueued) this.dropped++;
    else this.queue.push(line);
  }

  get hasWork(): boolean {
    return this.queue.length > 0 || this.dropped > 0;
  }

  /** Writes what is queued (and the count of what was dropped); how many lines, or throws. */
  async writeQueued(droppedLine: (n: number) => string): Promise<number> {
    const batch = this.queue;
    this.queue = [];
    const dropped = this.dropped;
    this.dropped = 0;
    if (dropped > 0) batch.push(droppedLine(dropped));
    try {
      await this.append(batch.join(''));
    } catch (err) {
      // Lost with this write: counted, so the next write that works says how many.
      this.dropped += batch.length - (dropped > 0 ? 1 : 0) + dropped;
      this.size = undefined;
      await this.closeFile().catch(() => undefined); // the next write opens it afresh
      throw err;
    }
    return batch.length;
  }

  private async append(chunk: string): Promise<void> {
    const bytes = Buffer.byteLength(chunk);
    this.size ??= await sizeOf(this.path);
    if (this.size > 0 && this.size + bytes > this.maxBytes) {
      await this.closeFile();
      await this.rotate();
      this.size = 0;
    }
    const file = (this.file ??= await this.openFile());
    await file.write(chunk);
    this.size += bytes;
    clearTimeout(this.idleTimer);
    // closeWhenIdle drops a close's failure itself (the next event opens the file again).
    this.idleTimer = setTimeout(() => background(this.closeWhenIdle(), () => undefined), this.idleCloseMs);
    this.idleTimer.unref();
  }

  private async openFile(): Promise<FileHandle> {
    // 0600 from creation (a umask only takes bits away); a file made by hand is set once.
    const file = await open(this.path, 'a', 0o600);
    try {
      if (!this.modeSet) {
        await file.chmod(0o600);
        this.modeSet = true;
      }
    } catch (err) {
      await file.close();
      throw err;
    }
    return file;
  }

  /** Closes the file unless a write is under way (that write sets a new idle timer). */
  private async closeWhenIdle(): Promise<void> {
    if (this.busy()) return;
    await this.closeFile().catch(() => undefined);
  }

  async closeFile(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  /** path.N-1 → .N … path → .1; the oldest beyond `keep` is overwritten. */
  private async rotate(): Promise<void> {
    const path = this.path;
    for (let i = this.keep - 1; i >= 1; i--) await renameIfThere(`${path}.${i}`, `${path}.${i + 1}`);
    await renameIfThere(path, `${path}.1`);
    this.modeSet = false;
  }
}

export class AuditWriter implements AuditSink {
  private writing: Promise<void> | null = null;
  private reported = false;
  private closed = false;
  /** The log, and the refusals' file (audit-noise.ts). */
  private readonly main: LogFile;
  private readonly refusals: LogFile;
  private readonly limiter: RefusalLimiter;
  /** `written`: a batch of lines is in the file (how many): the API's `audit` event. */
  readonly events = new Emitter<{ written: [number] }>();

  constructor(private readonly opts: AuditWriterOptions) {
    const maxQueued = opts.maxQueued ?? MAX_QUEUED_LINES;
    const idle = opts.idleCloseMs ?? AUDIT_IDLE_CLOSE_MS;
    const busy = () => this.writing !== null;
    this.main = new LogFile(
      opts.path,
      opts.maxBytes ?? AUDIT_MAX_BYTES,
      opts.keep ?? AUDIT_KEEP,
      maxQueued,
      idle,
      busy,
    );
    this.refusals = new LogFile(
      opts.refusalsPath ?? join(dirname(opts.path), AUDIT_REFUSALS_FILE),
      opts.refusalsMaxBytes ?? AUDIT_REFUSALS_MAX_BYTES,
      opts.refusalsKeep ?? AUDIT_REFUSALS_KEEP,
      maxQueued,
      idle,
      busy,
    );
    this.limiter = new RefusalLimiter({
      ...opts.refusalLimits,
      ...(opts.now ? { now: opts.now } : {}),
      write: (event) => this.enqueue(this.refusals, event),
    });
  }

  /** Events dropped and not yet noted in the log. */
  get droppedCount(): number {
    return this.main.dropped + this.refusals.dropped;
  }

  get queued(): number {
    return this.main.queue.length + this.refusals.queue.length;
  }

  record(event: AuditInput): void {
    if (this.closed) return;
    if (isNoise(event)) this.limiter.record(event);
    else this.enqueue(this.main, event);
  }

  /** Resolves once every event recorded so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what is queued, and the counts of refusals held back, then takes no more. */
  async close(): Promise<void> {
    this.limiter.flush();
    await this.flush();
    this.closed = true;
    await Promise.all([this.main.closeFile(), this.refusals.closeFile()]);
  }

  private enqueue(file: LogFile, event: AuditInput): void {
    if (this.closed) return;
    const time = event.time ?? isoTime((this.opts.now ?? Date.now)());
    file.push(`${JSON.stringify({ ...clipAuditEvent(event), time })}\n`);
    this.kick();
  }

  private kick(): void {
    if (this.writing) return;
    // AUDIT_BATCH_MS later, so the events of a burst go out in one write.
    this.writing = new Promise<void>((resolve) => setTimeout(resolve, AUDIT_BATCH_MS))
      .then(() => this.drain())
      .finally(() => {
        this.writing = null;
        // Not for a count alone: after a failed write the next event tries again, not a busy loop.
        if (this.main.queue.length > 0 || this.refusals.queue.length > 0) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (this.main.hasWork || this.refusals.hasWork) {
      for (const file of [this.main, this.refusals]) {
        if (!file.hasWork) continue;
        try {
          const lines = await file.writeQueued((n) => this.droppedLine(n));
          this.reported = false;
          this.events.emit('written', lines);
        } catch (err) {
          if (!this.reported) {
            this.reported = true;
            this.opts.onProblem(
              `the audit log ${file.path} cannot be written (${errorMessage(err)}); events are dropped and counted until it can`,
            );
          }
          return; // tried again when the next event comes
        }
      }
    }
  }

  private droppedLine(n: number): string {
    const time = isoTime((this.opts.now ?? Date.now)());
    const what = `${n} audit event${n === 1 ? '' : 's'} dropped`;
    return `${JSON.stringify({ kind: 'audit', time, what, outcome: 'failed', dropped: n })}\n`;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

async function renameIfThere(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
