/**
 * The opening side's counterpart of the service registry (docs/adr/0047-one-service-registry.md): what
 * this node opens on its peers — forward and proxy connections, UDP flows, terminals — is listed
 * through here, so `connections` and the audit log's summaries of it come from one place, and one
 * subscription to the node state ends all of it when its peer is removed here, at once (not after a
 * resumable stream's resume window), with a reason that says so.
 */
import type { ConnectionHandle, ConnectionOpening } from '../connections/connection-table.js';
import type { NodeStateReader } from '../state/node-state.js';

/** What an opener says about a connection it opened on a peer. */
export interface OpenedConnection extends ConnectionOpening {
  /** How the reason ends (`b was removed as a peer here; the session is hung up`); default: the connection is closed. */
  ending?: string;
  /**
   * Ends it because its peer was removed here, when that is not the same as `close` (a terminal kept
   * in the list as failed, with why); default: `close`.
   */
  peerGone?: (reason: string) => void;
}

/** What an owner that opens connections on peers needs (a narrow port, for tests too). */
export interface ConnectionsOpened {
  open(c: OpenedConnection): ConnectionHandle;
}

export interface OpenedConnectionsDeps {
  /** Followed for peers removed here. */
  state?: Pick<NodeStateReader, 'subscribe'>;
  /** Where each connection is listed while it lasts. */
  connections?: { open(c: ConnectionOpening): ConnectionHandle };
}

const NOT_LISTED: ConnectionHandle = {
  id: '',
  bytesIn: () => undefined,
  bytesOut: () => undefined,
  end: () => undefined,
  resumed: () => undefined,
};

export class OpenedConnections implements ConnectionsOpened {
  /** The live ones, by their peer's fingerprint. */
  private readonly byPeer = new Map<string, Set<() => void>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: OpenedConnectionsDeps = {}) {
    this.unsubscribe =
      deps.state?.subscribe((change) => {
        if (change.kind !== 'peer' || change.after || !change.before) return;
        const gone = this.byPeer.get(change.id);
        if (!gone) return;
        this.byPeer.delete(change.id);
        for (const end of [...gone]) end();
      }) ?? (() => undefined);
  }

  /** Live connections this node opened (for tests and leak checks). */
  get size(): number {
    let n = 0;
    for (const set of this.byPeer.values()) n += set.size;
    return n;
  }

  open(c: OpenedConnection): ConnectionHandle {
    const { ending, peerGone, ...opening } = c;
    const fp = opening.peer?.fingerprint;
    let live = true;
    const leave = () => {
      live = false;
      const set = fp === undefined ? undefined : this.byPeer.get(fp);
      if (!set?.delete(removed) || set.size > 0) return;
      this.byPeer.delete(fp!);
    };
    const handle =
      this.deps.connections?.open({
        ...opening,
        close: (reason) => {
          leave();
          opening.close(reason);
        },
      }) ?? NOT_LISTED;
    const removed = () => {
      if (!live) return;
      leave();
      const reason = `${opening.peer?.name ?? 'its peer'} was removed as a peer here; ${ending ?? 'the connection is closed'}`;
      // Off the list first, with why: what the owner then does ends a listing already ended.
      handle.end(reason);
      (peerGone ?? opening.close)(reason);
    };
    if (fp) {
      let set = this.byPeer.get(fp);
      if (!set) this.byPeer.set(fp, (set = new Set()));
      set.add(removed);
    }
    return {
      id: handle.id,
      bytesIn: (n) => handle.bytesIn(n),
      bytesOut: (n) => handle.bytesOut(n),
      resumed: (via) => handle.resumed(via),
      end: (reason) => {
        leave();
        handle.end(reason);
      },
    };
  }

  /** Stops following the node state (the agent is stopping). */
  stop(): void {
    this.unsubscribe();
  }
}
