/**
 * Routing between authenticated nodes: who is connected, which circuit ids map to which, forwarding
 * with backpressure (architecture.md §Relay). Payloads are never read or copied: a DATA or CLOSE frame is forwarded
 * as the same buffer with only its circuit id rewritten for the other side.
 */
import {
  RelayCloseCode,
  RELAY_CLOSE_REASONS,
  type RelayCloseCodeName,
} from '../protocol/relay-close-codes.js';
import {
  DATA_HEADER_BYTES,
  encodeRelayFrame,
  RELAY_ASSIGNED_CIRCUIT_BIT,
  RelayFrameError,
  rewriteCircuitId,
} from '../protocol/relay-frames.js';
import type { RelayLimits } from '../protocol/relay-limits.js';
import type { CircuitObserver } from './circuit-observer.js';
import type { CircuitEnd, RelayConn } from './connection.js';
import type { RelayMetrics } from './metrics.js';
import { RecentNodes } from './recent-nodes.js';

/** Backpressure releases once queued bytes fall to this fraction of the high-water mark (hysteresis, so a source is not paused and resumed on every frame). */
const LOW_WATER_FRACTION = 0.5;

/** Bytes of control frames (CLOSE, INCOMING) a destination's queue may hold beyond maxBufferedBytes. */
const CONTROL_SLACK_BYTES = 64 * 1024;

function violation(what: string): RelayFrameError {
  return new RelayFrameError('PROTOCOL', `protocol violation: ${what}`, RelayCloseCode.PROTOCOL_VIOLATION);
}

/** Most rendezvous aliases one node may listen on at once (one per active pairing code). */
export const MAX_ALIASES_PER_NODE = 8;
/**
 * Most OPENs to rendezvous aliases one node may make per minute. Each wrong guess also burns the
 * issuer's code, so this mainly stops a node from scanning the (small) tag space.
 */
export const RENDEZVOUS_OPENS_PER_MINUTE = 10;
/**
 * Node IDs one connection remembers as linked (RelayConn.linked); the oldest is forgotten beyond it.
 * A node rarely has more peers than this; it bounds what circuits in a loop could make the relay keep.
 */
export const MAX_LINKED_PER_NODE = 256;

export class RelayRouter {
  /** Authenticated connections by node ID. */
  readonly nodes = new Map<string, RelayConn>();
  /** Rendezvous aliases (pairing code tags, hashed) → the node listening on them. */
  readonly aliases = new Map<string, RelayConn>();
  /** Open circuits (each counted once, not once per end). */
  circuits = 0;
  /** Payload bytes forwarded, for stats(). */
  bytesForwarded = 0;
  /** Node IDs seen lately: never accepted as aliases, even while their node is offline. */
  readonly recentNodes: RecentNodes;
  /** Whether LISTEN by a raw alias is taken (RelayServerOptions.untaggedListen). */
  untaggedListen = true;
  /**
   * For a guest (RelayConn.guest): whether a circuit may join it with node `other` (RelayServerOptions.guestMayReach).
   * Undefined: a guest reaches no one.
   */
  guestMayReach: ((guest: string, other: string, byAlias: boolean) => boolean) | undefined;
  private readonly lowWater: number;

  constructor(
    private readonly limits: RelayLimits,
    private readonly metrics: RelayMetrics,
    private readonly now: () => number,
    /** Ends a connection the router gave up on (slow consumer); the server tears it down. */
    private readonly disconnect: (conn: RelayConn, code: RelayCloseCodeName, detail?: string) => void,
    /** Told of each circuit between two nodes (a node acting as relay lists them); optional. */
    private readonly observer?: CircuitObserver,
  ) {
    this.lowWater = Math.floor(limits.bufferHighWaterBytes * LOW_WATER_FRACTION);
    this.recentNodes = new RecentNodes(now);
  }

  /** Makes `conn` the route for `nodeId`; returns the connection it replaced, if any. */
  register(conn: RelayConn, nodeId: string): RelayConn | undefined {
    const old = this.nodes.get(nodeId);
    conn.nodeId = nodeId;
    conn.phase = 'ready';
    this.nodes.set(nodeId, conn);
    this.recentNodes.add(nodeId);
    // Someone listened on this ID while its node was away (or unknown here): the node owns it now.
    const squatter = this.aliases.get(nodeId);
    if (squatter) {
      this.aliases.delete(nodeId);
      squatter.aliases?.delete(nodeId);
      this.metrics.framesDropped.inc({ reason: 'alias_displaced_by_node' });
    }
    return old;
  }

