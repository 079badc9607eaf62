/**
 * The node's messages on disk: `HOME/messages/` (mode 0700) holding `outbox.log` and `inbox.log`
 * (0600), each an append-only record log with group commit (record-log.ts, ADR 0046 §Durability).
 * The only part of messages/ that touches the file system; everything above it takes the boxes.
 */
import { chmod, lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ClawError } from '../core/errors.js';
import { currentUid, privateDirProblem } from '../home/home-dir.js';
import { Inbox, INBOX_FILE, type InboxLimits } from './inbox.js';
import { diskLogFolder, LOG_FILE_MODE } from './log-files.js';
import { Outbox, OUTBOX_FILE } from './outbox.js';
import type { OutboxLimits } from './outbox-table.js';
import type { LogRecovery } from './record-log.js';

/** The messages folder in the home. */
export const MESSAGES_DIR = 'messages';

export interface MessageStoreOptions {
  now?: () => number;
  inboxLimits?: Partial<InboxLimits>;
  outboxLimits?: Partial<OutboxLimits>;
}

export interface MessageStore {
  inbox: Inbox;
  outbox: Outbox;
  /** What opening found in each log (torn ends cut, unreadable records skipped). */
  recovery: { inbox: LogRecovery & { skipped: number }; outbox: LogRecovery & { skipped: number } };
  /** Writes what is queued and closes both logs. */
  close(): Promise<void>;
}

/**
 * Opens (creating) the messages folder of `home`, which must exist.
 * @throws ClawError('CONFIG_INVALID') when the folder is not a private directory of this user or a log
 *   is not a message log; the file system's errors.
 */
export async function openMessageStore(
  home: string,
  options: MessageStoreOptions = {},
): Promise<MessageStore> {
  const dir = join(home, MESSAGES_DIR);
  await ensurePrivateFolder(dir);
  const folder = diskLogFolder(dir);
  const { outbox, recovery: outboxRecovery } = await Outbox.open(folder, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.outboxLimits ? { limits: options.outboxLimits } : {}),
  });
  try {
    const { inbox, recovery: inboxRecovery } = await Inbox.open(folder, {
      ...(options.now ? { now: options.now } : {}),
      ...(options.inboxLimits ? { limits: options.inboxLimits } : {}),
    });
    await Promise.all([OUTBOX_FILE, INBOX_FILE].map((f) => tighten(join(dir, f), LOG_FILE_MODE)));
    return {
      inbox,
      outbox,
      recovery: { inbox: inboxRecovery, outbox: outboxRecovery },
      close: async () => {
        await Promise.all([inbox.close(), outbox.close()]);
      },
    };
  } catch (err) {
    await outbox.close();
    throw err;
  }
}

async function ensurePrivateFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (process.platform === 'win32') return;
  const st = await lstat(dir);
  if (st.isDirectory() && st.uid === currentUid() && (st.mode & 0o077) !== 0) await chmod(dir, 0o700);
  const problem = privateDirProblem(await lstat(dir), currentUid());
  if (problem) {
    throw new ClawError(
      'CONFIG_INVALID',
      `refusing the messages folder ${dir}: ${problem}; remove it or fix its owner`,
    );
  }
}

/** Removes group and other access from `path` (files made by an older version, or copied in). */
async function tighten(path: string, mode: number): Promise<void> {
  if (process.platform === 'win32') return;
  const st = await lstat(path);
  if ((st.mode & 0o777 & ~mode) !== 0) await chmod(path, mode);
}
