/**
 * The joiner's side of a rendezvous (pairing, a group invitation): the circuit to the code's issuer,
 * and its frames as they come, one at a time, each within a deadline. A code nobody waits for, a
 * circuit that closes or an answer that does not come in time ends it with the caller's words for it.
 */
import { BrowserNodeError } from './bytes.js';
import { rendezvousAlias } from './pairing.js';
import type { BrowserCircuit, RelayConnection } from './relay-connection.js';

/**
 * The circuit to whoever waits for the code whose tag is `tag` on the relay at `relayUrl`.
 * @throws (rejects) BrowserNodeError('BAD_PAIR_CODE') when nobody waits for it there (`what`, e.g.
 * `code`, is said invalid or expired, as `pair join` says it); ('PAIRING_FAILED') with the relay's
 * reason when the relay refused the circuit (too many attempts, the relay gone).
 */
export async function openRendezvous(
  relay: Pick<RelayConnection, 'openCircuit'>,
  tag: string,
  relayUrl: string,
  what: string,
): Promise<BrowserCircuit> {
  try {
    return await relay.openCircuit(rendezvousAlias(tag));
  } catch (err) {
    const e = err as BrowserNodeError;
    if (e.code === 'PEER_OFFLINE')
      throw new BrowserNodeError(
        'BAD_PAIR_CODE',
        `${what} invalid or expired: nobody on ${relayUrl} is waiting for it (a typo, a code shown on another relay, or its device went offline)`,
      );
    throw new BrowserNodeError(
      'PAIRING_FAILED',
      `the relay would not connect this browser to the ${what}'s device: ${e.message}`,
    );
  }
}

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
