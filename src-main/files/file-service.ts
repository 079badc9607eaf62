/**
 * Files, wired into an agent (issue 55, ADR 0051): the `files` service on the registry (a peer's
 * stream is admitted under its `files` grant, listed in `connections` as `files-in` and so recorded in
 * the audit log, ended when the grant goes) receiving into the file inbox (file-receiver.ts), and the
 * sending side (file-sender.ts), whose streams are listed as `files-out`. The API reads both through
 * `RunningFiles`.
 */
import type { Logger } from 'pino';
import type { ReceivedInfo, TransferInfo } from '../api/contract-files.js';
import type { ConnectionsOpened } from '../agent/services/opened-connections.js';
import type { Served, ServiceRegistry, ServiceRequest } from '../agent/services/services.js';
import { Emitter } from '../core/emitter.js';
import { errorMessage } from '../core/errors.js';
import type { LifecyclePart } from '../core/lifecycle.js';
import { FILES_SERVICE, filesOpenArgsProblem, filesOpenVersion } from '../protocol/file-frames.js';
import { FileReceiver } from './file-receiver.js';
import { FileSender, type FilePeers } from './file-sender.js';
import { FileStore, type FileStoreOptions, type ReceivedMeta } from './file-store.js';

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
  const events = new Emitter<{ transfer: [TransferInfo]; received: [ReceivedInfo] }>();
  const name = (fp: string) => deps.peers.peerEntries().find((e) => e.fingerprint === fp)?.record.name;
  receiver.events.on('changed', (t) => {
    events.emit('transfer', t);
    if (t.state !== 'done' || !t.received) return;
    void store.list().then((all) => {
      const meta = all.find((m) => m.id === t.received);
      if (meta) events.emit('received', receivedInfo(meta, name));
    });
  });
  sender.events.on('changed', (t) => events.emit('transfer', t));
  let open = false;
  deps.services.register(FILES_SERVICE, {
    permission: 'files',
    noun: 'files',
    kind: 'files-in',
    handle: (req: ServiceRequest, served: Served) => {
      const problem = filesOpenArgsProblem(req.args);
      if (problem) return req.reject('BAD_REQUEST', problem);
      if (!open) return req.reject('SERVICE_FAILED', 'the file inbox is not open yet; try again');
      let accepted: ReturnType<Served['accept']>;
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
      void session.channel.closed.then((err) => {
        sync();
        // A refused or failed transfer's summary says why in its own words (a name, the quota…).
        const { state, why } = session.view;
        const failed = state === 'failed' || state === 'cancelled';
        connection.end(failed && why ? why : err ? errorMessage(err) : undefined);
      });
    },
  });
  return {
    store,
    sender,
    receiver,
    events,
    part: {
      name: 'files',
      start: async () => {
        await store.open();
        await store.caseInsensitive();
        open = true;
        await sender.start();
      },
      stop: () => sender.stop(),
    },
  };
}
