/**
 * Each step of every pairing on this node, issuer's and joiner's alike, for the window's live progress
 * (API event `pairing`) and `pair.list`. Its own part so the two sides share it without knowing of
 * each other.
 */
import type { PairingEvent } from '../api/contract.js';
import { Emitter } from '../core/emitter.js';

export class PairingProgress {
  readonly events = new Emitter<{ step: [PairingEvent] }>();

  constructor(private readonly ownFingerprint: string) {}

  /** Announces a step, naming this node's fingerprint so the window can show both side by side. */
  step(event: PairingEvent): PairingEvent {
    const full = { ownFingerprint: this.ownFingerprint, ...event };
    this.events.emit('step', full);
    return full;
  }
}
