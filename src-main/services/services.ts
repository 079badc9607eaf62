/**
 * What this node serves (docs/adr/0047-one-service-registry.md): every stream a peer opens here goes
 * through `dispatch`, which checks the grant at that moment and hands the service's handler an
 * admission of the service's kind (ServiceDefinition's `admits`: a connection, a session, a listener,
 * a held stream), which offers only the calls such a stream may make. The handler gets its stream only
 * from the admission, and the admission lists
 * it in the connection table (so `connections` shows it and the audit log writes its summary) and
 * binds it to the grant it came in under: when the owner takes that permission away, or removes the
 * peer, the registry's one subscription to the node state ends it, with a reason naming who took what
 * away. No service keeps a watcher of its own, and a new one cannot forget any of the three.
 */
import type { ConnectionKind } from '../api/contract.js';
import type {
  ConnectionHandle,
  ConnectionOpener,
  ConnectionOpening,
  ConnectionVia,
} from '../connections/connection-table.js';
import { Emitter } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import { MAX_REASON_BYTES } from '../protocol/mux-frames.js';
import type { StreamRequest } from '../mux/types.js';
import type { MuxStream } from '../mux/stream.js';
import type { PathKind } from '../transport/link.js';
import type { NodeStateReader } from '../state/node-state.js';
import type { Permission, PeerRecord } from '../state/settings.js';
import { GuestList, guestGroups, type GuestSource } from './admission.js';

/** The peer a stream came from, as this node knows it. */
export interface StreamPeer {
  fingerprint: string;
  /** This node's name for the peer. */
  name: string;
  allow: readonly Permission[];
  /** The link the stream came on, when known: for the audit log. */
  via?: { path: PathKind; address: string };
}

/** The refusals a peer can provoke here, which the audit log records (its limits keep them in check). */
const RECORDED_REFUSALS = ['UNKNOWN_SERVICE', 'PERMISSION_DENIED', 'TOO_MANY_STREAMS'] as const;

/** A stream refused here, by the registry or by its service (the audit log records each). */
export interface RefusedStream {
  peer: StreamPeer;
  service: string;
  code: (typeof RECORDED_REFUSALS)[number];
  reason: string;
}

/**
 * An incoming stream request, past the permission check. It has no `accept`: the stream comes from the
 * request's admission (`Served`), which lists it and binds it to the grant.
 */
export interface ServiceRequest extends Omit<StreamRequest, 'accept'> {
  readonly peer: StreamPeer;
}

/** What a served connection is, as its handler says it. */
export interface ServedListing {
  /** Its kind in `connections`, when not the service's own (a reverse forward's UDP flow). */
  kind?: ConnectionKind | undefined;
  from: string;
  to: string;
  /**
   * Cuts it (its sockets, its session) with `reason`, which its peer is told; `refusal` is set when a
   * grant was taken away (the code its stream's reset carries). Absent: the registry resets the
   * connection's streams itself. Given: the handler ends them (a session says goodbye first).
   */
  close?(reason: string, refusal?: RefusalCode): void;
  /**
   * Why it may no longer stay open under the peer's record now (undefined: removed), beyond the
   * service's permission, which the registry checks itself: the peer's limits, another peer's grant.
   * Its reason is used for the permission too when it gives one (its own words for the peer).
   */
  recheck?(record: PeerRecord | undefined): string | undefined;
  /** The link it came on, when not the admission's (ConnectionOpening.via). */
  via?: ConnectionVia | undefined;
  /** It carries on a connection an agent before this one listed (ConnectionOpening.resumed). */
  resumed?: boolean;
}

/** A connection this node serves, as its handler holds it: counters to feed, `end` once it is over. */
export type ServedConnection = ConnectionHandle;

/** A listing whose kind is known: the service's own, or the one its handler gave. */
type KindedListing = ServedListing & { kind: ConnectionKind };

/** What every admission says: the peer its stream came from. */
interface AdmissionOf {
  readonly peer: StreamPeer;
}

/**
 * The admission of a stream that is one connection, listed as it is accepted (a forward's exit, a
 * message, a file, a hop passed on).
 */