  /** OPEN: accept with OPEN_OK + INCOMING, or refuse the circuit with CLOSE. */
  open(conn: RelayConn, circuitId: number, target: string): void {
    if (circuitId >= RELAY_ASSIGNED_CIRCUIT_BIT) {
      throw violation(`OPEN circuit id ${circuitId} has the relay-assigned bit set`);
    }
    if (conn.circuits?.has(circuitId)) throw violation(`OPEN circuit id ${circuitId} is already open`);
    const refuse = (code: RelayCloseCodeName, reason: string) =>
      this.send(conn, encodeRelayFrame({ type: 'close', circuitId, code: RelayCloseCode[code], reason }));
    if (conn.circuitCount >= this.limits.circuitsPerNode) {
      this.metrics.framesDropped.inc({ reason: 'too_many_circuits' });
      return refuse('TOO_MANY_CIRCUITS', `too many circuits (limit ${this.limits.circuitsPerNode} per node)`);
    }
    const alias = this.nodes.has(target) ? undefined : this.aliases.get(target);
    if (alias && !this.allowRendezvous(conn)) {
      this.metrics.framesDropped.inc({ reason: 'rendezvous_rate_limited' });
      return refuse('RENDEZVOUS_RATE_LIMITED', RELAY_CLOSE_REASONS.RENDEZVOUS_RATE_LIMITED);
    }
    const peer = this.nodes.get(target) ?? alias;
    // Before the offline check: a guest learns nothing of who else is here by trying.
    if (!this.guestsMayMeet(conn, peer?.nodeId ?? target, peer, alias !== undefined)) {
      this.metrics.framesDropped.inc({ reason: 'guest_not_allowed' });
      return refuse('NOT_AUTHORIZED', RELAY_CLOSE_REASONS.NOT_AUTHORIZED);
    }
    if (!peer || peer.phase !== 'ready') {
      this.metrics.framesDropped.inc({ reason: 'peer_offline' });
      return refuse('PEER_OFFLINE', RELAY_CLOSE_REASONS.PEER_OFFLINE);
    }
    // Before the target's own limit: one opener must not be able to fill that budget by itself.
    const toPeer = conn.openedTo?.get(peer) ?? 0;
    if (toPeer >= this.limits.circuitsPerPair) {
      this.metrics.framesDropped.inc({ reason: 'too_many_circuits_to_peer' });
      return refuse(
        'TOO_MANY_CIRCUITS_TO_PEER',
        `${RELAY_CLOSE_REASONS.TOO_MANY_CIRCUITS_TO_PEER} (limit ${this.limits.circuitsPerPair} per pair)`,
      );
    }
    // Node IDs are free: what one address's nodes hold of a target is bounded too, and a share of the
    // target's budget is kept for nodes it has linked with (the peers it accepted).
    const { circuitsPerNode, circuitsPerSourceIp, reservedCircuits } = this.limits;
    const fromHere = peer.fromAddress?.get(conn.ip) ?? 0;
    const unlinkedRoom = circuitsPerNode - reservedCircuits;
    const linked =
      (fromHere >= circuitsPerSourceIp || peer.circuitCount >= unlinkedRoom) && this.isLinked(peer, conn);
    if (!linked && fromHere >= circuitsPerSourceIp) {
      this.metrics.framesDropped.inc({ reason: 'too_many_circuits_from_address' });
      return refuse(
        'TOO_MANY_CIRCUITS_FROM_ADDRESS',
        `${RELAY_CLOSE_REASONS.TOO_MANY_CIRCUITS_FROM_ADDRESS} (limit ${circuitsPerSourceIp} per address)`,
      );
    }
    if (peer.circuitCount >= (linked ? circuitsPerNode : unlinkedRoom)) {
      this.metrics.framesDropped.inc({ reason: 'too_many_circuits' });
      return refuse(
        'TOO_MANY_CIRCUITS',
        linked
          ? `peer has too many circuits (limit ${circuitsPerNode} per node)`
          : `peer has too many circuits (limit ${unlinkedRoom} per node for nodes it has not linked with)`,
      );
    }
    const peerCircuitId = peer.allocateIncomingId();
    const openedAt = this.now();
    // A node without circuits was expected at the idle interval (ADR 0061): the silence it kept under
    // that one is no sign that it is gone at the short one, which applies from now. Judged as if last
    // heard one short interval ago, it is pinged (if still quiet) rather than cut at the next pass (a
    // live idle node is quiet for over three short intervals a quarter of the time; ADR 0069).
    if (peer.circuitCount === 0) {
      peer.lastHeard = Math.max(peer.lastHeard, openedAt - this.limits.pingIntervalMs);
    }
    const observed = this.observer?.opened(conn.nodeId!, peer.nodeId ?? target, (reason) =>
      this.cut(conn, circuitId, reason),
    );
    (conn.circuits ??= new Map()).set(circuitId, { peer, peerCircuitId, openedAt, observed });
    (peer.circuits ??= new Map()).set(peerCircuitId, {
      peer: conn,
      peerCircuitId: circuitId,
      openedAt,
      observed,
    });
    (conn.openedTo ??= new Map()).set(peer, toPeer + 1);
    (peer.fromAddress ??= new Map()).set(conn.ip, fromHere + 1);
    this.circuits += 1;
    this.metrics.circuitsOpened.inc();
    this.send(conn, encodeRelayFrame({ type: 'open-ok', circuitId }));
    this.send(peer, encodeRelayFrame({ type: 'incoming', circuitId: peerCircuitId, source: conn.nodeId! }));
  }

