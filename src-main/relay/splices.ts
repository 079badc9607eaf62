/**
 * Splices (docs/relay-protocol.md §Splices): two TCP connections piped byte for byte, for the two ends of
 * one circuit. Both ends first agree on a token over their authenticated WebSocket connections (SPLICE
 * frames naming their own circuit id), so the relay pipes only for nodes it authenticated, and only
 * between the two ends of a circuit it routes. Then each end connects and presents the token (the
 * splice line); the relay pipes the two connections and reads nothing of what follows: the nodes run
 * TLS between themselves over it, the relay only counts bytes.
 */
import type { Socket } from 'node:net';
import type { CircuitObserver } from './circuit-observer.js';
import type { RelayConn } from './connection.js';
import type { RelayMetrics } from './metrics.js';
import { SPLICE_LINE_BYTES } from '../protocol/relay-splice.js';

/** How long an offer may wait for its other end's SPLICE and both connections, in ms. */
export const SPLICE_DEADLINE_MS = 10_000;
/** Offers one connection may have waiting at once (a node splices a circuit only right after opening it). */
export const MAX_PENDING_SPLICES_PER_NODE = 8;

interface End {
  conn: RelayConn;
  circuitId: number;
}

interface Offer {
  /** The node IDs of the two ends, for the per-node count of splices. */
  nodes: [string, string];
  /** The end that named the token first. */
  first: End;
  /** The other end of that circuit, which must name the same token. */
  second: End;
  agreed: boolean;
  expiresAt: number;
  /** Connections that presented the token, with the bytes that came after their line. */
  sockets: { socket: Socket; rest: Buffer }[];
}

/** Two connections piped into each other, and how many of their bytes the counters have. */
interface Pipe {
  a: Socket;
  b: Socket;
  counted: number;
}

export class SpliceBroker {
  private readonly offers = new Map<string, Offer>();
  private readonly pendingByConn = new Map<RelayConn, number>();
  private readonly pipes = new Set<Pipe>();
  /** Splices piping now per node ID: a pipe outlives its circuit, so circuitsPerNode does not bound them. */
  private readonly activeByNode = new Map<string, number>();

  constructor(
    /** Most splices one node may have piping at once. */
    private readonly perNode: number,
    private readonly metrics: RelayMetrics,
    private readonly now: () => number,
    /** Adds piped bytes to the relay's stats (countPiped, and when a pipe ends). */
    private readonly counted: (bytes: number) => void,
    /** Told of each pipe (a node acting as relay lists them); optional. */
    private readonly observer?: CircuitObserver,
  ) {}

  /** Splices piping now (two sockets each). */
  get active(): number {
    return this.pipes.size;
  }

  /**
   * Adds what the pipes carried since the last count to the forwarded-bytes counters, so a long
   * transfer shows in /metrics while it runs (called on every scrape), not only when its pipe ends.
   */
  countPiped(): void {
    for (const pipe of this.pipes) this.count(pipe);
  }

  private count(pipe: Pipe): void {
    const total = pipe.a.bytesRead + pipe.b.bytesRead - 2 * SPLICE_LINE_BYTES;
    if (total <= pipe.counted) return;
    const bytes = total - pipe.counted;
    pipe.counted = total;
    this.metrics.bytesForwarded.inc(bytes);
    this.counted(bytes);
  }

  /** A SPLICE frame from `conn`: its end of circuit `circuitId` agrees to `token` (64 hex). */
  offer(conn: RelayConn, circuitId: number, token: string): void {
    const end = conn.circuits?.get(circuitId);
    if (!end) return this.dropped('splice_unknown_circuit');
    const existing = this.offers.get(token);
    if (!existing) {
      const pending = this.pendingByConn.get(conn) ?? 0;
      if (pending >= MAX_PENDING_SPLICES_PER_NODE) return this.dropped('splice_too_many_pending');
      const nodes: [string, string] = [conn.nodeId ?? '', end.peer.nodeId ?? ''];
      if (nodes.some((n) => (this.activeByNode.get(n) ?? 0) >= this.perNode)) {
        return this.dropped('splice_too_many');
      }
      this.pendingByConn.set(conn, pending + 1);
      this.offers.set(token, {
        nodes,
        first: { conn, circuitId },
        second: { conn: end.peer, circuitId: end.peerCircuitId },
        agreed: false,
        expiresAt: this.now() + SPLICE_DEADLINE_MS,
        sockets: [],
      });
      return;
    }
    // Only the circuit's other end can agree: a token seen elsewhere (or twice from one end) is ignored.
    const { second } = existing;
    if (existing.agreed || second.conn !== conn || second.circuitId !== circuitId) {
      return this.dropped('splice_mismatch');
    }
    existing.agreed = true;
    this.tryPair(token, existing);
  }

