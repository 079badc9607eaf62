/**
 * The exit connections and UDP flows this node serves: what the owner takes away is taken away at once
 * — a peer removed, no longer allowed forwards, or whose `forwardTo` limits no longer allow a
 * connection's destination loses that connection now (the service registry asks `revokedReason` at
 * every change of the settings: services/services.ts), not whenever it happens to end (a tunnel can stay
 * open for days). The check is the one a new request meets, made against the address the connection
 * was dialed to, so it needs no new name lookup. `ExitConnections` counts the UDP flows open, against
 * their cap.
 */
import type { Duplex } from 'node:stream';
import type { PeerRecord } from '../state/settings.js';
import { formatHostPort } from '../core/host-port.js';
import { allowedAddresses } from './destination-policy.js';

/** One open exit connection: who asked, for what, and the address it reached. */
export interface ExitConnection {
  /** This node's name for the opener, for the reason. */
  peerName: string;
  /** What the opener asked for (a name or an IP literal) and the address dialed for it. */
  host: string;
  port: number;
  address: string;
}

/**
 * Why `c` may no longer stay open now that the opener's record here is `record` (undefined: it was
 * removed), or undefined when it may. `node` is this node's name, as the opener's side shows it.
 */
export function revokedReason(
  node: string,
  record: Pick<PeerRecord, 'allow' | 'forwardTo'> | undefined,
  c: ExitConnection,
): string | undefined {
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

/** The flows open at one exit (each a socket), and the places held for ones being set up, against a cap. */
export class ExitConnections {
  private readonly open = new Set<Duplex>();
  /** Places held for flows being set up (reserve()), counted in `size` with the open ones. */
  private reserved = 0;

  /** Counts `stream`'s flow until the stream closes. */
  add(stream: Duplex): void {
    this.open.add(stream);
    stream.once('close', () => this.open.delete(stream));
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
}
