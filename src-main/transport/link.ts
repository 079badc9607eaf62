/**
 * A Link is a secure, ordered, reliable frame channel to one authenticated peer (STYLE §4). Direct TLS
 * and relay circuits (E2E channel) both yield a Link; nothing above this interface knows how bytes travel.
 */
import type { Disposer } from '../core/emitter.js';

export type PathKind = 'direct' | 'relay';

export interface Link {
  /** Fingerprint of the authenticated peer (checked against the pin before the Link exists). */
  readonly peerId: string;
  readonly path: PathKind;
  /** Where the bytes go: `127.0.0.1:41234` for direct, the relay URL for relay. */
  readonly remote: string;
  /** True when this side dialed; used to break ties when both sides connect at once. */
  readonly initiator: boolean;
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
