/**
 * Every WebSocket message a node sends the relay, decoded and handed to the part that owns it: HELLO
 * to the handshake, circuits and rendezvous to the router, SPLICE to the splice broker. A frame a node
 * gets wrong closes that node only, with its close code, and is counted (docs/relay-protocol.md). This
 * is the relay's data path: one decode and one call per frame, nothing allocated here.
 */
import type { Logger } from 'pino';
import type { RawData } from 'ws';
import { rendezvousAlias } from '../protocol/rendezvous.js';
import {
  RelayCloseCode,
  relayCloseCodeName,
  type RelayCloseCodeName,
} from '../protocol/relay-close-codes.js';
import { decodeRelayFrame, relayMessageBytes, RelayFrameError } from '../protocol/relay-frames.js';
import type { RelayConn } from './connection.js';
import type { RelayHandshake } from './handshake.js';
import type { RelayMetrics } from './metrics.js';
import type { RelayRouter } from './router.js';
import type { SpliceBroker } from './splices.js';

/** What the dispatch hands frames to. */
export interface DispatchParts {
  readonly maxFrameBytes: number;
  readonly handshake: Pick<RelayHandshake, 'hello'>;
  readonly router: Pick<RelayRouter, 'data' | 'open' | 'close' | 'listen'>;
  readonly splices: Pick<SpliceBroker, 'offer'>;
  readonly metrics: Pick<RelayMetrics, 'framesRejected'>;
  readonly log: Logger;
  /** Ends a connection with a close code and stops routing to it (the relay's drop). */
  drop(conn: RelayConn, code: RelayCloseCodeName, detail?: string): void;
}

export class RelayDispatch {
  private readonly maxFrameBytes: number;
  private readonly handshake: DispatchParts['handshake'];
  private readonly router: DispatchParts['router'];
  private readonly splices: DispatchParts['splices'];

  constructor(private readonly parts: DispatchParts) {
    // Kept as fields of their own: the per-frame path reads one property, not two.
    this.maxFrameBytes = parts.maxFrameBytes;
    this.handshake = parts.handshake;
    this.router = parts.router;
    this.splices = parts.splices;
  }

  /** One WebSocket message from `conn`. */
  message(conn: RelayConn, data: RawData, isBinary: boolean): void {
    if (conn.phase === 'closed') return;
    conn.lastActive = conn.lastHeard = Date.now();
    try {
      const bytes = relayMessageBytes(data, isBinary);
      const frame = decodeRelayFrame(bytes, this.maxFrameBytes);
      if (conn.phase === 'auth') return this.handshake.hello(conn, frame);
      switch (frame.type) {
        case 'data':
          return this.router.data(conn, frame.circuitId, bytes);
        case 'open':
          return this.router.open(conn, frame.circuitId, frame.target);
        case 'close':
          return this.router.close(conn, frame.circuitId, bytes);
        case 'listen':
          return this.router.listen(conn, frame.alias, frame.listen);
        case 'listen-tag':
          return this.router.listen(conn, rendezvousAlias(frame.tag), frame.listen, true);
        case 'splice':
          return this.splices.offer(conn, frame.circuitId, Buffer.from(frame.token).toString('hex'));
        default:
          throw new RelayFrameError(
            'PROTOCOL',
            `protocol violation: nodes do not send ${frame.type.toUpperCase()} after authentication`,
            RelayCloseCode.PROTOCOL_VIOLATION,
          );
      }
    } catch (err) {
      this.rejected(conn, err);
    }
  }

  /** A frame that closes its node: counted and logged by its close code; anything else is a relay bug. */
  private rejected(conn: RelayConn, err: unknown): void {
    const { metrics, log } = this.parts;
    if (err instanceof RelayFrameError) {
      const name = relayCloseCodeName(err.closeCode) ?? 'MALFORMED_FRAME';
      metrics.framesRejected.inc({ reason: name.toLowerCase() });
      log.debug({ ip: conn.ip, node: conn.nodeId, err: err.message }, 'relay frame rejected');
      return this.parts.drop(conn, name, err.message);
    }
    log.error({ err, node: conn.nodeId }, 'relay bug while handling a frame');
    this.parts.drop(conn, 'INTERNAL_ERROR');
  }
}