export interface ConnectionAdmission extends AdmissionOf {
  /**
   * Accepts the stream as a connection of the service's kind (or `listing.kind`), listed now.
   * @throws as StreamRequest.accept; ClawError('STREAM_REJECTED') with refusal PERMISSION_DENIED when
   *   the grant went meanwhile (the request is refused with why)
   */
  accept(listing: ServedListing): { stream: MuxStream; connection: ServedConnection };
  /**
   * Accepts a stream that only carries the answer to a dial that failed: no connection, but reset all
   * the same when the grant goes while it is open.
   * @throws as `accept`
   */
  hold(): MuxStream;
}

/**
 * The admission of a stream of a session: a connection that exists before its stream (listed while
 * the program starts) and that later streams carry on (a terminal resumed over a new link). A
 * ConnectionOpener, so whatever lists the session lists it here.
 */
export interface SessionAdmission extends AdmissionOf, ConnectionOpener {
  /** Lists the session, bound to the grant; its stream comes from `accept`. */
  open(listing: ServedListing): ServedConnection;
  /**
   * Accepts the stream for `session`, which `open` listed (undefined: not listed, the table was full).
   * @throws as ConnectionAdmission.accept; the session is cut when the grant went meanwhile
   */
  accept(session: ConnectionHandle | undefined): MuxStream;
  /**
   * Accepts the stream as the continuation of `session`, listed before (by this agent or one before
   * it): the audit log says it carries on, on this stream's link.
   * @throws as `accept`
   */
  resume(session: ConnectionHandle | undefined): MuxStream;
}

/**
 * The admission of a listener's stream: no connection of its own (the listener is), but each
 * connection it accepts is one, a child bound to the same grant.
 */
export interface ListenerAdmission extends AdmissionOf {
  /**
   * Accepts the listener's stream, unlisted but reset when the grant goes (or `recheck` gives a
   * reason), or ended by `close` when given.
   * @throws as ConnectionAdmission.accept
   */
  hold(opts?: Pick<ServedListing, 'recheck' | 'close'>): MuxStream;
  /** A connection the listener accepted, listed and bound to the listener's grant. */
  child(listing: KindedListing): ServedConnection;
}

/**
 * The admission of a stream that is no connection and brings none (a resumed stream's new carrier, a
 * routed link arriving, the owner's devices comparing notes): held under the grant, never listed.
 */
export interface HeldAdmission extends AdmissionOf {
  /** @see ListenerAdmission.hold */
  hold(opts?: Pick<ServedListing, 'recheck' | 'close'>): MuxStream;
}

/** What every service says, whatever it admits. */
export interface ServiceBasics {
  /** The permission a peer needs to open this service, or null when every peer may. */
  permission: Permission | null;
  /** Plural noun for the refusal line: `B does not allow terminals from A`. */
  noun: string;
  /**
   * Its own words for a grant taken away (undefined: still allowed), given `record`, the peer's
   * record now (undefined: removed); checked for every connection whose listing has no `recheck`.
   * Absent, or when it says nothing, the registry's: `B no longer allows terminals from A`.
   */
  revoked?: (record: PeerRecord | undefined, self: string) => string | undefined;
  /**
   * True when the service records its own refusals (the reverse listener's `listener` lines); else
   * the registry records each refusal of its handler that a peer provokes (no permission for that,
   * a cap reached) as a `refused` event.
   */
  recordsRefusals?: boolean;
}

/**
 * A service, by what its streams are (`admits`): its handler gets the admission of that kind, with
 * only the calls such a stream may make, so a misuse is a compile error rather than a refusal at run
 * time. `kind`: what one of its connections is in `connections`.
 */
export type ServiceDefinition = ServiceBasics &
  (
    | {
        admits: 'connection';
        kind: ConnectionKind;
        handle: (req: ServiceRequest, admission: ConnectionAdmission) => void;
      }
    | {
        admits: 'session';
        kind: ConnectionKind;
        handle: (req: ServiceRequest, admission: SessionAdmission) => void;
      }
    | { admits: 'listener'; handle: (req: ServiceRequest, admission: ListenerAdmission) => void }
    | { admits: 'held'; handle: (req: ServiceRequest, admission: HeldAdmission) => void }
  );

/** What the registry needs of the node; each part is optional for tests that need none. */
export interface ServiceRegistryDeps {
  /** This node's name now, for the reasons peers are told. */
  name?: () => string;
  /** Read at each check; followed for grants taken away. */
  state?: Pick<NodeStateReader, 'peer' | 'subscribe'>;
  /** Where every served connection is listed while it lasts (and so recorded: app/audit-hooks.ts). */
  connections?: ConnectionOpener;
}

