/**
 * Where received files live in the node's home (ADR 0051), all under HOME/files/ (0700):
 *
 *   staging/<from>-<id>/   a transfer arriving: offer.json, verified (one index a line), d/<index>
 *   inbox/<rid>/           a transfer that arrived whole and verified: meta.json and tree/ (its entries)
 *   inbox/<rid>.part/      being moved from staging into the inbox; a crash leaves it, start removes it
 *   done/<from>-<id>       a completed transfer's inbox ID, so a sender that missed COMPLETE is told again
 *   cancelled/<from>-<id>  a transfer this node's owner cancelled: its sender, offering it again (a
 *                          resume, after either agent restarted), is told so and stops; kept for good
 *                          (empty files, made only by the owner)
 *   outgoing/<id>.json     this node's own transfers not yet verified on the other side (file-sender.ts)
 *   transfers.json         the transfers that ended, both directions, for the list (transfer-history.ts)
 *
 * `<from>` is the first 16 hex characters of the sender's fingerprint. File bytes are stored under
 * their index, never under the names the sender chose: names are used once, when the whole transfer
 * moves into inbox/<rid>/tree/ under the names file-names.ts gave them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { uptime } from 'node:os';
import { join } from 'node:path';
import type { OfferEntry } from '../protocol/file-frames.js';

/** Free space a transfer may never eat into, in bytes (1 GiB), unless the options say otherwise. */
export const DEFAULT_DISK_RESERVE_BYTES = 1024 ** 3;
/** Most bytes one peer may have in this node's staging and inbox together (100 GiB) by default. */
export const DEFAULT_PEER_QUOTA_BYTES = 100 * 1024 ** 3;
/**
 * What one entry (file, folder or link) takes on disk besides its bytes, in bytes (4 KiB: an inode, its
 * directory entry and the block a small file's tail fills). Counted against the quota and the free
 * disk, so that 100,000 one-byte files do not count as 100,000 bytes.
 */
export const ENTRY_DISK_BYTES = 4096;
/** How long a completed transfer's ID is remembered for a sender that missed COMPLETE (7 days, ms). */
export const DONE_MEMORY_MS = 7 * 24 * 3600_000;
/**
 * How long a transfer that stopped arriving keeps its staging (30 days, ms): its sender may carry on
 * after a long absence; one that never does (it was cancelled while this node was away) stops counting
 * against its quota then.
 */
export const STAGING_KEEP_MS = 30 * 24 * 3600_000;

export interface FileStoreOptions {
  diskReserveBytes?: number;
  peerQuotaBytes?: number;
  /** Tests: pretend the disk folds case. */
  caseInsensitive?: boolean;
  /** Tests: this boot's identity (bootIdentity() otherwise). */
  bootId?: string;
}

/**
 * What names this run of the operating system: Linux's boot_id, elsewhere the boot time to the minute.
 * Staging records it beside the files it marked verified: those marks are trusted only within the same
 * boot, because the marks and the bytes are not flushed to disk one by one (ADR 0060) and a crash of
 * the OS may keep a mark and lose the bytes it stood for.
 */
export async function bootIdentity(): Promise<string> {
  const id = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '');
  if (id.trim()) return id.trim();
  return `boot-${Math.round((Date.now() - uptime() * 1000) / 60_000)}`;
}

/** What `meta.json` of an inbox entry says. */
export interface ReceivedMeta {
  id: string;
  from: string;
  /** The name the sender had here when it arrived. */
  fromName: string;
  transfer: string;
  receivedAt: string;
  treeHash: string;
  files: number;
  bytes: number;
  /** The top-level names in tree/, as written here. */
  top: string[];
  renamed: Array<{ from: string; to: string }>;
  /** Entries this disk could not hold under their names (file-names.ts, write-tree.ts), with why. */
  skipped?: Array<{ path: string; why: string }>;
}

/** Disk a transfer being received has been promised and has not written yet. */
export interface Reservation {
  /** The sender's fingerprint. */
  from: string;
  /** All the transfer takes here when whole: its bytes, ENTRY_DISK_BYTES an entry, its offer.json. */
  total: number;
  /** Of `total`, what is not on the disk yet (read at the moment it is asked). */
  outstanding: () => number;
}

/** A transfer's folder in staging: who sends it, how much it holds, when it last changed. */
export interface StagedTransfer {
  /** The transfer's ID (32 hex characters). */
  id: string;
  /** The first 16 hex characters of the sender's fingerprint. */
  fromPrefix: string;
  bytes: number;
  /** When anything in it last changed (ms since the epoch). */
  changedAt: number;
}

/** A staging folder's name: `<from 16 hex>-<transfer ID>`. */
const STAGED_NAME = /^([0-9a-f]{16})-([0-9a-f]{32})$/;

