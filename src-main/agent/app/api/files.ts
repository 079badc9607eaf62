/**
 * The API's files domain (api/contract-files.ts, issue 55): `files.send`, `.transfers`, `.cancel`,
 * `.list`, `.get`, `.delete` over the running files service (src-main/files/), and the
 * `file.transfer` and `file.received` events. Peers are named as every other method names them.
 */
import type { FileEvents, FileMethodResults, TransferInfo } from '../../../api/contract-files.js';
import type { MethodParams } from '../../../api/contract.js';
import type { Disposer } from '../../../core/emitter.js';
import { ClawError } from '../../../core/errors.js';
import { moveOut } from '../../../files/move-out.js';
import { receivedInfo, type RunningFiles } from '../../../files/file-service.js';
import { resolvePeer } from '../../links/resolve-peer.js';
import type { PeerDirectory } from '../../links/ports.js';

export interface FilesApiDeps {
  files: Pick<RunningFiles, 'store' | 'sender' | 'receiver' | 'events'>;
  peers: Pick<PeerDirectory, 'peerEntries' | 'self'>;
}

type Handlers = {
  [M in keyof FileMethodResults]: (
    params: MethodParams<M>,
  ) => Promise<FileMethodResults[M]> | FileMethodResults[M];
};

const copy = (t: TransferInfo): TransferInfo => ({ ...t, peer: { ...t.peer }, names: [...t.names] });

/** The six methods, for the API handler (agent-api.ts spreads them in). */
export function fileHandlers(deps: FilesApiDeps): Handlers {
  const { files } = deps;
  const name = (fp: string) => deps.peers.peerEntries().find((e) => e.fingerprint === fp)?.record.name;
  const all = (): TransferInfo[] => [
    ...[...files.sender.transfers.values()].map((t) => t.view),
    ...[...files.receiver.transfers.values()].map((s) => s.view),
  ];
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
      if (!files.sender.cancel(p.id, reason) && !(await files.receiver.cancel(p.id, reason))) {
        const known = all().find((t) => t.id === p.id);
        if (!known)
          throw new ClawError('BAD_ARGUMENT', `no transfer ${p.id} (clawbridge file list shows them)`);
        return copy(known);
      }
      // A transfer known from staging only (this agent restarted since it stopped arriving).
      const fromDisk: TransferInfo = {
        id: p.id,
        direction: 'in',
        peer: { name: '', fingerprint: '' },
        state: 'cancelled',
        why: reason,
        files: 0,
        bytes: 0,
        filesDone: 0,
        bytesDone: 0,
        rate: 0,
        names: [],
        startedAt: new Date().toISOString(),
      };
      return copy(all().find((t) => t.id === p.id) ?? fromDisk);
    },
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
