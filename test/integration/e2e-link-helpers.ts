/** Connects two E2E Links over an in-memory circuit pair; shared by the e2e-link integration tests. */
import { generateIdentity } from '../../src-main/crypto/identity.js';
import type { SessionOptions } from '../../src-main/crypto/records.js';
import { secureCircuit } from '../../src-main/transport/e2e-link.js';
import type { Link } from '../../src-main/transport/link.js';
import { createCircuitPair, type CircuitPairOptions, type MemoryCircuit } from '../helpers/circuit-pair.js';

export const [alice, bob, mallory] = await Promise.all([
  generateIdentity('alice'),
  generateIdentity('bob'),
  generateIdentity('mallory'),
]);

export interface Connected {
  a: Link;
  b: Link;
  circuits: { initiator: MemoryCircuit; responder: MemoryCircuit };
}

/** Alice opens a circuit to Bob and both secure it. */
export async function connect(pair: CircuitPairOptions = {}, session?: SessionOptions): Promise<Connected> {
  const circuits = createCircuitPair({
    initiatorId: alice.fingerprint,
    responderId: bob.fingerprint,
    ...pair,
  });
  const [a, b] = await Promise.all([
    secureCircuit(circuits.initiator, {
      identity: alice,
      expectedPeer: bob.fingerprint,
      ...(session ? { session } : {}),
    }),
    secureCircuit(circuits.responder, {
      identity: bob,
      verifyPeer: () => {},
      ...(session ? { session } : {}),
    }),
  ]);
  return { a, b, circuits };
}

/** Resolves with the error (or undefined) a Link closes with. */
export function closed(link: Link): Promise<Error | undefined> {
  return new Promise((resolve) => {
    if (link.closed) resolve(new Error('already closed'));
    link.onClose(resolve);
  });
}

/** Collects frames delivered on `link` as text. */
export function collect(link: Link): string[] {
  const frames: string[] = [];
  link.onFrame((f) => frames.push(new TextDecoder().decode(f)));
  return frames;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Waits for pending setImmediate deliveries of the circuit pair to run. */
export function settle(rounds = 5): Promise<void> {
  return new Promise((resolve) => {
    const step = (n: number): void => {
      if (n === 0) resolve();
      else setImmediate(() => step(n - 1));
    };
    step(rounds);
  });
}
