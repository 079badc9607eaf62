/**
 * Frames as they come on a relay circuit, one at a time, each within a deadline: the joiner's side of
 * a rendezvous (pairing, a group invitation) reads its peer's answers with it. A circuit that closes
 * or an answer that does not come in time ends the read with the caller's words for it.
 */
import { BrowserNodeError } from './bytes.js';
import type { BrowserCircuit } from './relay-connection.js';

export interface ReaderWords {
  /** Said before `the circuit closed (why)`, e.g. `pairing failed`. */
  readonly failed: string;
  /** Said when the deadline passes. */
  readonly timedOut: string;
}

export function circuitReader(
  circuit: BrowserCircuit,
  words: ReaderWords,
): (timeoutMs: number) => Promise<Uint8Array> {
  const frames: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  let closedWith: string | undefined;
  circuit.onFrame((f) => {
    frames.push(f);
    wake?.();
  });
  circuit.onClose((reason) => {
    closedWith = reason;
    wake?.();
  });
  return async (timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (frames.length === 0) {
      if (closedWith !== undefined)
        throw new BrowserNodeError('PAIRING_FAILED', `${words.failed}: the circuit closed (${closedWith})`);
      if (Date.now() >= deadline) throw new BrowserNodeError('TIMEOUT', words.timedOut);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
    return frames.shift()!;
  };
}