export class FileStore {
  readonly root: string;
  readonly staging: string;
  readonly inbox: string;
  readonly done: string;
  readonly cancelled: string;
  readonly outgoing: string;
  readonly reserve: number;
  readonly quota: number;
  private folds: boolean | undefined;
  private boot: Promise<string> | undefined;
  /**
   * Transfers being received, by staging folder: what they were promised counts against the free disk
   * and their peer's quota until they end, so that offers that arrive together cannot each be told
   * the same free space.
   */
  private readonly reservations = new Map<string, Reservation>();
  /** Admissions one at a time (each reads the disk, then reserves). */
  private admitting: Promise<unknown> = Promise.resolve();

  constructor(
    home: string,
    private readonly opts: FileStoreOptions = {},
  ) {
    this.root = join(home, 'files');
    this.staging = join(this.root, 'staging');
    this.inbox = join(this.root, 'inbox');
    this.done = join(this.root, 'done');
    this.cancelled = join(this.root, 'cancelled');
    this.outgoing = join(this.root, 'outgoing');
    this.reserve = opts.diskReserveBytes ?? DEFAULT_DISK_RESERVE_BYTES;
    this.quota = opts.peerQuotaBytes ?? DEFAULT_PEER_QUOTA_BYTES;
  }

  /** Makes the folders (0700) and clears what a crash left half-moved; forgets old done IDs. */
  async open(now = Date.now()): Promise<void> {
    for (const d of [this.root, this.staging, this.inbox, this.done, this.cancelled, this.outgoing]) {
      await mkdir(d, { recursive: true, mode: 0o700 });
    }
    for (const name of await readdir(this.inbox)) {
      if (name.endsWith('.part')) await rm(join(this.inbox, name), { recursive: true, force: true });
    }
    for (const name of await readdir(this.staging)) {
      const dir = join(this.staging, name);
      if ((await newestChange(dir)) < now - STAGING_KEEP_MS) await rm(dir, { recursive: true, force: true });
    }
    for (const name of await readdir(this.done)) {
      const s = await stat(join(this.done, name)).catch(() => undefined);
      if (s && now - s.mtimeMs > DONE_MEMORY_MS) await rm(join(this.done, name), { force: true });
    }
  }

  /** Every transfer folder in staging (a partial transfer, arriving or stopped), oldest change first. */
  async staged(): Promise<StagedTransfer[]> {
    const out: StagedTransfer[] = [];
    for (const name of await readdir(this.staging).catch(() => [] as string[])) {
      const m = STAGED_NAME.exec(name);
      if (!m) continue;
      const dir = join(this.staging, name);
      out.push({
        id: m[2]!,
        fromPrefix: m[1]!,
        bytes: await folderBytes(join(dir, 'd')),
        changedAt: await newestChange(dir),
      });
    }
    return out.sort((a, b) => a.changedAt - b.changedAt);
  }

  /** Removes what staging holds of transfer `id` (from whichever sender); the bytes it held. */
  async discardStaged(id: string): Promise<number> {
    let freed = 0;
    for (const s of await this.staged()) {
      if (s.id !== id) continue;
      await rm(join(this.staging, `${s.fromPrefix}-${s.id}`), { recursive: true, force: true });
      freed += s.bytes;
    }
    return freed;
  }

  /** Whether the inbox's disk treats `A` and `a` as one name (probed once). */
  async caseInsensitive(): Promise<boolean> {
    if (this.opts.caseInsensitive !== undefined) return this.opts.caseInsensitive;
    if (this.folds === undefined) {
      const probe = join(this.staging, `CaseProbe-${randomBytes(4).toString('hex')}`);
      await writeFile(probe, '');
      this.folds = existsSync(probe.replace('CaseProbe', 'caseprobe'));
      await rm(probe, { force: true });
    }
    return this.folds;
  }

  /** This boot's identity (bootIdentity), read once. */
  bootId(): Promise<string> {
    if (this.opts.bootId !== undefined) return Promise.resolve(this.opts.bootId);
    return (this.boot ??= bootIdentity());
  }

  stagingDir(from: string, id: string): string {
    return join(this.staging, `${from.slice(0, 16)}-${id}`);
  }

  doneFile(from: string, id: string): string {
    return join(this.done, `${from.slice(0, 16)}-${id}`);
  }

  /** Records that the owner cancelled `from`'s transfer `id` (`from`: a fingerprint or its first 16). */
  async markCancelled(from: string, id: string): Promise<void> {
    await writeFile(join(this.cancelled, `${from.slice(0, 16)}-${id}`), '', { mode: 0o600 });
  }

  /** Whether the owner cancelled `from`'s transfer `id`. */
  wasCancelled(from: string, id: string): boolean {
    return existsSync(join(this.cancelled, `${from.slice(0, 16)}-${id}`));
  }

  /** The staging folder of transfer `id` from whichever peer, if any (a transfer known from disk only). */
  async stagingOf(id: string): Promise<{ dir: string; from: string } | undefined> {
    const name = (await readdir(this.staging)).find((n) => n.endsWith(`-${id}`));
    return name ? { dir: join(this.staging, name), from: name.slice(0, 16) } : undefined;
  }

