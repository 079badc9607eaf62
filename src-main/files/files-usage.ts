/**
 * What `file usage` shows: the inbox, each partial transfer kept in staging, and the free disk. All of
 * it is on disk, so it is read the same way by the running agent (`files.usage`, files-api.ts) and by
 * the CLI when no agent runs (usageOnDisk): the disk the files take does not depend on one running.
 */
import { statfs } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FilesUsage, StagedInfo, TransferInfo } from './files-contract.js';
import { isoTime } from '../core/iso-time.js';
import { FileStore } from './file-store.js';
import { TransferHistory } from './transfer-history.js';

/** What usage reads of the store. */
export type UsageStore = Pick<FileStore, 'staged' | 'list' | 'freeBytes'>;

/**
 * The usage of `store`; each staged transfer named by its entry in `listed` (the transfers known),
 * else by the peer among `peers` whose fingerprint starts with its folder's prefix.
 */
export async function filesUsage(
  store: UsageStore,
  listed: readonly TransferInfo[],
  peers: readonly { fingerprint: string; name: string }[],
): Promise<FilesUsage> {
  const transfers = (await store.staged()).map((s): StagedInfo => {
    const t = listed.find((x) => x.id === s.id && x.direction === 'in');
    const fingerprint =
      t?.peer.fingerprint ??
      peers.find((p) => p.fingerprint.startsWith(s.fromPrefix))?.fingerprint ??
      s.fromPrefix;
    return {
      id: s.id,
      from: {
        name: t?.peer.name ?? peers.find((p) => p.fingerprint === fingerprint)?.name ?? null,
        fingerprint,
      },
      bytes: s.bytes,
      changedAt: isoTime(s.changedAt),
      state: t?.state ?? null,
    };
  });
  const inbox = await store.list();
  return {
    inbox: { entries: inbox.length, bytes: inbox.reduce((n, m) => n + m.bytes, 0) },
    staging: { bytes: transfers.reduce((n, s) => n + s.bytes, 0), transfers },
    freeBytes: await store.freeBytes(),
  };
}

/**
 * The usage of `home`'s files read from the disk alone (no agent runs): transfers named by the list
 * the last agent kept (`transfers.json`), and the inbox's senders by their names then. Changes nothing.
 */
export async function usageOnDisk(home: string): Promise<FilesUsage> {
  const store = new FileStore(home);
  const history = new TransferHistory(join(store.root, 'transfers.json'));
  await history.load();
  const listed = history.list();
  const peers = [...new Map(listed.map((t) => [t.peer.fingerprint, t.peer.name])).entries()].map(
    ([fingerprint, name]) => ({ fingerprint, name }),
  );
  // A home that never received files has no files folder yet: its disk is the home's.
  const disk: UsageStore = existsSync(store.root)
    ? store
    : {
        staged: () => Promise.resolve([]),
        list: () => Promise.resolve([]),
        freeBytes: () => freeBytesAt(home),
      };
  return filesUsage(disk, listed, peers);
}

async function freeBytesAt(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}
