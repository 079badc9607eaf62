/**
 * The files domain's API (files/files-contract.ts): `files.send`, `.transfers`, `.cancel`,
 * `.clear`, `.usage`, `.list`, `.get`, `.delete` over the running files service (src-main/files/), and
 * the `file.transfer` and `file.received` events. Peers are named as every other method names them.
 */
import type { FileEvents, FileMethodResults, TransferInfo } from './files-contract.js';
import type { MethodParams } from '../api/contract.js';
import type { Disposer } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import { moveOut } from './move-out.js';
import { filesUsage } from './files-usage.js';
import { clearEnded, receivedInfo, type RunningFiles } from './file-service.js';
import { isoTime } from '../core/iso-time.js';
import { resolvePeer } from '../links/resolve-peer.js';
import type { PeerDirectory } from '../links/ports.js';

export interface FilesApiDeps {
  files: Pick<RunningFiles, 'store' | 'sender' | 'receiver' | 'events' | 'history'>;
  peers: Pick<PeerDirectory, 'peerEntries' | 'self'>;
}

/** The methods of offers made with a code: code-offers-api.ts answers them. */
export type CodeOfferMethod = 'files.sendCode' | 'files.codeOffers' | 'files.cancelCode';
/** The methods of receives with a code: code-receives-api.ts answers them. */
export type CodeReceiveMethod = 'files.receiveCode' | 'files.codeReceives' | 'files.cancelReceive';

type Handlers = {
  [M in Exclude<keyof FileMethodResults, CodeOfferMethod | CodeReceiveMethod>]: (
    params: MethodParams<M>,
  ) => Promise<FileMethodResults[M]> | FileMethodResults[M];
};

const copy = (t: TransferInfo): TransferInfo => ({ ...t, peer: { ...t.peer }, names: [...t.names] });

/** What an owner who gives up a stopped incoming transfer is told it became. */
const GIVEN_UP = 'cancelled by the owner; what had arrived was removed';

/** The eight methods, for the files domain (files-domain.ts). */
export function fileHandlers(deps: FilesApiDeps): Handlers {
  const { files } = deps;
  const name = (fp: string) => deps.peers.peerEntries().find((e) => e.fingerprint === fp)?.record.name;
  /** This run's transfers, then those an earlier run kept that this one does not list, oldest first. */
  const all = (): TransferInfo[] => {
    const live = [
      ...[...files.sender.transfers.values()].map((t) => t.view),
      ...[...files.receiver.transfers.values()].map((s) => s.view),
    ];
    const ids = new Set(live.map((t) => t.id));
    const kept = files.history.list().filter((t) => !ids.has(t.id));
    return [...kept, ...live].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  };
  /** Gives up an incoming transfer that stopped (or that only staging still holds): its bytes go. */
  const giveUp = async (id: string): Promise<TransferInfo | undefined> => {
    const known = all().find((t) => t.id === id && t.direction === 'in');
    const staged = (await files.store.staged()).find((s) => s.id === id);
    if (known ? known.state !== 'failed' : !staged) return undefined;
    const freed = staged?.bytes ?? 0;
    // Recorded as cancelled (files/cancelled/), so a sender that offers it again is told to stop.
    await files.receiver.cancel(id, GIVEN_UP);
    await files.store.discardStaged(id);
    const fingerprint =
      known?.peer.fingerprint ??
      deps.peers.peerEntries().find((e) => e.fingerprint.startsWith(staged!.fromPrefix))?.fingerprint ??
      staged!.fromPrefix;
    const view: TransferInfo = known
      ? { ...copy(known), state: 'cancelled', why: GIVEN_UP, rate: 0 }
      : {
          id,
          direction: 'in',
          peer: { name: name(fingerprint) ?? fingerprint, fingerprint },
          state: 'cancelled',
          files: 0,
          bytes: freed,
          filesDone: 0,
          bytesDone: freed,
          rate: 0,
          why: GIVEN_UP,
          names: [],
          startedAt: isoTime(staged!.changedAt),
        };
    files.receiver.transfers.delete(id);
    files.history.record(view);
    files.events.emit('transfer', view);
    return copy(view);
  };
  return {
    'files.send': async (p) => {
      const entry = resolvePeer(deps.peers, p.peer);
      const view = await files.sender.send(entry, p.paths);
      const t = files.sender.transfers.get(view.id);
      return { ...copy(view), skipped: t?.skipped ?? [] };
    },
    'files.transfers': () => all().map(copy),
    'files.cancel': async (p) => {
      const reason = 'cancelled by the owner';
      if (files.sender.cancel(p.id, reason)) return copy(all().find((t) => t.id === p.id)!);
      if (files.receiver.transfers.get(p.id)?.live && (await files.receiver.cancel(p.id, reason))) {
        return copy(all().find((t) => t.id === p.id)!);
      }
      // Stopped (failed, or only in staging from an earlier run): given up, its bytes removed.
      const givenUp = await giveUp(p.id);
      if (givenUp) return givenUp;
      const known = all().find((t) => t.id === p.id);
      if (!known)
        throw new ClawError('BAD_ARGUMENT', `no transfer ${p.id} (clawbridge file transfers shows them)`);
      return copy(known);
    },
    'files.clear': () => ({ cleared: clearEnded(files) }),
    'files.usage': () =>
      filesUsage(
        files.store,
        all(),
        deps.peers.peerEntries().map((e) => ({ fingerprint: e.fingerprint, name: e.record.name })),
      ),
    'files.list': async () => (await files.store.list()).map((m) => receivedInfo(m, name)),
    'files.get': async (p) => {
      let list = await files.store.list();
      if (p.ids) {
        const wanted = new Set(p.ids);
        const unknown = p.ids.filter((id) => !list.some((m) => m.id === id));
        if (unknown.length > 0)
          throw new ClawError('BAD_ARGUMENT', `nothing received under ${unknown.join(', ')}`);
        list = list.filter((m) => wanted.has(m.id));
      }
      return moveOut(files.store, list, p.dir, p.conflict ?? 'rename');
    },
    'files.delete': async (p) => {
      const list = await files.store.list();
      let deleted = 0;
      for (const id of p.ids) {
        if (!list.some((m) => m.id === id)) continue;
        await files.store.remove(id);
        deleted++;
      }
      return { deleted };
    },
  };
}

/** The `file.transfer` and `file.received` events' sources, for the API's event hub. */
export function fileEventSources(deps: Pick<FilesApiDeps, 'files'>): {
  onFileTransfer(listener: (t: FileEvents['file.transfer']) => void): Disposer;
  onFileReceived(listener: (r: FileEvents['file.received']) => void): Disposer;
} {
  return {
    onFileTransfer: (listener) => deps.files.events.on('transfer', (t) => listener(copy(t))),
    onFileReceived: (listener) => deps.files.events.on('received', listener),
  };
}
