/**
 * A relay circuit: an opaque, ordered frame pipe between this node and one other node through a relay.
 * The relay authenticated both ends to itself, but nothing on a circuit is trusted until the E2E
 * handshake (transport/e2e-link.ts) has proven the peer's identity; `claimedPeerId` is only a routing hint.
 */
import type { Disposer } from '../core/emitter.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { SpliceJoin } from '../protocol/relay-splice.js';

export interface Circuit {
  /** Node ID the relay says is on the other end (unverified until the E2E handshake). */
  readonly claimedPeerId: string;
  /** The relay's URL, for status display. */
  readonly relayUrl: string;
  /** True when this node opened the circuit. */
  readonly initiator: boolean;
  /** Returns false when buffered data is above the high-water mark; wait for onDrain. */
  send(frame: Uint8Array): boolean;
  onFrame(listener: (frame: Uint8Array) => void): Disposer;
  onDrain(listener: () => void): Disposer;
  /** Fires once; `error` explains why the circuit ended when it was not closed locally. */
  onClose(listener: (error?: Error) => void): Disposer;
  readonly closed: boolean;
  /** Ends the circuit; `refusal` tells the other node why in a machine-readable way (a link refusal). */
  close(reason?: string, refusal?: RefusalCode): void;
  /**
   * Tells the relay that this end agrees to splice the circuit under `token` (relay/splices.ts), and
   * says how the relay takes the splice's connection. Undefined when the relay did not announce splices
   * (or this is no relay circuit): then nothing was sent.
   */
  offerSplice?(token: Uint8Array): SpliceJoin | undefined;
}
