/**
 * The live connections this node carries (architecture.md §State and its owners): every forward or
 * proxy connection, tcp-connect served as an exit, terminal session (served here or opened on a peer)
 * and, later, UDP flow, reverse forward, relay circuit and chain hop registers here while it is open,
 * and leaves when it ends. `connections` lists them; `connections close ID` cuts one through the
 * `close` its owner gave. Only live entries are kept, so the table needs no expiry; it is bounded all
 * the same (MAX_LISTED_CONNECTIONS), and one past the bound still works, it is just not listed.
 */
import type { ConnectionInfo, ConnectionKind, ConnectionPeer } from '../api/contract.js';
import { Emitter } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import { hereHint } from '../core/hint.js';
import type { PathKind } from '../transport/link.js';
import { isoTime } from '../core/iso-time.js';

/** Most connections listed at once: far above what one node carries, but a bound on the memory. */
export const MAX_LISTED_CONNECTIONS = 10_000;

/** What an owner tells the table when a connection starts. */
export interface ConnectionOpening {
  kind: ConnectionKind;
  /** The peer at the other end (the exit, the opener, the terminal's node), when there is one. */
  peer?: ConnectionPeer | undefined;
  /** Where the connection comes from (`127.0.0.1:51234`, a peer's name, `this node`). */
  from: string;
  /** Where it goes (`web.internal:80`, `shell on office`). */
  to: string;
  /** Cuts this connection only (both sockets, the session, the circuit); `reason` is for whoever is told. */
  close(reason: string): void;
  /**
   * A connection a peer opened here: the link its stream arrived on (for the audit log, which would
   * otherwise name the peer's path now — a routed stream arrives on the route, not on direct).
   */
  via?: ConnectionVia | undefined;
  /**
   * It carries on a connection listed before, by an agent before this one (a terminal session taken up
   * after a restart): the audit log says `resume`, not `start`.
   */
  resumed?: boolean;
}

/** The link a stream of a connection came on: its path and the far end's address on it. */
export interface ConnectionVia {
  path: PathKind;
  address: string;
}

/** What the owner keeps: counters to feed while bytes move, and `end` when the connection is gone. */
export interface ConnectionHandle {
  readonly id: string;
  /** Bytes that went from `to` back towards `from`. */
  bytesIn(n: number): void;
  /** Bytes that went from `from` towards `to`. */
  bytesOut(n: number): void;
  /**
   * The connection is over: it leaves the list. Idempotent. `reason`: why it was ended here (a grant
   * taken away), for the audit log's summary; absent when it simply ended.
   */
  end(reason?: string): void;
  /** It carries on over another stream, which came on `via` (a terminal resumed after a path change). */
  resumed(via?: ConnectionVia): void;
}

/** What a front end that opens connections needs of the table (a narrow port, for tests too). */
export interface ConnectionOpener {
  open(c: ConnectionOpening): ConnectionHandle;
}

interface Entry {
  id: string;
  opening: ConnectionOpening;
  openedAt: number;
  bytesIn: number;
  bytesOut: number;
}

/** A handle for a connection that is not listed (the table is full): counts nothing, ends nothing. */
const UNLISTED: ConnectionHandle = {
  id: '',
  bytesIn: () => {},
  bytesOut: () => {},
  end: () => {},
  resumed: () => {},
};

export class ConnectionTable implements ConnectionOpener {
  private readonly live = new Map<string, Entry>();
  private next = 1;
  /** Bytes moved since `takeMoved` was last asked (the event is re-sent while they do). */
  private moved = false;
  /**
   * `changed`: a connection opened, ended or moved bytes after a quiet spell (at most once per read).
   * `opened` / `ended`: one connection, as listed then (`opened` with the link it came on and
   * whether it was resumed, `ended` with its final counters and, when it was cut here, why);
   * `resumed`: it carries on over another stream: the audit log's lines for each
   * (app/audit-hooks.ts).
   */
  readonly events = new Emitter<{
    changed: [];
    opened: [ConnectionInfo, Pick<ConnectionOpening, 'via' | 'resumed'>];
    ended: [ConnectionInfo, string | undefined];
    resumed: [ConnectionInfo, ConnectionVia | undefined];
  }>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.live.size;
  }

  open(opening: ConnectionOpening): ConnectionHandle {
    if (this.live.size >= MAX_LISTED_CONNECTIONS) return UNLISTED;
    // A counter, never reused in this run: an id a user copied cannot come to name another connection.
    const id = `c${(this.next++).toString(36)}`;
    const entry: Entry = { id, opening, openedAt: this.now(), bytesIn: 0, bytesOut: 0 };
    this.live.set(id, entry);
    this.events.emit('changed');
    if (this.events.listenerCount('opened') > 0) {
      this.events.emit('opened', info(entry, entry.openedAt), { via: opening.via, resumed: opening.resumed });
    }
    const count = (n: number, key: 'bytesIn' | 'bytesOut') => {
      entry[key] += n;
      if (this.moved) return;
      this.moved = true;
      this.events.emit('changed');
    };
    return {
      id,
      bytesIn: (n) => count(n, 'bytesIn'),
      bytesOut: (n) => count(n, 'bytesOut'),
      end: (reason) => {
        if (this.live.get(id) !== entry) return;
        this.live.delete(id);
        this.events.emit('changed');
        this.ended(entry, reason);
      },
      resumed: (via) => {
        if (this.live.get(id) !== entry || this.events.listenerCount('resumed') === 0) return;
        this.events.emit('resumed', info(entry, this.now()), via);
      },
    };
  }

  /** Every live connection, oldest first. */
  list(): ConnectionInfo[] {
    const now = this.now();
    return [...this.live.values()].map((e) => info(e, now));
  }

  /**
   * Cuts connection `id` through its owner's `close` and takes it off the list.
   * @throws ClawError('BAD_ARGUMENT') for an id that is not (or no longer) listed
   */
  close(id: string, reason = 'closed by the owner of this node'): ConnectionInfo {
    const entry = this.live.get(id);
    if (!entry) {
      throw new ClawError('BAD_ARGUMENT', `no open connection ${id} here: it ended, or the id is mistyped`, {
        hint: hereHint(['connections']),
      });
    }
    this.live.delete(id);
    this.events.emit('changed');
    entry.opening.close(reason);
    this.ended(entry, reason);
    return info(entry, this.now());
  }

  private ended(entry: Entry, reason: string | undefined): void {
    if (this.events.listenerCount('ended') > 0) this.events.emit('ended', info(entry, this.now()), reason);
  }

  /** Whether bytes moved since the last call (so a coalesced event keeps coming while they do). */
  takeMoved(): boolean {
    const moved = this.moved;
    this.moved = false;
    return moved;
  }
}

/** The peer as listed: a copy, with the groups that let it in when it is a member's device. */
function peerOf(p: ConnectionPeer): ConnectionPeer {
  return { name: p.name, fingerprint: p.fingerprint, ...(p.group !== undefined ? { group: p.group } : {}) };
}

function info(e: Entry, now: number): ConnectionInfo {
  return {
    id: e.id,
    kind: e.opening.kind,
    peer: e.opening.peer ? peerOf(e.opening.peer) : null,
    from: e.opening.from,
    to: e.opening.to,
    bytesIn: e.bytesIn,
    bytesOut: e.bytesOut,
    openedAt: isoTime(e.openedAt),
    ageMs: Math.max(0, now - e.openedAt),
  };
}