  /**
   * LISTEN: start or stop receiving OPENs addressed to a rendezvous alias. `derived`: the relay computed
   * the alias from a tag (LISTEN_TAG), so it is no node ID; a raw alias may be one, of a node never seen.
   */
  listen(conn: RelayConn, alias: string, on: boolean, derived = false): void {
    // A guest listening on an alias would take circuits meant for a pairing it is no part of.
    if (on && conn.guest) {
      this.metrics.framesDropped.inc({ reason: 'guest_listen' });
      return;
    }
    if (on && !derived && !this.untaggedListen) {
      this.metrics.framesDropped.inc({ reason: 'alias_untagged' });
      return;
    }
    if (!on) {
      if (this.aliases.get(alias) === conn) this.aliases.delete(alias);
      conn.aliases?.delete(alias);
      return;
    }
    // Aliases and node IDs share OPEN's target: an alias equal to a node ID seen here would let the
    // listener receive (and learn the source of) circuits meant for that node while it is offline.
    if (this.nodes.has(alias) || this.recentNodes.has(alias)) {
      this.metrics.framesDropped.inc({ reason: 'alias_is_node_id' });
      return;
    }
    const mine = (conn.aliases ??= new Set());
    const holder = this.aliases.get(alias);
    // First come, first served: a colliding or excess alias is ignored, and the joiner's OPEN then
    // finds no one (or the first listener), which the PAKE turns into a clean failure.
    if ((holder && holder !== conn) || (!mine.has(alias) && mine.size >= MAX_ALIASES_PER_NODE)) {
      this.metrics.framesDropped.inc({ reason: 'alias_refused' });
      return;
    }
    this.aliases.set(alias, conn);
    mine.add(alias);
  }

  /**
   * Whether a circuit from `opener` may join node `other` (its connection `peer`, when here): always,
   * unless one of the two is a guest; then only as guestMayReach says, for the guest and the other end.
   */
  private guestsMayMeet(
    opener: RelayConn,
    other: string,
    peer: RelayConn | undefined,
    byAlias: boolean,
  ): boolean {
    if (!opener.guest && !peer?.guest) return true;
    const may = this.guestMayReach;
    if (!may) return false;
    if (opener.guest && !may(opener.nodeId!, other, byAlias)) return false;
    return !peer?.guest || may(peer.nodeId!, opener.nodeId!, false);
  }

  /**
   * Whether `target` has linked with `opener`'s node: kept a circuit with it open past linkedAfterMs,
   * now or earlier on this connection. The relay cannot see whom a node trusts; this is what it can see.
   */
  private isLinked(target: RelayConn, opener: RelayConn): boolean {
    const id = opener.nodeId;
    if (id === undefined) return false;
    if (target.linked?.has(id)) return true;
    const since = this.now() - this.limits.linkedAfterMs;
    for (const end of target.circuits?.values() ?? []) {
      if (end.peer.nodeId === id && end.openedAt <= since) return true;
    }
    return false;
  }