/** One thing held under a grant: a connection, or a stream that is none. */
interface Bound {
  peer: string;
  /** The service's name, for a guest let in for some services only. */
  service: string;
  def: ServiceBasics;
  recheck?: ((record: PeerRecord | undefined) => string | undefined) | undefined;
  /** Ends it: the grant it depends on was taken away. */
  revoke(reason: string): void;
}

/** What a served stream's error comes to when its service no longer listens: nothing (it has ended). */
function ignoreServedStreamError(): void {}

/** A handle for where no table is given: counts nothing. */
const NOT_LISTED: ConnectionHandle = {
  id: '',
  bytesIn: () => undefined,
  bytesOut: () => undefined,
  end: () => undefined,
  resumed: () => undefined,
};

export class ServiceRegistry {
  private readonly services = new Map<string, ServiceDefinition>();
  private readonly bound = new Set<Bound>();
  /** The connections this registry listed: their grant, and the streams accepted for each. */
  private readonly entries = new WeakMap<ConnectionHandle, { bound: Bound; streams: MuxStream[] }>();
  private readonly unsubscribe: () => void;
  /** `refused`: a peer's stream refused here, after the reason went back to it. */
  readonly events = new Emitter<{ refused: [RefusedStream] }>();
  /**
   * The nodes the domains let in without a pairing (admission.ts): their streams are checked against
   * what their source gives them now, as a peer's against its record.
   */
  readonly guests: GuestList;
  private readonly offGuests: () => void;

  constructor(private readonly deps: ServiceRegistryDeps = {}) {
    this.guests = new GuestList((fp) => deps.state?.peer(fp) !== undefined);
    // A guest's access that shrank (a member removed, a word taken from a group) ends what it had open.
    this.offGuests = this.guests.onChange(() => this.recheckAll());
    // One subscription for every service: a permission, a limit or a consent taken away, or a peer
    // removed, ends what depended on it now.
    this.unsubscribe =
      deps.state?.subscribe((change) => {
        if (change.kind === 'peer' || change.kind === 'option') this.recheckAll();
      }) ?? (() => undefined);
  }

  /** Lets in the guests `source` gives (a domain's hook; the registry names no domain). */
  admitGuests(source: GuestSource): () => void {
    return this.guests.add(source);
  }

  register(name: string, def: ServiceDefinition): void {
    this.services.set(name, def);
  }

  /** The names of the services registered here, in the order they were (what a peer may open). */
  names(): string[] {
    return [...this.services.keys()];
  }

  /** How many connections and streams are held under grants now (for tests and leak checks). */
  get size(): number {
    return this.bound.size;
  }

  /** Stops following the node state (the agent is stopping). */
  stop(): void {
    this.unsubscribe();
    this.offGuests();
  }

  /** Routes one request: refuses unknown services and missing permissions with a clear reason. */
  dispatch(selfName: string, peer: StreamPeer, req: StreamRequest): void {
    const def = this.services.get(req.service);
    if (!def) {
      const reason = `unknown service '${req.service}'`;
      req.reject('UNKNOWN_SERVICE', reason);
      return this.events.emit('refused', { peer, service: req.service, code: 'UNKNOWN_SERVICE', reason });
    }
    const onlyOthers = this.guestOnly(peer.fingerprint, req.service);
    if (onlyOthers !== undefined) {
      const denied = `permission denied: ${selfName} does not allow ${def.noun} from ${peer.name}: ${onlyOthers}`;
      req.reject('PERMISSION_DENIED', denied);
      return this.events.emit('refused', {
        peer,
        service: req.service,
        code: 'PERMISSION_DENIED',
        reason: denied,
      });
    }
    if (def.permission && !peer.allow.includes(def.permission)) {
      const denied = `permission denied: ${selfName} does not allow ${def.noun} from ${peer.name}`;
      // The command is for the owner of this node, under the name this node knows the peer by; left
      // out when long names would push it past what a REJECT carries (it would arrive cut).
      // Text only: a reason crosses to the other node, whose clients show it as it is.
      const hint = ` (its owner can run \`clawbridge peers allow ${peer.name} ${def.permission}\` there)`;
      const fits = Buffer.byteLength(denied + hint) <= MAX_REASON_BYTES;
      req.reject('PERMISSION_DENIED', fits ? denied + hint : denied);
      return this.events.emit('refused', {
        peer,
        service: req.service,
        code: 'PERMISSION_DENIED',
        reason: denied,
      });
    }
    const { service, args, signal } = req;
    const request: ServiceRequest = {
      service,
      args,
      signal,
      peer,
      reject: (code, reason) => {
        req.reject(code, reason);
        const recorded = RECORDED_REFUSALS.find((c) => c === code);
        if (!recorded || def.recordsRefusals) return;
        this.events.emit('refused', { peer, service: req.service, code: recorded, reason });
      },
    };
    this.admit(def, peer, req, request);
  }

