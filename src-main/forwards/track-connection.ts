/**
 * How a local front end (TCP forward, SOCKS5, HTTP proxy) lists a connection in the node's connection
 * table (connections/connection-table.ts) while it carries bytes, so `connections close ID` can cut
 * it: the client's socket and the peer's stream both go, and only they.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionHandle } from '../connections/connection-table.js';
import { ClawError } from '../core/errors.js';
import { clientOf, type FrontEndContext } from './front-end.js';
import { splice } from './splice.js';
import { onCarrierMove } from './resumable-open.js';

/** What a front end says about a connection it is about to splice. */
export interface TrackedConnection {
  kind: 'forward' | 'socks' | 'http' | 'udp';
  /** The exit peer as the front end named it (a name or a fingerprint: the manager resolves it). */
  peer: string;
  /** The destination, `host:port`. */
  to: string;
  /** Where the client connected from. */
  from: string;
  close(reason: string): void;
}

/** Lists a connection; the forward manager gives it (absent where nothing lists connections: tests). */
export type TrackConnection = (c: TrackedConnection) => ConnectionHandle | undefined;

/**
 * `splice` with the connection listed while it lasts; the forward's own counters still count. Never
 * rejects.
 */
export async function spliceTracked(
  socket: Socket,
  remote: Duplex,
  ctx: FrontEndContext & { track?: TrackConnection | undefined },
  c: Pick<TrackedConnection, 'kind' | 'peer' | 'to'> & {
    /** The client's bytes that went with the OPEN (first data, ADR 0024), before the splice. */
    sentEarly?: number;
  },
): Promise<void> {
  const { sentEarly = 0, ...listed } = c;
  const handle = ctx.track?.({
    ...listed,
    from: clientOf(socket),
    close: (reason) => {
      // A reset both ways: the client must not take a cut download for a complete one, and the peer's
      // side learns why (the mux stream's reset carries the reason).
      remote.destroy(new ClawError('STREAM_RESET', reason));
      if (!socket.destroyed) socket.resetAndDestroy();
    },
  });
  // Counted as the splice counts: in the forward's totals and in its listed connection alike.
  if (sentEarly > 0) {
    ctx.counters.bytesOut(sentEarly);
    handle?.bytesOut(sentEarly);
  }
  if (!handle) return splice(socket, remote, ctx.counters);
  // Listed on the path it is on: a stream that moves to another link (ADR 0023) says so.
  const offMoves = onCarrierMove(remote, (via) => handle.resumed(via));
  try {
    await splice(socket, remote, {
      bytesIn: (n) => {
        ctx.counters.bytesIn(n);
        handle.bytesIn(n);
      },
      bytesOut: (n) => {
        ctx.counters.bytesOut(n);
        handle.bytesOut(n);
      },
    });
  } finally {
    offMoves();
    handle.end();
  }
}