  /** A circuit between `a` and `b` that opened at `openedAt` is ending: if it lasted, they are linked. */
  private noteLinked(a: RelayConn, b: RelayConn, openedAt: number): void {
    if (this.now() - openedAt < this.limits.linkedAfterMs) return;
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      if (other.nodeId === undefined || self.phase === 'closed') continue;
      const set = (self.linked ??= new Set());
      set.delete(other.nodeId); // re-inserted as the newest
      set.add(other.nodeId);
      if (set.size > MAX_LINKED_PER_NODE) set.delete(set.values().next().value!);
    }
  }

  private allowRendezvous(conn: RelayConn): boolean {
    const now = this.now();
    const recent = (conn.rendezvousTimes ?? []).filter((t) => now - t < 60_000);
    conn.rendezvousTimes = recent;
    if (recent.length >= RENDEZVOUS_OPENS_PER_MINUTE) return false;
    recent.push(now);
    return true;
  }

  /** DATA: forward to the other end, or drop it when the circuit is unknown (it may have just closed). */
  data(conn: RelayConn, circuitId: number, frame: Uint8Array): void {
    const end = conn.circuits?.get(circuitId);
    if (!end) {
      this.metrics.framesDropped.inc({ reason: 'unknown_circuit' });
      return;
    }
    const dst = end.peer;
    // A frame that would take the destination's queue past maxBufferedBytes is not sent: this circuit
    // is closed on both ends instead. Its sender pays, not the destination, whose connection carries
    // every other circuit too: several senders at once (a few throwaway identities) could otherwise push
    // any node off the relay. A destination that stays backed up is still cut off after
    // slowConsumerTimeoutMs (server.ts).
    if (dst.phase !== 'closed' && dst.ws.bufferedAmount + frame.length > this.limits.maxBufferedBytes) {
      this.metrics.framesDropped.inc({ reason: 'destination_full' });
      this.forget(conn, circuitId, end);
      const code = RelayCloseCode.DESTINATION_FULL;
      const reason = RELAY_CLOSE_REASONS.DESTINATION_FULL;
      this.send(conn, encodeRelayFrame({ type: 'close', circuitId, code, reason }));
      this.send(dst, encodeRelayFrame({ type: 'close', circuitId: end.peerCircuitId, code, reason }));
      return;
    }
    const payload = frame.length - DATA_HEADER_BYTES;
    if (end.observed) {
      // The opener's end is the one whose id it chose (below the relay-assigned bit).
      if (circuitId < RELAY_ASSIGNED_CIRCUIT_BIT) end.observed.bytesOut(payload);
      else end.observed.bytesIn(payload);
    }
    rewriteCircuitId(frame, end.peerCircuitId);
    this.bytesForwarded += payload;
    this.metrics.bytesForwarded.inc(payload);
    this.metrics.framesForwarded.inc();
    this.forward(conn, dst, frame);
  }

  /** CLOSE from a node: forget both ends and pass the frame (code and reason untouched) to the other. */
  close(conn: RelayConn, circuitId: number, frame: Uint8Array): void {
    const end = conn.circuits?.get(circuitId);
    // Both ends may close at once; the second CLOSE finds nothing, which is normal.
    if (!end) return;
    this.forget(conn, circuitId, end);
    rewriteCircuitId(frame, end.peerCircuitId);
    this.send(end.peer, frame);
  }

  /**
   * Cuts one circuit from the relay's side (its observer's owner closed it): both ends get a CLOSE
   * with `reason`, as when an end closes it; nothing else changes.
   */
  cut(conn: RelayConn, circuitId: number, reason: string): void {
    const end = conn.circuits?.get(circuitId);
    if (!end) return;
    this.forget(conn, circuitId, end);
    const code = RelayCloseCode.NORMAL;
    this.send(conn, encodeRelayFrame({ type: 'close', circuitId, code, reason }));
    this.send(end.peer, encodeRelayFrame({ type: 'close', circuitId: end.peerCircuitId, code, reason }));
  }

  /** The connection is gone: close its circuits towards their other ends and undo its backpressure. */
  teardown(conn: RelayConn): void {
    if (conn.phase === 'closed') return;
    conn.phase = 'closed';
    if (conn.nodeId && this.nodes.get(conn.nodeId) === conn) this.nodes.delete(conn.nodeId);
    for (const alias of conn.aliases ?? []) if (this.aliases.get(alias) === conn) this.aliases.delete(alias);
    conn.aliases = undefined;
    const circuits = conn.circuits;
    conn.circuits = undefined;
    conn.openedTo = undefined;
    conn.fromAddress = undefined;
    for (const [id, end] of circuits ?? []) {
      end.observed?.end();
      if (end.peer === conn) {
        // A circuit to itself has both ends in this map: count it once, at the opener's end.
        if (id < RELAY_ASSIGNED_CIRCUIT_BIT) this.circuits -= 1;
        continue;
      }
      // The other end remembers a peer it linked with, so that peer gets its reserve when it comes back.
      this.noteLinked(conn, end.peer, end.openedAt);
      end.peer.circuits?.delete(end.peerCircuitId);
      if (id < RELAY_ASSIGNED_CIRCUIT_BIT) this.leaveAddress(end.peer, conn.ip);
      // Every circuit between the two ends now, so the other end's count towards this one goes.
      end.peer.openedTo?.delete(conn);
      this.circuits -= 1;
      const reason = RELAY_CLOSE_REASONS.PEER_DISCONNECTED;
      const code = RelayCloseCode.PEER_DISCONNECTED;
      this.send(end.peer, encodeRelayFrame({ type: 'close', circuitId: end.peerCircuitId, code, reason }));
    }
    this.release(conn);
    if (conn.pausedBy > 0) {
      // Read again so the closing handshake completes; phase 'closed' makes the server ignore the rest.
      // Destinations that still list it skip it when they release (pausedBy is already 0).
      conn.pausedBy = 0;
      conn.ws.resume();
    }
  }

  /** After a write to `dst` completed: lift backpressure once its queue is low again. */
  written(dst: RelayConn): void {
    if (dst.pressuredSince !== 0 && dst.ws.bufferedAmount <= this.lowWater) this.release(dst);
  }

  private forget(conn: RelayConn, id: number, end: CircuitEnd): void {
    const { peer, peerCircuitId, openedAt } = end;
    end.observed?.end();
    conn.circuits?.delete(id);
    peer.circuits?.delete(peerCircuitId);
    this.circuits -= 1;
    this.noteLinked(conn, peer, openedAt);
    // The opener's end is the one whose id it chose (below the relay-assigned bit).
    const [opener, target] = id < RELAY_ASSIGNED_CIRCUIT_BIT ? [conn, peer] : [peer, conn];
    const left = (opener.openedTo?.get(target) ?? 1) - 1;
    if (left > 0) opener.openedTo!.set(target, left);
    else opener.openedTo?.delete(target);
    this.leaveAddress(target, opener.ip);
  }

  /** One circuit to `target` from a connection at `ip` has ended (circuitsPerSourceIp). */
  private leaveAddress(target: RelayConn, ip: string): void {
    const left = (target.fromAddress?.get(ip) ?? 1) - 1;
    if (left > 0) target.fromAddress!.set(ip, left);
    else target.fromAddress?.delete(ip);
  }

  /** Control frames: never pause anyone, but still count towards the destination's limits. */
  private send(dst: RelayConn, frame: Uint8Array): void {
    this.forward(undefined, dst, frame);
  }

  private forward(src: RelayConn | undefined, dst: RelayConn, frame: Uint8Array): void {
    if (dst.phase === 'closed') return;
    dst.ws.send(frame, dst.onWritten);
    const queued = dst.ws.bufferedAmount;
    if (queued <= this.limits.bufferHighWaterBytes) return;
    // Data never gets here past the limit (data() closes its circuit first); control frames are small
    // and may go a little over, so a CLOSE sent to a full queue does not cost its connection.
    if (queued > this.limits.maxBufferedBytes + (src ? 0 : CONTROL_SLACK_BYTES)) {
      this.disconnect(dst, 'SLOW_CONSUMER', `${RELAY_CLOSE_REASONS.SLOW_CONSUMER}: ${queued} bytes queued`);
      return;
    }
    if (dst.pressuredSince === 0) dst.pressuredSince = this.now();
    if (!src || dst.waitingSources?.has(src)) return;
    (dst.waitingSources ??= new Set()).add(src);
    // ws.pause() stops reading the socket: TCP flow control then slows the sender down.
    if (src.pausedBy++ === 0) src.ws.pause();
  }

  private release(dst: RelayConn): void {
    dst.pressuredSince = 0;
    const sources = dst.waitingSources;
    dst.waitingSources = undefined;
    for (const src of sources ?? []) {
      if (src.pausedBy > 0 && --src.pausedBy === 0 && src.phase !== 'closed') src.ws.resume();
    }
  }
}
