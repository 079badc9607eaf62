/**
 * What a service is and what its handler gets (docs/adr/0047-one-service-registry.md): the contract
 * between the registry (services.ts) and every service a domain registers — the peer a stream came
 * from, the request, the admission of each kind (a connection, a session, a listener, a held stream)
 * with only the calls such a stream may make, and the definition that says which kind a service
 * admits. Types and the list of recorded refusals only; the registry that enforces them is services.ts.
 */
import type { ConnectionKind } from '../api/contract.js';
import type { ConnectionHandle, ConnectionOpener, ConnectionVia } from '../connections/connection-table.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { StreamRequest } from '../mux/types.js';
import type { MuxStream } from '../mux/stream.js';
import type { PathKind } from '../transport/link.js';
import type { Permission, PeerRecord } from '../state/settings.js';

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
export const RECORDED_REFUSALS = ['UNKNOWN_SERVICE', 'PERMISSION_DENIED', 'TOO_MANY_STREAMS'] as const;

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
  /**
   * True for the node's own traffic, which its owner did not ask for now (an exchange among the
   * owner's devices, a routed link passing through, a listener standing open): its streams are no use
   * of the pair, so they never make a relayed pair try a direct link again (links/punch-rounds.ts).
   * Absent: each stream opened and each DATA frame it carries is the owner's use.
   */
  background?: boolean;
}

/**
 * A service, by what its streams are (`admits`): its handler gets the admission of that kind, with
 * only the calls such a stream may make, so a misuse is a compile error rather than a refusal at run
 * time. `kind`: what one of its connections is in `connections`. A handler that works on after it
 * returned returns that work: a rejection refuses the stream (services.ts), never ends the process.
 */
export type ServiceDefinition = ServiceBasics &
  (
    | {
        admits: 'connection';
        kind: ConnectionKind;
        handle: (req: ServiceRequest, admission: ConnectionAdmission) => void | Promise<void>;
      }
    | {
        admits: 'session';
        kind: ConnectionKind;
        handle: (req: ServiceRequest, admission: SessionAdmission) => void | Promise<void>;
      }
    | {
        admits: 'listener';
        handle: (req: ServiceRequest, admission: ListenerAdmission) => void | Promise<void>;
      }
    | { admits: 'held'; handle: (req: ServiceRequest, admission: HeldAdmission) => void | Promise<void> }
  );