  /**
   * A ConnectionOpener for connections of `service` that no stream brought here (terminal sessions an
   * agent before this one left in the session host): listed and bound to the grant of `opening.peer`.
   */
  opener(service: string): ConnectionOpener {
    return {
      open: (opening: ConnectionOpening) => {
        const def = this.services.get(service);
        const peer = opening.peer;
        if (!def || !peer) return this.deps.connections?.open(opening) ?? NOT_LISTED;
        const grant = { fingerprint: peer.fingerprint, name: peer.name, allow: [] };
        return this.served(service, def, grant, opening, opening.kind);
      },
    };
  }

  /** The groups that let a guest in, for the connection's listing and its audit lines. */
  private groupOf(fingerprint: string): { group?: string } {
    if (this.deps.state?.peer(fingerprint)) return {};
    const guest = this.guests.get(fingerprint);
    const groups = guest ? guestGroups(guest) : [];
    return groups.length > 0 ? { group: groups.join(', ') } : {};
  }

  /** Why a guest may not open `service` whatever its words (undefined: it may, or it is a peer). */
  private guestOnly(fingerprint: string, service: string): string | undefined {
    if (this.deps.state?.peer(fingerprint)) return undefined;
    return this.guests.serviceRefused(fingerprint, service);
  }

  /** Why `b` may no longer stay (undefined: it may), as the node state says now. */
  private why(b: Omit<Bound, 'revoke'>, records?: Map<string, PeerRecord | undefined>): string | undefined {
    const state = this.deps.state;
    if (!state) return undefined;
    let record: PeerRecord | undefined;
    if (records?.has(b.peer)) record = records.get(b.peer);
    else {
      record = state.peer(b.peer) ?? this.guests.record(b.peer);
      records?.set(b.peer, record);
    }
    const self = this.deps.name?.() ?? 'this node';
    const own = b.recheck ? b.recheck(record) : b.def.revoked?.(record, self);
    if (own !== undefined) return own;
    if (!record) return `${self} removed this node as a peer`;
    const only = this.guestOnly(b.peer, b.service);
    if (only !== undefined) return `${self} no longer allows ${b.def.noun} from ${record.name}: ${only}`;
    const { permission, noun } = b.def;
    if (permission && !record.allow.includes(permission)) {
      return `${self} no longer allows ${noun} from ${record.name}`;
    }
    return undefined;
  }

  private recheckAll(): void {
    const records = new Map<string, PeerRecord | undefined>();
    for (const b of [...this.bound]) {
      const why = this.why(b, records);
      if (why !== undefined) b.revoke(why);
    }
  }

  /**
   * Lists one served connection and binds it to `peer`'s grant of `def`. Its accepted streams (joined
   * later) are reset when it is cut and its listing gives no `close`.
   */
  private served(
    service: string,
    def: ServiceBasics,
    peer: StreamPeer,
    listing: ServedListing,
    kind: ConnectionKind,
  ): ServedConnection {
    const streams: MuxStream[] = [];
    let over = false;
    const cut = (reason: string, refusal?: RefusalCode) => {
      if (listing.close) return listing.close(reason, refusal);
      const err = new ClawError('STREAM_RESET', reason, refusal ? { refusal } : undefined);
      for (const s of streams) s.destroy(err);
    };
    /** Over, once: it leaves the grants (and, unless the table ended it, the table with `reason`). */
    const finish = (reason: string | undefined, listed: boolean) => {
      if (over) return false;
      over = true;
      this.bound.delete(b);
      if (listed) handle.end(reason);
      return true;
    };
    const b: Bound = {
      peer: peer.fingerprint,
      service,
      def,
      recheck: listing.recheck?.bind(listing),
      revoke: (reason) => {
        if (!over) cut(reason, 'PERMISSION_DENIED');
        finish(reason, true);
      },
    };
    const handle =
      this.deps.connections?.open({
        kind,
        peer: { name: peer.name, fingerprint: peer.fingerprint, ...this.groupOf(peer.fingerprint) },
        from: listing.from,
        to: listing.to,
        // `connections close ID`: the table takes it off the list itself.
        close: (reason) => {
          if (finish(reason, false)) cut(reason);
        },
        via: listing.via ?? peer.via,
        ...(listing.resumed ? { resumed: true } : {}),
      }) ?? NOT_LISTED;
    this.bound.add(b);
    const connection: ServedConnection = {
      id: handle.id,
      bytesIn: (n) => handle.bytesIn(n),
      bytesOut: (n) => handle.bytesOut(n),
      resumed: (via) => handle.resumed(via),
      end: (reason) => void finish(reason, true),
    };
    this.entries.set(connection, { bound: b, streams });
    return connection;
  }

