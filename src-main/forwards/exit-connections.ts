/**
 * The tcp-connect connections this node serves as the exit, kept so that what the owner takes away is
 * taken away at once: a peer removed, no longer allowed forwards, or whose `forwardTo` limits no longer
 * allow a connection's destination loses that connection now, not whenever it happens to end (a tunnel
 * can stay open for days). The check is the one a new request meets, made against the address the
 * connection was dialed to, so it needs no new name lookup.
 */
import type { Duplex } from 'node:stream';
import type { PeerRecord } from '../agent/settings.js';
import { ClawError } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import { allowedAddresses } from './destination-policy.js';

/** One open exit connection: who asked, for what, and the address it reached. */
export interface ExitConnection {
  /** The opener's fingerprint. */
  peer: string;
  /** This node's name for the opener, for the reason. */
  peerName: string;
  /** What the opener asked for (a name or an IP literal) and the address dialed for it. */
  host: string;
  port: number;
  address: string;
  /** The opener's stream; destroying it resets the stream (the reason travels) and closes the socket. */
  stream: Duplex;
}

/**
 * Why `c` may no longer stay open under `peers` (this node's peer records), or undefined when it may.
 * `node` is this node's name, as the opener's side shows it.
 */
export function revokedReason(
  node: string,
  peers: readonly PeerRecord[],
  c: ExitConnection,
): string | undefined {
  const record = peers.find((p) => p.fingerprint === c.peer);
  if (!record) return `${node} removed this node as a peer; the forwarded connection is closed`;
  const target = formatHostPort(c.host, c.port);
  if (!record.allow.includes('forward')) {
    return `${node} no longer allows forwards from ${c.peerName}; the connection to ${target} is closed`;
  }
  if (allowedAddresses(record.forwardTo, c.host, c.port, [c.address]).length === 0) {
    return `${node} no longer allows forwards from ${c.peerName} to ${target}; the connection is closed`;
  }
  return undefined;
}

export class ExitConnections {
  private readonly open = new Set<ExitConnection>();
  /** Places held for connections being set up (reserve()), counted in `size` with the open ones. */
  private reserved = 0;

  /** Tracks `c` until its stream closes. */
  add(c: ExitConnection): void {
    this.open.add(c);
    c.stream.once('close', () => this.open.delete(c));
  }

  /**
   * Holds a place for a connection about to be set up, so that a cap checked against `size` before an
   * await still holds after it: the check and the reservation happen in one turn, and requests that
   * arrive while this one is set up count it. Call the returned release (idempotent) when it failed,
   * or just before `add` when it is up.
   */
  reserve(): () => void {
    this.reserved++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.reserved--;
    };
  }

  /** Open connections, and the places reserved for ones being set up. */
  get size(): number {
    return this.open.size + this.reserved;
  }

  /** Resets every connection `reasonFor` gives a reason for, with that reason; returns how many. */
  endWhere(reasonFor: (c: ExitConnection) => string | undefined): number {
    let ended = 0;
    for (const c of [...this.open]) {
      const reason = reasonFor(c);
      if (reason === undefined) continue;
      this.open.delete(c);
      c.stream.destroy(new ClawError('STREAM_RESET', reason, { refusal: 'PERMISSION_DENIED' }));
      ended++;
    }
    return ended;
  }
}
