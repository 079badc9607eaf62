/**
 * The transfers that ended (done, failed, cancelled), kept in HOME/files/transfers.json so that
 * `files.transfers` and the Files view still list them after the agent restarts. Best effort, as the
 * node's observations are (DESIGN §14): a write is coalesced over HISTORY_WRITE_MS and never fsynced,
 * so a crash may lose the last second of endings, never a transfer's data. Bounded: the newest
 * HISTORY_KEPT of each direction, each with at most HISTORY_NAMES names and a `why` of at most
 * HISTORY_WHY_CHARS (a peer chooses both).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import type { TransferInfo } from './files-contract.js';
import { replaceFileSync } from '../home/durable-file.js';

/** Ended transfers kept per direction (the in-memory lists keep as many: KEPT_TRANSFERS). */
export const HISTORY_KEPT = 200;
/** Top-level names kept of one transfer (the first ones; a folder of many is still recognisable). */
export const HISTORY_NAMES = 20;
/** Longest `why` kept, in characters. */
export const HISTORY_WHY_CHARS = 500;
/** How long endings are gathered before one write, in ms (a burst of small transfers: one write). */
export const HISTORY_WRITE_MS = 1000;
/** Largest history file read back, in bytes (well above what the bounds above allow). */
const HISTORY_FILE_MAX = 16 * 1024 * 1024;

const ENDED = new Set<TransferInfo['state']>(['done', 'failed', 'cancelled']);

/** Whether a transfer moves no more. */
export function ended(t: Pick<TransferInfo, 'state'>): boolean {
  return ENDED.has(t.state);
}

// Made on use (core/made-on-use.ts, ADR 0073): read once, at the files part's start.
const savedTransfer = madeOnUse(() => {
  const count = z.number().int().nonnegative();
  return z
    .object({
      id: z.string().regex(/^[0-9a-f]{32}$/),
      direction: z.enum(['in', 'out']),
      peer: z.object({ name: z.string().max(200), fingerprint: z.string().min(1).max(128) }),
      state: z.enum(['done', 'failed', 'cancelled']),
      files: count,
      bytes: count,
      filesDone: count,
      bytesDone: count,
      rate: count,
      why: z.string().max(HISTORY_WHY_CHARS).optional(),
      names: z.array(z.string().max(4096)).max(HISTORY_NAMES),
      resumedAt: count.optional(),
      bytesSent: count.optional(),
      received: z.string().max(64).optional(),
      treeHash: z.string().max(128).optional(),
      startedAt: z.string().max(40),
    })
    .strip();
});

/** An ended transfer as kept: a copy, bounded, not moving. */
function kept(t: TransferInfo): TransferInfo {
  const copy: TransferInfo = { ...t, peer: { ...t.peer }, names: t.names.slice(0, HISTORY_NAMES), rate: 0 };
  if (copy.why !== undefined) copy.why = copy.why.slice(0, HISTORY_WHY_CHARS);
  return copy;
}

export class TransferHistory {
  /** By ID, oldest ending first (a Map iterates in insertion order; an update moves it last). */
  private readonly byId = new Map<string, TransferInfo>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly onWriteError: (err: unknown) => void = () => undefined,
  ) {}

  /** Reads what an earlier run kept; a missing, damaged or oversized file is an empty history. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return;
    }
    if (text.length > HISTORY_FILE_MAX) return;
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      return;
    }
    if (!Array.isArray(list)) return;
    for (const item of list) {
      const parsed = savedTransfer().safeParse(item);
      if (parsed.success) this.byId.set(parsed.data.id, parsed.data);
    }
  }

  /** Keeps `t` if it ended (replacing an earlier ending of the same ID); a moving one is not kept. */
  record(t: TransferInfo): void {
    if (!ended(t)) return;
    this.byId.delete(t.id);
    this.byId.set(t.id, kept(t));
    let over = this.count(t.direction) - HISTORY_KEPT;
    for (const [id, old] of this.byId) {
      if (over <= 0) break;
      if (old.direction !== t.direction) continue;
      this.byId.delete(id);
      over--;
    }
    this.schedule();
  }

  get(id: string): TransferInfo | undefined {
    return this.byId.get(id);
  }

  /** Every kept transfer, oldest ending first. */
  list(): TransferInfo[] {
    return [...this.byId.values()];
  }

  /** Forgets the transfers `drop` picks; how many went. */
  forget(drop: (t: TransferInfo) => boolean): number {
    let n = 0;
    for (const [id, t] of this.byId) {
      if (!drop(t)) continue;
      this.byId.delete(id);
      n++;
    }
    if (n > 0) this.schedule();
    return n;
  }

  /** Writes now what is pending (the agent stopping). */
  flush(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
  }

  private count(direction: TransferInfo['direction']): number {
    let n = 0;
    for (const t of this.byId.values()) if (t.direction === direction) n++;
    return n;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, HISTORY_WRITE_MS);
    this.timer.unref();
  }

  private write(): void {
    try {
      replaceFileSync(this.file, JSON.stringify(this.list()), 0o600, { sync: false });
    } catch (err) {
      this.onWriteError(err);
    }
  }
}
