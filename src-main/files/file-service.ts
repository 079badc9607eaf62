/**
 * Files, wired into an agent (ADR 0051): the `files` service on the registry (a peer's
 * stream is admitted under its `files` grant, listed in `connections` as `files-in` and so recorded in
 * the audit log, ended when the grant goes) receiving into the file inbox (file-receiver.ts), and the
 * sending side (file-sender.ts), whose streams are listed as `files-out`. The API reads both through
 * `RunningFiles`.
 */
import type { Logger } from 'pino';
import type { ReceivedInfo, TransferInfo } from './files-contract.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import type { ConnectionAdmission, ServiceRegistry, ServiceRequest } from '../services/services.js';
import { join } from 'node:path';
import { Emitter } from '../core/emitter.js';
import { errorMessage } from '../core/errors.js';
import type { LifecyclePart } from '../core/lifecycle.js';
import { FILES_SERVICE, filesOpenArgsProblem, filesOpenVersion } from '../protocol/file-frames.js';
import { FileReceiver } from './file-receiver.js';
import { FileSender, type FilePeers } from './file-sender.js';
import { FileStore, type FileStoreOptions, type ReceivedMeta } from './file-store.js';
import { ended, TransferHistory } from './transfer-history.js';
import { inBackground } from '../core/background.js';

export interface FilesDeps {
  /** The node's home: everything lives in HOME/files/ (file-store.ts). */
  home: string;
  log: Logger;
  services: Pick<ServiceRegistry, 'register'>;
  peers: FilePeers;
  connections?: ConnectionsOpened | undefined;
  store?: FileStoreOptions;
}

export interface RunningFiles {
  readonly store: FileStore;
  readonly sender: FileSender;
  readonly receiver: FileReceiver;
  /** The transfers that ended, this run's and earlier runs' (transfers.json). */
  readonly history: TransferHistory;
  /** `file.transfer` (either direction) and `file.received`. */
  readonly events: Emitter<{ transfer: [TransferInfo]; received: [ReceivedInfo] }>;
  /** Its entry in the agent's lifecycle: the store opened and saved transfers resumed, then stopped. */
  readonly part: LifecyclePart;
}

/** An inbox entry as the API shows it. */
export function receivedInfo(meta: ReceivedMeta, name: (fp: string) => string | undefined): ReceivedInfo {
  return {
    id: meta.id,
    from: { name: name(meta.from) ?? meta.fromName, fingerprint: meta.from },
    receivedAt: meta.receivedAt,
    files: meta.files,
    bytes: meta.bytes,
    names: meta.top,
    treeHash: meta.treeHash,
    renamed: meta.renamed,
    ...(meta.skipped ? { skipped: meta.skipped } : {}),
  };
}

/** Registers the `files` service (call before the links start); `part` opens the store and resumes. */
export function createFiles(deps: FilesDeps): RunningFiles {
  const store = new FileStore(deps.home, deps.store);
  const receiver = new FileReceiver(store);
  const sender = new FileSender({ log: deps.log, peers: deps.peers, store, connections: deps.connections });
  const history = new TransferHistory(join(store.root, 'transfers.json'), (err) =>
    deps.log.warn(`files: cannot keep the list of transfers: ${errorMessage(err)}`),
  );
  const events = new Emitter<{ transfer: [TransferInfo]; received: [ReceivedInfo] }>();
  const name = (fp: string) => deps.peers.peerEntries().find((e) => e.fingerprint === fp)?.record.name;
  receiver.events.on('changed', (t) => {
    history.record(t);
    events.emit('transfer', t);
    // A transfer cancelled either side is not carried on: what staging holds of it goes, once the
    // session let go of its files.
    if (t.state === 'cancelled') {
      const session = receiver.transfers.get(t.id);
      (session?.settled ?? Promise.resolve())
        .then(() => store.discardStaged(t.id))
        .catch((err: unknown) =>
          deps.log.warn(`files: cannot remove the staging of ${t.id}: ${errorMessage(err)}`),
        );
    }
    if (t.state !== 'done' || !t.received) return;
    store.list().then(
      (all) => {
        const meta = all.find((m) => m.id === t.received);
        if (meta) events.emit('received', receivedInfo(meta, name));
      },
      (err: unknown) => deps.log.warn(`files: cannot list the inbox: ${errorMessage(err)}`),
    );
  });
  sender.events.on('changed', (t) => {
    history.record(t);
    events.emit('transfer', t);
  });
  let open = false;
  deps.services.register(FILES_SERVICE, {
    permission: 'files',
    noun: 'files',
    admits: 'connection',
    kind: 'files-in',
    handle: (req: ServiceRequest, served: ConnectionAdmission) => {
      const problem = filesOpenArgsProblem(req.args);
      if (problem) return req.reject('BAD_REQUEST', problem);
      if (!open) return req.reject('SERVICE_FAILED', 'the file inbox is not open yet; try again');
      let accepted: ReturnType<ConnectionAdmission['accept']>;
      try {
        accepted = served.accept({ from: req.peer.name, to: 'file inbox' });
      } catch {
        return; // the grant went meanwhile (refused with why) or the opener gave up
      }
      const { stream, connection } = accepted;
      let seen = 0;
      const sync = () => {
        if (stream.bytesIn > seen) connection.bytesIn(stream.bytesIn - seen);
        seen = stream.bytesIn;
      };
      stream.on('data', sync);
      const session = receiver.serve(
        stream,
        { fingerprint: req.peer.fingerprint, name: req.peer.name },
        filesOpenVersion(req.args),
      );
      inBackground(
        session.channel.closed.then((err) => {
          sync();
          // A refused or failed transfer's summary says why in its own words (a name, the quota…).
          const { state, why } = session.view;
          const failed = state === 'failed' || state === 'cancelled';
          connection.end(failed && why ? why : err ? errorMessage(err) : undefined);
        }),
        deps.log,
        `files: ending the transfer from ${req.peer.name}`,
      );
    },
  });
  return {
    store,
    sender,
    receiver,
    history,
    events,
    part: {
      name: 'files',
      start: async () => {
        await store.open();
        await history.load();
        // Staging of a transfer that was cancelled while a removal could not finish (a crash).
        for (const s of await store.staged()) {
          if (history.get(s.id)?.state === 'cancelled') await store.discardStaged(s.id);
        }
        await store.caseInsensitive();
        open = true;
        await sender.start();
      },
      stop: () => {
        sender.stop();
        history.flush();
      },
    },
  };
}

/**
 * Forgets the transfers that ended done or cancelled, from the lists and the kept history; how many
 * went. Failed ones stay: `file send` again carries them on, and an incoming one still holds staging.
 */
export function clearEnded(files: Pick<RunningFiles, 'sender' | 'receiver' | 'history'>): number {
  const gone = (t: TransferInfo) => ended(t) && t.state !== 'failed';
  const ids = new Set<string>();
  for (const [id, t] of files.sender.transfers) {
    if (!gone(t.view)) continue;
    files.sender.transfers.delete(id);
    ids.add(id);
  }
  for (const [id, s] of files.receiver.transfers) {
    if (s.live || !gone(s.view)) continue;
    files.receiver.transfers.delete(id);
    ids.add(id);
  }
  files.history.forget((t) => {
    if (!gone(t)) return false;
    ids.add(t.id);
    return true;
  });
  return ids.size;
}
