/**
 * An in-memory disk for record logs (src-main/messages/log-files.ts) that can crash: what was written
 * but not synced survives only in part (a prefix of each file's unsynced bytes, as the test chooses),
 * and every handle opened before the crash goes dead (its calls never settle, as in a killed process).
 * Each call settles on a later turn of the event loop, so appends made meanwhile form batches as they
 * do on a real disk.
 */
import type { LogFile, LogFolder } from '../../src-main/messages/log-files.js';

interface MemFile {
  data: Buffer;
  /** Bytes of `data` known durable. */
  synced: number;
}

const later = () => new Promise<void>((resolve) => setImmediate(resolve));
const never = () => new Promise<never>(() => undefined);

export class MemoryDisk {
  private files = new Map<string, MemFile>();
  private generation = 0;
  /** fdatasync calls made (across generations). */
  syncs = 0;
  /** Reads made (across generations). */
  reads = 0;
  /** Turns of the event loop a sync takes (a disk slower than the link makes batches grow). */
  syncTurns = 1;
  /** When set, the next write or sync fails with it (once). */
  failNext: Error | undefined;
  /** Files whose syncs wait (until `releaseSyncs`): a flush caught between its write and its sync. */
  private readonly held = new Map<string, (() => void)[]>();

  /** Syncs of `name` wait from now until `releaseSyncs(name)`. */
  holdSyncs(name: string): void {
    if (!this.held.has(name)) this.held.set(name, []);
  }

  releaseSyncs(name: string): void {
    for (const go of this.held.get(name) ?? []) go();
    this.held.delete(name);
  }

  /** The disk as one process sees it; dead after `crash`. */
  folder(): LogFolder {
    const gen = this.generation;
    const alive = () => gen === this.generation;
    const call = async <T>(fn: () => T): Promise<T> => {
      await later();
      if (!alive()) return never();
      return fn();
    };
    const handle = (name: string): LogFile => {
      const file = this.files.get(name)!;
      /** The name this file has now (a temp file is renamed by install). */
      const nameNow = () => [...this.files].find(([, f]) => f === file)?.[0] ?? name;
      return {
        size: file.data.length,
        read: (position, length) =>
          call(() => {
            this.reads++;
            return Buffer.from(file.data.subarray(position, Math.min(position + length, file.data.length)));
          }),
        write: (chunks, position) =>
          call(() => {
            this.maybeFail();
            const bytes = Buffer.concat(chunks);
            const end = position + bytes.length;
            if (end > file.data.length) {
              const grown = Buffer.alloc(end);
              file.data.copy(grown);
              file.data = grown;
            }
            bytes.copy(file.data, position);
          }),
        sync: async () => {
          const waiting = this.held.get(nameNow());
          if (waiting) await new Promise<void>((go) => waiting.push(go));
          for (let i = 1; i < this.syncTurns; i++) await later();
          return call(() => {
            this.maybeFail();
            this.syncs++;
            file.synced = file.data.length;
          });
        },
        truncate: (length) =>
          call(() => {
            file.data = Buffer.from(file.data.subarray(0, length));
            file.synced = Math.min(file.synced, length);
          }),
        close: () => call(() => undefined),
      };
    };
    return {
      open: (name) => call(() => (this.files.has(name) ? handle(name) : undefined)),
      createTemp: (name) =>
        call(() => {
          this.files.set(`${name}.tmp`, { data: Buffer.alloc(0), synced: 0 });
          return handle(`${name}.tmp`);
        }),
      install: (name) =>
        call(() => {
          const tmp = this.files.get(`${name}.tmp`);
          if (!tmp) throw Object.assign(new Error(`no ${name}.tmp`), { code: 'ENOENT' });
          this.files.set(name, tmp);
          this.files.delete(`${name}.tmp`);
        }),
      removeTemp: (name) =>
        call(() => {
          this.files.delete(`${name}.tmp`);
        }),
    };
  }

  /**
   * The machine stops: each file keeps its synced bytes and `keep(unsynced)` of the rest (a prefix;
   * default all of it, as after kill -9, where the kernel still writes what it was given). Handles
   * from before go dead.
   */
  crash(keep: (unsynced: number, name: string) => number = (n) => n): void {
    this.generation++;
    for (const [name, file] of this.files) {
      const unsynced = file.data.length - file.synced;
      const kept = file.synced + Math.max(0, Math.min(unsynced, keep(unsynced, name)));
      file.data = Buffer.from(file.data.subarray(0, kept));
      file.synced = kept;
    }
  }

  /** A file's bytes (a copy), for tests that cut or inspect them. */
  bytes(name: string): Buffer | undefined {
    const f = this.files.get(name);
    return f && Buffer.from(f.data);
  }

  /** Replaces a file's bytes (all durable). */
  setBytes(name: string, data: Buffer): void {
    this.files.set(name, { data: Buffer.from(data), synced: data.length });
  }

  private maybeFail(): void {
    const err = this.failNext;
    if (err) {
      this.failNext = undefined;
      throw err;
    }
  }
}
