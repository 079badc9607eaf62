/**
 * A stranger on the relay who knows a node's ID: opens circuits straight to it (not to a pairing alias,
 * so the relay's rendezvous limit does not apply) and sends pairing hellos with junk tags.
 */
import { encodePairHello, refusalError } from '../../src-main/protocol/pairing-wire.js';
import { testIdentity } from './identities.js';
import { connectedClient, nextFrame, within } from './relay-harness.js';

/** One outcome per attempt: `code-invalid`, `rate-limited N` (seconds), or what else happened. */
export async function attackPairing(relayUrl: string, target: string, attempts: number): Promise<string[]> {
  const client = await connectedClient(relayUrl, await testIdentity(`pair-attacker-${Date.now()}`));
  const outcomes: string[] = [];
  try {
    for (let i = 0; i < attempts; i++) {
      const circuit = await client.openCircuit(target, 5000);
      circuit.send(encodePairHello(`ZZZ${i % 10}`));
      const answer = await within('the issuer’s answer', nextFrame(circuit)).catch((e: Error) => e);
      circuit.close();
      if (answer instanceof Error) {
        outcomes.push(answer.message);
        continue;
      }
      const err = refusalError(answer);
      const wait = /retry in (\d+) s/.exec(err?.message ?? '');
      outcomes.push(
        err?.code === 'BAD_PAIR_CODE' ? 'code-invalid' : wait ? `rate-limited ${wait[1]}` : String(err),
      );
    }
  } finally {
    client.stop();
  }
  return outcomes;
}
