/**
 * What this node serves (docs/adr/0047-one-service-registry.md): every stream a peer opens here goes
 * through `dispatch`, which checks the grant at that moment and hands the service's handler an
 * admission of the service's kind (ServiceDefinition's `admits`: a connection, a session, a listener,
 * a held stream), which offers only the calls such a stream may make. The handler gets its stream only
 * from the admission, and the admission lists
 * it in the connection table (so `connections` shows it and the audit log writes its summary) and
 * binds it to the grant it came in under: when the owner takes that permission away, or removes the
 * peer, the registry's one subscription to the node state ends it, with a reason naming who took what
 * away. No service keeps a watcher of its own, and a new one cannot forget any of the three. The
 * nodes a domain lets in without a pairing (guests) are checked the same way (guest-grants.ts).
 */
import type { ConnectionKind } from '../api/contract.js';
import type {
  ConnectionHandle,
  ConnectionOpener,
  ConnectionOpening,
} from '../connections/connection-table.js';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage } from '../core/errors.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import { MAX_REASON_BYTES } from '../protocol/mux-frames.js';
import type { StreamRequest } from '../mux/types.js';
import type { MuxStream } from '../mux/stream.js';
import type { NodeStateReader } from '../state/node-state.js';
import type { PeerRecord } from '../state/settings.js';
import type { GuestList, GuestSource } from './admission.js';
import { GuestGrants } from './guest-grants.js';
import {
  RECORDED_REFUSALS,
  type ServedConnection,
  type ServedListing,
  type ServiceBasics,
  type ServiceDefinition,
  type ServiceRequest,
  type StreamPeer,
  type RefusedStream,
} from './service-definition.js';

// The services' contract lives in service-definition.ts; its users import it from here too.
export type {
  ConnectionAdmission,
  HeldAdmission,
  ListenerAdmission,
  RefusedStream,
  ServedConnection,
  ServedListing,
  ServiceBasics,
  ServiceDefinition,
  ServiceRequest,
  SessionAdmission,
  StreamPeer,
} from './service-definition.js';

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
  private readonly grants: GuestGrants;
  private readonly offGuests: () => void;

  constructor(private readonly deps: ServiceRegistryDeps = {}) {
    this.grants = new GuestGrants((fp) => deps.state?.peer(fp));
    this.guests = this.grants.list;
    // A guest's access that shrank (a member removed, a word taken from a group) ends what it had open.
    this.offGuests = this.grants.onChange(() => this.recheckAll());
    // One subscription for every service: a permission, a limit or a consent taken away, or a peer
    // removed, ends what depended on it now.
    this.unsubscribe =
      deps.state?.subscribe((change) => {
        if (change.kind === 'peer' || change.kind === 'option') this.recheckAll();
      }) ?? (() => undefined);
  }

  /** Lets in the guests `source` gives (a domain's hook; the registry names no domain). */
  admitGuests(source: GuestSource): () => void {
    return this.grants.admit(source);
  }

  register(name: string, def: ServiceDefinition): void {
    this.services.set(name, def);
  }

  /** The names of the services registered here, in the order they were (what a peer may open). */
  names(): string[] {
    return [...this.services.keys()];
  }

  /**
   * Whether streams of `service` are the owner's use of a pair (ServiceBasics.background): a service
   * registered here and not the node's own traffic. The link's own streams (control, traverse,
   * splice), which no service registers, are not.
   */
  countsAsUse(service: string): boolean {
    const def = this.services.get(service);
    return def !== undefined && def.background !== true;
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
    const onlyOthers = this.grants.serviceRefused(peer.fingerprint, req.service);
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
      const command = ['clawbridge', ...this.grants.grantCommand(peer, def.permission)].join(' ');
      const hint = ` (its owner can run \`${command}\` there)`;
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
    const handling = this.admit(def, peer, req, request);
    // A handler that fails after it returned (in a dial, a write) refuses its stream with why, as one
    // that throws does (mux/inbound.ts); never a rejection left to end the process.
    // (An answered one stays as it is: the mux refuses a request once only.)
    handling?.catch((err: unknown) =>
      req.reject('SERVICE_FAILED', `the "${req.service}" service failed: ${errorMessage(err)}`),
    );
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

  /** Why `b` may no longer stay (undefined: it may), as the node state says now. */
  private why(b: Omit<Bound, 'revoke'>, records?: Map<string, PeerRecord | undefined>): string | undefined {
    const state = this.deps.state;
    if (!state) return undefined;
    let record: PeerRecord | undefined;
    if (records?.has(b.peer)) record = records.get(b.peer);
    else {
      record = this.grants.record(b.peer);
      records?.set(b.peer, record);
    }
    const self = this.deps.name?.() ?? 'this node';
    // A guest whose access ended is told why (`removed from group lab`), not that a word was taken.
    const ended = this.grants.accessEnded(b.peer, b.service);
    if (ended !== undefined) return `${self} no longer lets this node in: ${ended}`;
    const own = b.recheck ? b.recheck(record) : b.def.revoked?.(record, self);
    if (own !== undefined) return own;
    if (!record) return `${self} removed this node as a peer`;
    const only = this.grants.serviceRefused(b.peer, b.service);
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
        peer: { name: peer.name, fingerprint: peer.fingerprint, ...this.grants.groupOf(peer.fingerprint) },
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
  private admit(
    def: ServiceDefinition,
    peer: StreamPeer,
    req: StreamRequest,
    request: ServiceRequest,
  ): void | Promise<void> {
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
