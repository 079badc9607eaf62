/**
 * Appends audit events to `audit.log` (docs/security.md §Audit log) without ever holding up whoever
 * records one: `record` only queues a line, and a write runs later, one at a time, batching what came
 * in meanwhile. The queue is bounded (MAX_QUEUED_LINES): past it events are dropped and counted, and
 * the count is written as an `audit` event once there is room, so a flood costs memory it can spare
 * and a gap in the log is never silent. A write error (a full disk, a home made read-only) is told
 * once through `onProblem` and the node goes on; later writes are tried again.
 */
import { open, rename, stat } from 'node:fs/promises';
import { Emitter } from '../core/emitter.js';
import { errorMessage } from '../core/errors.js';
import { clipAuditEvent, type AuditInput } from './audit-events.js';
import { AUDIT_KEEP, AUDIT_MAX_BYTES } from './audit-files.js';

/** Lines waiting to be written at most: far above a burst's, small enough to never matter in memory. */
export const MAX_QUEUED_LINES = 2000;

export interface AuditWriterOptions {
  path: string;
  maxBytes?: number;
  keep?: number;
  maxQueued?: number;
  /** Told once, the first time a write fails (a notice for the owner). */
  onProblem: (message: string) => void;
  now?: () => number;
}

/** What parts that record events need (a narrow port: tests pass an array's push). */
export interface AuditSink {
  record(event: AuditInput): void;
}

export class AuditWriter implements AuditSink {
  private queue: string[] = [];
  private dropped = 0;
  /** Size of the current file as this writer last knew it; read from disk before the first write. */
  private size: number | undefined;
  private modeSet = false;
  private writing: Promise<void> | null = null;
  private reported = false;
  private closed = false;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly maxQueued: number;
  /** `written`: a batch of lines is in the file (how many): the API's `audit` event. */
  readonly events = new Emitter<{ written: [number] }>();

  constructor(private readonly opts: AuditWriterOptions) {
    this.maxBytes = opts.maxBytes ?? AUDIT_MAX_BYTES;
    this.keep = opts.keep ?? AUDIT_KEEP;
    this.maxQueued = opts.maxQueued ?? MAX_QUEUED_LINES;
  }

  /** Events dropped and not yet noted in the log. */
  get droppedCount(): number {
    return this.dropped;
  }

  get queued(): number {
    return this.queue.length;
  }

  record(event: AuditInput): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueued) {
      this.dropped++;
      return;
    }
    const time = event.time ?? new Date((this.opts.now ?? Date.now)()).toISOString();
    this.queue.push(`${JSON.stringify({ ...clipAuditEvent(event), time })}\n`);
    this.kick();
  }

  /** Resolves once every event recorded so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what is queued, then takes no more. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private kick(): void {
    if (this.writing) return;
    // A turn later, so a burst recorded in one tick goes out in one write.
    this.writing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.writing = null;
        // Not for a count alone: after a failed write the next event tries again, not a busy loop.
        if (this.queue.length > 0) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.dropped > 0) {
      const batch = this.queue;
      this.queue = [];
      const dropped = this.dropped;
      this.dropped = 0;
      if (dropped > 0) batch.push(this.droppedLine(dropped));
      try {
        await this.append(batch.join(''));
        this.reported = false;
        this.events.emit('written', batch.length);
      } catch (err) {
        // Lost with this write: counted, so the next write that works says how many.
        this.dropped += batch.length - (dropped > 0 ? 1 : 0) + dropped;
        this.size = undefined;
        if (!this.reported) {
          this.reported = true;
          this.opts.onProblem(
            `the audit log ${this.opts.path} cannot be written (${errorMessage(err)}); events are dropped and counted until it can`,
          );
        }
        return; // tried again when the next event comes
      }
    }
  }

  private droppedLine(n: number): string {
    const time = new Date((this.opts.now ?? Date.now)()).toISOString();
    const what = `${n} audit event${n === 1 ? '' : 's'} dropped`;
    return `${JSON.stringify({ kind: 'audit', time, what, outcome: 'failed', dropped: n })}\n`;
  }

  private async append(chunk: string): Promise<void> {
    const bytes = Buffer.byteLength(chunk);
    this.size ??= await sizeOf(this.opts.path);
    if (this.size > 0 && this.size + bytes > this.maxBytes) {
      await this.rotate();
      this.size = 0;
    }
    // 0600 from creation (a umask only takes bits away); a file made by hand is set once.
    const file = await open(this.opts.path, 'a', 0o600);
    try {
      if (!this.modeSet) {
        await file.chmod(0o600);
        this.modeSet = true;
      }
      await file.write(chunk);
    } finally {
      await file.close();
    }
    this.size += bytes;
  }

  /** audit.log.N-1 → .N … audit.log → .1; the oldest beyond `keep` is overwritten. */
  private async rotate(): Promise<void> {
    const path = this.opts.path;
    for (let i = this.keep - 1; i >= 1; i--) await renameIfThere(`${path}.${i}`, `${path}.${i + 1}`);
    await renameIfThere(path, `${path}.1`);
    this.modeSet = false;
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