  /** The inbox ID a completed transfer went to, if remembered. */
  async completed(from: string, id: string): Promise<{ received: string; treeHash: string } | undefined> {
    try {
      const text = await readFile(this.doneFile(from, id), 'utf8');
      const [received, treeHash] = text.trim().split(' ');
      return received && treeHash ? { received, treeHash } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Runs `check` alone among admissions: what it reads (free disk, usage) and the reservation it makes
   * are one step, not interleaved with another offer's.
   */
  admit<T>(check: () => Promise<T>): Promise<T> {
    const run = this.admitting.then(check, check);
    this.admitting = run.catch(() => undefined);
    return run;
  }

  reserveFor(dir: string, r: Reservation): void {
    this.reservations.set(dir, r);
  }

  release(dir: string): void {
    this.reservations.delete(dir);
  }

  /** Disk promised to the transfers being received (but the one in `except`) and not written yet. */
  reservedBytes(except?: string): number {
    let n = 0;
    for (const [dir, r] of this.reservations) if (dir !== except) n += Math.max(0, r.outstanding());
    return n;
  }

  /** Bytes free for transfers on the files' disk (what the OS gives this user). */
  async freeBytes(): Promise<number> {
    const s = await statfs(this.root);
    return s.bavail * s.bsize;
  }

  /**
   * Bytes `from` holds here: its staged transfers (other than `except`; one being received counts all
   * it was promised) and its inbox entries, each entry with ENTRY_DISK_BYTES, staging's offer.json too.
   */
  async usage(from: string, exceptStaging?: string): Promise<number> {
    let total = 0;
    const prefix = from.slice(0, 16);
    for (const name of await readdir(this.staging)) {
      const dir = join(this.staging, name);
      if (!name.startsWith(`${prefix}-`) || dir === exceptStaging) continue;
      const reserved = this.reservations.get(dir);
      if (reserved) {
        total += reserved.total;
        continue;
      }
      total += await folderBytes(join(dir, 'd'));
      total += await folderBytes(dir);
    }
    for (const [dir, r] of this.reservations) {
      // Promised before its staging folder was made.
      if (r.from === from && dir !== exceptStaging && !existsSync(dir)) total += r.total;
    }
    for (const meta of await this.list()) {
      if (meta.from === from) total += meta.bytes + meta.files * ENTRY_DISK_BYTES;
    }
    return total;
  }

  /** Every inbox entry, oldest first. */
  async list(): Promise<ReceivedMeta[]> {
    const out: ReceivedMeta[] = [];
    for (const name of await readdir(this.inbox).catch(() => [] as string[])) {
      if (name.endsWith('.part')) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.inbox, name, 'meta.json'), 'utf8')) as ReceivedMeta);
      } catch {
        // Being removed, or not ours.
      }
    }
    return out.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
  }

  /** The tree folder of inbox entry `id`. */
  treeOf(id: string): string {
    return join(this.inbox, id, 'tree');
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.inbox, id), { recursive: true, force: true });
  }

  /** Moves a finished staging folder's tree into the inbox under `meta.id`, all at once. */
  async publish(partTree: (tree: string) => Promise<void>, meta: ReceivedMeta): Promise<void> {
    const part = join(this.inbox, `${meta.id}.part`);
    await rm(part, { recursive: true, force: true });
    await mkdir(join(part, 'tree'), { recursive: true, mode: 0o700 });
    await partTree(join(part, 'tree'));
    await writeFile(join(part, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
    await rename(part, join(this.inbox, meta.id));
  }

  /** Remembers that `from`'s transfer `id` completed into `received`. */
  async remember(from: string, id: string, received: string, hash: string): Promise<void> {
    await writeFile(this.doneFile(from, id), `${received} ${hash}\n`, { mode: 0o600 });
  }
}

/** When anything in a staging folder last changed (ms), its data files included. */
async function newestChange(dir: string): Promise<number> {
  let newest = (await stat(dir).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
  for (const sub of [dir, join(dir, 'd')]) {
    for (const name of await readdir(sub).catch(() => [] as string[])) {
      newest = Math.max(newest, (await stat(join(sub, name)).catch(() => ({ mtimeMs: 0 }))).mtimeMs);
    }
  }
  return newest;
}

/** Total size of the files directly in `dir` (0 when absent). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    total += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** What an offer takes on disk when whole: its files' bytes, ENTRY_DISK_BYTES an entry, and its JSON. */
export function offerDiskBytes(entries: readonly OfferEntry[], offerJsonBytes: number): number {
  return offerBytes(entries) + entries.length * ENTRY_DISK_BYTES + offerJsonBytes;
}

/** Total bytes the files of an offer hold. */
export function offerBytes(entries: readonly OfferEntry[]): number {
  let n = 0;
  for (const e of entries) if (e.kind === 'file') n += e.size;
  return n;
}
