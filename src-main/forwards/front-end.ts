/**
 * What the three local front ends (TCP forward, SOCKS5, HTTP proxy) share: how to reach a peer, where
 * to count bytes, where to report, and how to close a client after a protocol-level refusal.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ClawError, isClawError } from '../core/errors.js';
import type { Dialer } from './dialer.js';
import type { SpliceCounters } from './splice.js';
import type { TrackConnection } from './track-connection.js';

/** The subset of a pino logger the front ends use. */
export interface FrontEndLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface FrontEndContext {
  /** The forward's or proxy's name, for log lines. */
  name: string;
  /** `forward` or `proxy`, for what the user reads. */
  noun: 'forward' | 'proxy';
  dialer: Dialer;
  log: FrontEndLogger;
  counters: SpliceCounters;
  /**
   * Why a connection failed or was cut, in one line the user should see (TCP forwards have no protocol
   * to report it in): a notice now (unless `quiet`: said a moment ago), and the forward's
   * `lastProblem` until a later connection opens.
   */
  problem(message: string, fields?: object, quiet?: boolean): void;
  /** A connection reached its target through the peer (clears `lastProblem`). */
  opened(): void;
  /** Lists a connection while it carries bytes (track-connection.ts); absent: not listed. */
  track?: TrackConnection | undefined;
}

/**
 * Milliseconds a refused client gets to read our last reply and close before we close it: its half of
 * the connection must not stay open forever because it never hangs up.
 */
export const LINGER_MS = 2_000;

/** Sends a final reply and closes: gracefully if the client hangs up, by force after LINGER_MS. */
export function endWith(socket: Socket, reply: Uint8Array | string): void {
  if (socket.destroyed) return;
  socket.end(reply);
  socket.resume(); // read and drop whatever else it sends, so its FIN is seen
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** At most one "connections were cut" notice per forward or proxy and peer in this many ms (a link loss cuts them all). */
export const CUT_NOTICE_EVERY_MS = 10_000;
/** When each forward-and-peer key last gave its notice; keys older than the window are pruned. */
const lastCut = new Map<string, number>();

/**
 * True when a cut notice for `key` was already given within CUT_NOTICE_EVERY_MS of `now` (say it
 * quietly); otherwise records `now` as its notice and returns false. Prunes expired keys as it goes,
 * so forwards removed long ago leave nothing behind.
 */
export function cutNoticeGiven(key: string, now: number): boolean {
  for (const [k, at] of lastCut) if (now - at >= CUT_NOTICE_EVERY_MS) lastCut.delete(k);
  if (lastCut.has(key)) return true;
  lastCut.set(key, now);
  return false;
}

/** Keys cutNoticeGiven tracks now (for tests). */
export function trackedCutNotices(): number {
  return lastCut.size;
}

/**
 * Reports why an open connection ended badly, since the client only sees it close: the exit's owner
 * took the permission away (a reset with PERMISSION_DENIED, exit-connections.ts), or the link to the
 * peer went (a laptop asleep, a network change). A link loss cuts every connection at once: one notice.
 */
export function reportCutConnections(
  remote: Duplex,
  ctx: Pick<FrontEndContext, 'name' | 'problem'>,
  peer: string,
  fields: object,
): void {
  remote.once('error', (err) => {
    if (err instanceof ClawError && err.refusal === 'PERMISSION_DENIED') {
      ctx.problem(err.peerReason ?? err.message, fields);
      return;
    }
    if (!isClawError(err, 'LINK_CLOSED')) return;
    // Recorded every time (a later connection may have cleared the last one); said once in a while.
    const said = cutNoticeGiven(`${ctx.name}\n${peer}`, Date.now());
    ctx.problem(`open connections through ${peer} were cut: ${err.message}`, fields, said);
  });
}

/** `host:port` of the client, for logs. */
export function clientOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
