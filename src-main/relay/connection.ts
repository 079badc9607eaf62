/**
 * The relay's state for one WebSocket connection. Kept deliberately small (architecture.md §Relay: many idle nodes
 * per relay): no buffers, no timers, and the circuit map and backpressure set exist only once used.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ObservedCircuit } from './circuit-observer.js';
import { fitReason, RELAY_ASSIGNED_CIRCUIT_BIT } from '../protocol/relay-frames.js';
import {
  RELAY_CLOSE_REASONS,
  RelayCloseCode,
  type RelayCloseCodeName,
} from '../protocol/relay-close-codes.js';

/** One side of a circuit as seen from a connection: where its frames go and under which id. */
export interface CircuitEnd {
  peer: RelayConn;
  peerCircuitId: number;
  /** When the relay opened it, in ms: a circuit kept open past linkedAfterMs links its two nodes. */
  openedAt: number;
  /** The circuit as its observer follows it (circuit-observer.ts), the same object at both ends. */
  observed?: ObservedCircuit | undefined;
}

export class RelayConn {
  /** Node ID once authenticated. */
  nodeId: string | undefined;
  phase: 'auth' | 'ready' | 'closed' = 'auth';
  /**
   * Let in as a guest (RelayServerOptions.authorize): its circuits, either way, are only those
   * RelayServerOptions.guestMayReach allows, and it may not listen on a rendezvous alias.
   */
  guest = false;
  /** The CHALLENGE frame as sent, until HELLO arrives: HELLO signs these exact bytes. */
  challenge: Uint8Array | undefined;
  /**
   * The TCP socket under the WebSocket, until HELLO arrives: its remote end is what AUTH_OK tells a
   * node that asks. A reference to a socket that lives anyway, not a copy of its addresses (ADR 0069).
   */
  tcp: Socket | undefined;
  readonly openedAt: number;
  /** Last frame or WebSocket ping from the node, in ms; drives idleTimeoutMs. */
  lastActive: number;
  /**
   * Last frame, ping or pong from the node, in ms: drives the heartbeat (server.ts). A node's own pings
   * keep it fresh, so the relay pings only nodes that went quiet (ADR 0054).
   */
  lastHeard: number;
  /** When the relay last pinged it, in ms (0: never). */
  lastPinged = 0;
  /** Circuits by this connection's id for them; created on first use. */
  circuits: Map<number, CircuitEnd> | undefined;
  /**
   * Circuits this connection opened and that are still open, by the connection at their other end, for
   * circuitsPerPair; created on first use. Keyed by connection, not node ID: when either end's
   * connection goes, so do all circuits between the two.
   */
  openedTo: Map<RelayConn, number> | undefined;
  /**
   * Circuits open to this node, by the address (IPv4, or IPv6 /64) of the connection that opened them,
   * for circuitsPerSourceIp; created on first use.
   */
  fromAddress: Map<string, number> | undefined;
  /**
   * Node IDs this node has kept a circuit with past linkedAfterMs, while this connection lasts (at most
   * MAX_LINKED_PER_NODE, oldest forgotten first): the peers it accepted, as far as the relay can tell.
   */
  linked: Set<string> | undefined;
  /** Rendezvous aliases this node listens on (pairing codes it issued); created on first use. */
  aliases: Set<string> | undefined;
  /** Times of this node's recent OPENs to an alias, in ms, for the rendezvous rate limit. */
  rendezvousTimes: number[] | undefined;
  /** When queued bytes towards this node went above high water, in ms; 0 while below. */
  pressuredSince = 0;
  /** Connections whose reading is paused until this one drains. */
  waitingSources: Set<RelayConn> | undefined;
  /** How many destinations this connection is paused for; reading resumes at 0. */
  pausedBy = 0;
  private nextIncomingId = 0;
  /** onWritten, made on first use: an idle node is never written to in bulk (ADR 0112). */
  private writtenCallback: (() => void) | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly ip: string,
    now: number,
    private readonly written: (conn: RelayConn) => void,
  ) {
    this.openedAt = now;
    this.lastActive = now;
    this.lastHeard = now;
  }

  /**
   * Passed to every ws.send towards this node, so backpressure is re-checked as writes complete. Made
   * on first use and kept: a closure per connection from the start cost every idle node (ADR 0112).
   */
  get onWritten(): () => void {
    return (this.writtenCallback ??= () => this.written(this));
  }

  get circuitCount(): number {
    return this.circuits?.size ?? 0;
  }

  /** A fresh relay-assigned id (top bit set) not in use on this connection. */
  allocateIncomingId(): number {
    for (;;) {
      const id = (RELAY_ASSIGNED_CIRCUIT_BIT | this.nextIncomingId) >>> 0;
      this.nextIncomingId = (this.nextIncomingId + 1) & 0x7fff_ffff;
      // circuitsPerNode is far below 2^31, so a free id is always a few steps away.
      if (!this.circuits?.has(id)) return id;
    }
  }

  /** Sends a WebSocket close with the code and a reason (the standard one when no detail is given). */
  close(code: RelayCloseCodeName, detail?: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.close(RelayCloseCode[code], fitReason(detail ?? RELAY_CLOSE_REASONS[code]));
  }
}