  /** Binds a stream that is no connection of its own: reset when the grant goes, let go when it closes. */
  private held(
    service: string,
    def: ServiceBasics,
    peer: StreamPeer,
    stream: MuxStream,
    opts: Pick<ServedListing, 'recheck' | 'close'>,
  ): void {
    const b: Bound = {
      peer: peer.fingerprint,
      service,
      def,
      recheck: opts.recheck,
      revoke: (reason) => {
        this.bound.delete(b);
        if (opts.close) return opts.close(reason, 'PERMISSION_DENIED');
        stream.destroy(new ClawError('STREAM_RESET', reason, { refusal: 'PERMISSION_DENIED' }));
      },
    };
    this.bound.add(b);
    stream.once('close', () => this.bound.delete(b));
  }

  /** Hands `def`'s handler the admission of its kind for `req`. */
  private admit(def: ServiceDefinition, peer: StreamPeer, req: StreamRequest, request: ServiceRequest): void {
    /**
     * Accepts the request unless the grant went while its handler worked (a dial, a spawn): then the
     * request is refused with why, and what was listed for it is cut.
     */
    const take = (check: Omit<Bound, 'revoke'>, listed?: ConnectionHandle): MuxStream => {
      const why = this.why(check);
      if (why !== undefined) {
        req.reject('PERMISSION_DENIED', why);
        this.events.emit('refused', { peer, service: req.service, code: 'PERMISSION_DENIED', reason: why });
        if (listed) this.entries.get(listed)?.bound.revoke(why);
        throw new ClawError('STREAM_REJECTED', why, { refusal: 'PERMISSION_DENIED' });
      }
      const stream = req.accept();
      // A peer's stream may end in an error at any moment (a reset, a destroy with a reason after its
      // service stopped listening); an 'error' with no listener would end the process. The service's
      // own listeners still hear it; this one only makes sure there is always one.
      stream.on('error', ignoreServedStreamError);
      if (listed) this.entries.get(listed)?.streams.push(stream);
      return stream;
    };
    const grant = (recheck?: ServedListing['recheck']): Omit<Bound, 'revoke'> => ({
      peer: peer.fingerprint,
      service: req.service,
      def,
      recheck,
    });
    const hold = (opts: Pick<ServedListing, 'recheck' | 'close'> = {}): MuxStream => {
      const stream = take(grant(opts.recheck));
      this.held(req.service, def, peer, stream, opts);
      return stream;
    };
    /** The stream for a connection listed before it (a session): bound as that connection is. */
    const takeFor = (connection: ConnectionHandle | undefined) =>
      take((connection && this.entries.get(connection)?.bound) ?? grant(), connection);
    switch (def.admits) {
      case 'connection':
        return def.handle(request, {
          peer,
          accept: (listing) => {
            // Accepted first: a request its opener gave up on is no connection, and writes no summary.
            const stream = take(grant(listing.recheck?.bind(listing)));
            const connection = this.served(req.service, def, peer, listing, listing.kind ?? def.kind);
            this.entries.get(connection)?.streams.push(stream);
            return { stream, connection };
          },
          hold: () => hold(),
        });
      case 'session':
        return def.handle(request, {
          peer,
          open: (listing) => this.served(req.service, def, peer, listing, listing.kind ?? def.kind),
          accept: (session) => takeFor(session),
          resume: (session) => {
            const stream = takeFor(session);
            session?.resumed(peer.via);
            return stream;
          },
        });
      case 'listener':
        return def.handle(request, {
          peer,
          hold,
          child: (listing) => this.served(req.service, def, peer, listing, listing.kind),
        });
      case 'held':
        return def.handle(request, { peer, hold });
    }
  }
}
