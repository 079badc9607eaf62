/**
 * A Link is a secure, ordered, reliable frame channel to one authenticated peer (architecture.md §Rules the code keeps). Direct TLS
 * and relay circuits (E2E channel) both yield a Link; nothing above this interface knows how bytes travel.
 */
import type { Disposer } from '../core/emitter.js';

/** `route`: an E2E channel through other peers that relay for this node (docs/adr/0017-multi-hop-routes.md). */
export type PathKind = 'direct' | 'relay' | 'route';

export interface Link {
  /** Fingerprint of the authenticated peer (checked against the pin before the Link exists). */
  readonly peerId: string;
  readonly path: PathKind;
  /** Where the bytes go: `127.0.0.1:41234` for direct, the relay URL for relay, `via b → c` for route. */
  readonly remote: string;
  /** True when this side dialed; used to break ties when both sides connect at once. */
  readonly initiator: boolean;
  /**
   * On a direct link the peer dialed: the token of the quiet lane it says this connection is
   * (lane-token.ts, docs/adr/0042-quiet-lane.md); such a link joins that link and is never one itself.
   */
  readonly laneToken?: string;
  /**
   * Queues one frame (at most MAX_LINK_FRAME bytes). Returns false when the link's outgoing buffer is
   * above its high-water mark; the caller should wait for `onDrain` before sending more bulk data.
   */
  send(frame: Uint8Array): boolean;
  onFrame(listener: (frame: Uint8Array) => void): Disposer;
  onDrain(listener: () => void): Disposer;
  /** Fires once, with the reason when the link failed (undefined after a clean local close). */
  onClose(listener: (error?: Error) => void): Disposer;
  readonly closed: boolean;
  close(reason?: string): void;
}

/** Largest frame a Link carries; mux frames fit in this with their header. */
export const MAX_LINK_FRAME = 64 * 1024 + 64;

/**
 * An optional capability of a Link: sending a frame given as two parts, `head ‖ body`, without the
 * caller joining them first. The Mux uses it for DATA frames (6-byte header, payload) when the link has
 * it, so no link copies a payload just to put a header in front of it.
 */
/**
 * A link that can hand over each received frame as the pieces it arrived in (SocketLink: a TLS socket
 * gives JavaScript 16 KiB at a time), so the mux delivers a DATA payload without copying it into one
 * buffer first. Once a listener is registered here, frames come only this way, never to `onFrame`.
 */
export interface PiecesLink {
  onFramePieces(listener: (pieces: readonly Buffer[]) => void): () => void;
}

export interface PartsLink {
  /**
   * Same contract as `Link.send(head ‖ body)`. Both parts must have been read when it returns: `body`
   * may be a view of an application buffer that is reused afterwards (Node's stream contract lets a
   * writer reuse its chunk once the write's callback ran, and the mux calls it right after this).
   */
  sendParts(head: Uint8Array, body: Uint8Array): boolean;
}
