/**
 * One reverse forward of this node as it runs (reverse-forwards.ts asks its peer to listen,
 * reverse-carrier.ts carries the connections that arrive): its state, its counters, and how its
 * peer's side is named.
 */
import type { MuxStream } from '../mux/stream.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { Counters } from './forward-run.js';
import type { ExitConnections } from './exit-connections.js';
import type { RetrySchedule } from './retry-schedule.js';

/**
 * - `off`: switched off by the user;
 * - `waiting`: its peer is not online (or no longer a peer); asked again when a link comes up;
 * - `asking`: a `reverse-listen` request is under way;
 * - `listening`: the peer listens on `bound` while `stream` is open;
 * - `retrying`: the peer refused (`error` is its reason) or dropped it; asked again by `retry`.
 */
export type ReverseState =
  | { state: 'off' }
  | { state: 'waiting'; why: string }
  | { state: 'asking'; error?: string }
  | { state: 'listening'; stream: MuxStream; bound: string }
  | { state: 'retrying'; error: string; retry: RetrySchedule };

export interface ReverseRun {
  name: string;
  /** Names this forward on the wire (a fresh one per agent run; never saved). */
  readonly id: string;
  now: ReverseState;
  /** Bumped by every change of plan, so an answer to an older request is dropped. */
  generation: number;
  readonly counters: Counters;
  problem?: { message: string; at: number };
  /** A reverse UDP forward's flows open here now (each a socket), held to its cap per forward. */
  flows?: ExitConnections;
  /** A reverse TCP forward's connections being dialed or open here now (MAX_REVERSE_CONNECTIONS_PER_FORWARD). */
  carried?: number;
}

/** How the peer's side of a record is named in what the user reads: `127.0.0.1:53 (UDP)` for UDP. */
export function peerSide(record: ForwardRecord): string {
  return record.protocol === 'udp' ? `${record.listen} (UDP)` : record.listen;
}
