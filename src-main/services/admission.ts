/**
 * Who may link to this node (architecture.md §Pairing and approval): peers link; other nodes may only
 * say hello and become pending (pending-links.ts); nodes the owner removed or rejected are refused
 * outright. Read from the node state at the moment a node knocks.
 */
import { abbreviateFingerprint } from '../core/fingerprint.js';
import type { Refusal } from '../core/refusal-codes.js';
import type { NodeStateReader } from '../state/node-state.js';

/** A refusal reason for `fingerprint`, or undefined to let the node in. */
export function admission(state: Pick<NodeStateReader, 'get' | 'peer' | 'isBlocked'>) {
  return (fingerprint: string): Refusal | undefined => {
    if (state.peer(fingerprint)) return undefined;
    if (!state.isBlocked(fingerprint)) return undefined;
    const name = state.get().name ?? 'clawbridge';
    return {
      code: 'REMOVED',
      reason: `node ${abbreviateFingerprint(fingerprint)} was removed by ${name}; to connect again, pair with a new code from its owner`,
    };
  };
}
