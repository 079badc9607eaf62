/**
 * Stream IDs of one mux in two spaces (docs/adr/0042-quiet-lane.md): IDs below LANE_STREAM_BIT travel
 * on the link's main connection, IDs with the bit set on its quiet lane. Each space keeps the rules a
 * single connection had: the link's initiator opens odd IDs, the other side even ones, each above the
 * last. OPENs stay ordered within a connection but not across the two, so each space checks its own.
 */
import { MAX_STREAM_ID } from '../protocol/mux-frames.js';

/** The top bit of a stream ID: set, the stream's frames all go over the quiet lane. */
export const LANE_STREAM_BIT = 0x8000_0000;

/** True for an ID of the quiet lane's space. */
export function isLaneId(id: number): boolean {
  return id >= LANE_STREAM_BIT;
}

export class StreamIds {
  /** Next own ID per space: [main, lane]. */
  private readonly next: [number, number];
  /** Highest ID the peer opened per space. */
  private readonly lastPeer: [number, number] = [0, LANE_STREAM_BIT];

  constructor(private readonly initiator: boolean) {
    const first = initiator ? 1 : 2;
    this.next = [first, LANE_STREAM_BIT + first];
  }

  /**
   * The next own ID of a space, or undefined when that space is used up (about 2³⁰ streams on one
   * link: the caller asks for a reconnect). `take` spends it.
   */
  peek(lane: boolean): number | undefined {
    const id = this.next[lane ? 1 : 0];
    return id > (lane ? MAX_STREAM_ID : LANE_STREAM_BIT - 1) ? undefined : id;
  }

  /** Spends the ID `peek` gave. */
  take(lane: boolean): void {
    this.next[lane ? 1 : 0] += 2;
  }

  isOwn(id: number): boolean {
    return id % 2 === (this.initiator ? 1 : 0);
  }

  /**
   * Records the peer's OPEN of `id` (that it came on its space's connection is `laneMismatch`'s
   * check, made for every frame); returns why it breaks the rules, or undefined when it may be opened.
   */
  peerOpens(id: number): string | undefined {
    if (this.isOwn(id)) return `OPEN for stream ${id}, an ID of this side's parity`;
    const space = isLaneId(id) ? 1 : 0;
    const last = this.lastPeer[space];
    if (id <= last) return `OPEN for stream ${id}, not above the last one (${last})`;
    this.lastPeer[space] = id;
    return undefined;
  }

  /** True for an ID that was used on this link before (its stream is over). */
  isFinished(id: number): boolean {
    const space = isLaneId(id) ? 1 : 0;
    return this.isOwn(id)
      ? id < this.next[space]
      : id <= this.lastPeer[space] && id > (space ? LANE_STREAM_BIT : 0);
  }
}

/** Why a frame of stream `id` may not arrive on the connection it came on; undefined when it may. */
export function laneMismatch(id: number, onLane: boolean): string | undefined {
  if (id === 0 || isLaneId(id) === onLane) return undefined;
  return onLane
    ? `stream ${id} arrived on the quiet lane, but its ID is the main connection's`
    : `stream ${id} arrived on the main connection, but its ID is the quiet lane's`;
}