  /**
   * A connection presented `token` in its splice line; `rest` is what it sent after the line. Without
   * an offer for the token it is closed at once; otherwise it waits (until the deadline) for the other.
   */
  join(socket: Socket, token: string, rest: Buffer): void {
    const offer = this.offers.get(token);
    if (!offer || offer.sockets.length >= 2) {
      this.dropped('splice_unknown_token');
      socket.destroy();
      return;
    }
    offer.sockets.push({ socket, rest });
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      if (this.offers.get(token) !== offer) return;
      offer.sockets = offer.sockets.filter((s) => s.socket !== socket);
    });
    this.tryPair(token, offer);
  }

  /** Ends offers past their deadline. */
  sweep(): void {
    const now = this.now();
    for (const [token, offer] of this.offers) {
      if (now >= offer.expiresAt) {
        this.dropped('splice_timeout');
        this.cancel(token, offer);
      }
    }
  }

  /** `conn` is gone: its offers go with it (a splice already piping does not depend on it). */
  teardown(conn: RelayConn): void {
    for (const [token, offer] of this.offers) {
      if (offer.first.conn === conn || offer.second.conn === conn) this.cancel(token, offer);
    }
    this.pendingByConn.delete(conn);
  }

  /** Ends every offer and every pipe (relay shutdown). */
  closeAll(): void {
    for (const [token, offer] of this.offers) this.cancel(token, offer);
    for (const { a, b } of this.pipes) {
      a.destroy();
      b.destroy();
    }
  }

  private tryPair(token: string, offer: Offer): void {
    if (!offer.agreed || offer.sockets.length < 2) return;
    this.forget(token, offer);
    const [a, b] = offer.sockets as [Offer['sockets'][0], Offer['sockets'][0]];
    this.pipe(a, b, offer.nodes);
  }

  private pipe(
    a: { socket: Socket; rest: Buffer },
    b: { socket: Socket; rest: Buffer },
    nodes: [string, string],
  ): void {
    for (const n of nodes) this.activeByNode.set(n, (this.activeByNode.get(n) ?? 0) + 1);
    const pipe: Pipe = { a: a.socket, b: b.socket, counted: 0 };
    this.pipes.add(pipe);
    for (const s of [a.socket, b.socket]) {
      // One end's FIN ends only its direction (pipe passes it on as the other end's FIN): what the other
      // end still sends gets through, like any TCP connection. Each socket closes once both directions ended.
      s.allowHalfOpen = true;
      s.setNoDelay(true);
      // The ends' own heartbeats find a dead peer; keepalive only frees a pipe whose ends both vanished.
      s.setKeepAlive(true, 30_000);
    }
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.pipes.delete(pipe);
      for (const s of [a.socket, b.socket]) s.destroy();
      for (const n of nodes) {
        const left = (this.activeByNode.get(n) ?? 1) - 1;
        if (left > 0) this.activeByNode.set(n, left);
        else this.activeByNode.delete(n);
      }
      this.count(pipe);
      observed?.end();
    };
    const observed = this.observer?.spliced?.(nodes[0], nodes[1], end);
    if (observed) {
      a.socket.on('data', (c: Buffer) => observed.bytesOut(c.length));
      b.socket.on('data', (c: Buffer) => observed.bytesIn(c.length));
    }
    for (const s of [a.socket, b.socket]) {
      s.on('error', end);
      s.on('close', end);
    }
    if (a.rest.length > 0) b.socket.write(a.rest);
    if (b.rest.length > 0) a.socket.write(b.rest);
    a.socket.pipe(b.socket);
    b.socket.pipe(a.socket);
    a.socket.resume();
    b.socket.resume();
  }

  private cancel(token: string, offer: Offer): void {
    this.forget(token, offer);
    for (const { socket } of offer.sockets) socket.destroy();
  }

  private forget(token: string, offer: Offer): void {
    this.offers.delete(token);
    const left = (this.pendingByConn.get(offer.first.conn) ?? 1) - 1;
    if (left > 0) this.pendingByConn.set(offer.first.conn, left);
    else this.pendingByConn.delete(offer.first.conn);
  }

  private dropped(reason: string): void {
    this.metrics.framesDropped.inc({ reason });
  }
}
