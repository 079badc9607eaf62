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
import type { RelayConn } from './connection.js';
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
  private readonly lowWater: number;

  constructor(
    private readonly limits: RelayLimits,
    private readonly metrics: RelayMetrics,
    private readonly now: () => number,
    /** Ends a connection the router gave up on (slow consumer); the server tears it down. */
    private readonly disconnect: (conn: RelayConn, code: RelayCloseCodeName, detail?: string) => void,
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
    if (peer.circuitCount >= this.limits.circuitsPerNode) {
      this.metrics.framesDropped.inc({ reason: 'too_many_circuits' });
      return refuse(
        'TOO_MANY_CIRCUITS',
        `peer has too many circuits (limit ${this.limits.circuitsPerNode} per node)`,
      );
    }
    const peerCircuitId = peer.allocateIncomingId();
    (conn.circuits ??= new Map()).set(circuitId, { peer, peerCircuitId });
    (peer.circuits ??= new Map()).set(peerCircuitId, { peer: conn, peerCircuitId: circuitId });
    (conn.openedTo ??= new Map()).set(peer, toPeer + 1);
    this.circuits += 1;
    this.metrics.circuitsOpened.inc();
    this.send(conn, encodeRelayFrame({ type: 'open-ok', circuitId }));
    this.send(peer, encodeRelayFrame({ type: 'incoming', circuitId: peerCircuitId, source: conn.nodeId! }));
  }

  /** LISTEN: start or stop receiving OPENs addressed to a rendezvous alias. */
  listen(conn: RelayConn, alias: string, on: boolean): void {
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
      this.forget(conn, circuitId, dst, end.peerCircuitId);
      const code = RelayCloseCode.DESTINATION_FULL;
      const reason = RELAY_CLOSE_REASONS.DESTINATION_FULL;
      this.send(conn, encodeRelayFrame({ type: 'close', circuitId, code, reason }));
      this.send(dst, encodeRelayFrame({ type: 'close', circuitId: end.peerCircuitId, code, reason }));
      return;
    }
    const payload = frame.length - DATA_HEADER_BYTES;
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
    this.forget(conn, circuitId, end.peer, end.peerCircuitId);
    rewriteCircuitId(frame, end.peerCircuitId);
    this.send(end.peer, frame);
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
    for (const [id, end] of circuits ?? []) {
      if (end.peer === conn) {
        // A circuit to itself has both ends in this map: count it once, at the opener's end.
        if (id < RELAY_ASSIGNED_CIRCUIT_BIT) this.circuits -= 1;
        continue;
      }
      end.peer.circuits?.delete(end.peerCircuitId);
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

  private forget(conn: RelayConn, id: number, peer: RelayConn, peerId: number): void {
    conn.circuits?.delete(id);
    peer.circuits?.delete(peerId);
    this.circuits -= 1;
    // The opener's end is the one whose id it chose (below the relay-assigned bit).
    const [opener, target] = id < RELAY_ASSIGNED_CIRCUIT_BIT ? [conn, peer] : [peer, conn];
    const left = (opener.openedTo?.get(target) ?? 1) - 1;
    if (left > 0) opener.openedTo!.set(target, left);
    else opener.openedTo?.delete(target);
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
