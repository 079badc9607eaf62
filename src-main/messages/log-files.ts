/**
 * The files a record log (record-log.ts) lives in, behind a narrow interface: the real folder on disk
 * here, an in-memory one that can be "crashed" in tests (test/helpers/memory-log-folder.ts). Every
 * call is asynchronous, so an fsync runs on libuv's thread pool and the agent's event loop keeps
 * serving links while a batch becomes durable.
 */
import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { diskProblem } from '../core/file-errors.js';

/** One open log file. Positions are absolute; the log is its only writer. */
export interface LogFile {
  /** Its length in bytes when opened (the log tracks it from there). */
  readonly size: number;
  /**
   * Each `write` is durable once it resolves (the file was opened for synchronized writes, O_DSYNC):
   * the log then needs no `sync` after it, and a batch costs one trip to the thread pool, not two.
   */
  readonly writesDurable?: boolean;
  /** `length` bytes from `position` (fewer only past the end). */
  read(position: number, length: number): Promise<Buffer>;
  /** Writes `chunks` back to back from `position`, all of them or an error. */
  write(chunks: readonly Uint8Array[], position: number): Promise<void>;
  /** Makes everything written so far durable. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** A folder of log files. */
export interface LogFolder {
  /** Opens `name` for reading and writing; undefined when there is no such file. */
  open(name: string): Promise<LogFile | undefined>;
  /** Creates `name.tmp` empty (replacing any left over), for a log's next content. */
  createTemp(name: string): Promise<LogFile>;
  /** Renames `name.tmp` over `name` durably (the folder is synced): afterwards `open(name)` finds it. */
  install(name: string): Promise<void>;
  /** Removes `name.tmp` if a crash left one. */
  removeTemp(name: string): Promise<void>;
}

/** Mode of the log files: only this user reads messages. */
export const LOG_FILE_MODE = 0o600;

/**
 * O_DSYNC where the platform has it (Linux, macOS; not Windows): a write returns once its data and the
 * file's new length are on disk, as a write followed by fdatasync would, in one system call. A lone
 * message's write then costs one trip through libuv's thread pool instead of two (ADR 0066).
 */
const DSYNC: number = (constants as { O_DSYNC?: number }).O_DSYNC ?? 0;

class DiskLogFile implements LogFile {
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    readonly writesDurable: boolean,
    private readonly path: string,
  ) {}

  async read(position: number, length: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(out, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? out : out.subarray(0, got);
  }

  async write(chunks: readonly Uint8Array[], position: number): Promise<void> {
    let list = chunks;
    let at = position;
    // writev may write less than asked (a signal, a nearly full disk): go on from where it stopped.
    while (list.length > 0) {
      const { bytesWritten } = await this.handle.writev(list as Uint8Array[], at).catch((err: unknown) => {
        throw diskProblem(this.path, err);
      });
      at += bytesWritten;
      let skip = bytesWritten;
      const rest: Uint8Array[] = [];
      for (const c of list) {
        if (skip >= c.length) skip -= c.length;
        else {
          rest.push(skip > 0 ? c.subarray(skip) : c);
          skip = 0;
        }
      }
      if (bytesWritten === 0 && rest.length > 0) throw new Error('write made no progress');
      list = rest;
    }
  }

  sync(): Promise<void> {
    // fdatasync: the data and the file's length, not its times, which recovery does not read.
    return this.handle.datasync().catch((err: unknown) => {
      throw diskProblem(this.path, err);
    });
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function openHandle(path: string, flags: number): Promise<LogFile> {
  const handle = await open(path, flags, LOG_FILE_MODE);
  try {
    const st = await handle.stat();
    return new DiskLogFile(handle, st.size, DSYNC !== 0 && (flags & DSYNC) === DSYNC, path);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** The log files in `dir` (which must exist; message-store.ts makes it 0700). */
export function diskLogFolder(dir: string): LogFolder {
  const tempPath = (name: string) => join(dir, `${name}.tmp`);
  return {
    async open(name) {
      try {
        // The log itself: every batch's write is durable when it returns (a temp file is synced once).
        return await openHandle(join(dir, name), constants.O_RDWR | DSYNC);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async createTemp(name) {
      await rm(tempPath(name), { force: true });
      return openHandle(tempPath(name), constants.O_RDWR | constants.O_CREAT | constants.O_EXCL);
    },
    async install(name) {
      await rename(tempPath(name), join(dir, name));
      await syncDir(dir);
    },
    async removeTemp(name) {
      await rm(tempPath(name), { force: true });
    },
  };
}

/** Makes a rename in `dir` durable; Windows cannot open a folder for fsync (NTFS journals the rename). */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
