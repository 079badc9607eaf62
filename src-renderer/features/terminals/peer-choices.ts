/**
 * Which peers the "New terminal" picker offers. Only a peer online now can open a terminal; the others
 * are listed too, disabled with their state ("b (offline)"), so the list explains itself, and with
 * none online the picker says why. Pure, so node:test checks it.
 */
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { peerState } from '../../lib/peer-text.js';

export interface PeerChoice {
  fingerprint: string;
  name: string;
  /** `b`, or `b (offline)` for a peer that cannot be reached now. */
  label: string;
  disabled: boolean;
}

export interface PeerChoices {
  /** Online peers first (in the agent's order), then the rest, disabled. */
  choices: PeerChoice[];
  /** Why nothing can be picked, or null when some peer can. */
  none: string | null;
}

export function peerChoices(
  peers: readonly Pick<PeerInfo, 'fingerprint' | 'name' | 'state' | 'online'>[],
): PeerChoices {
  const all = peers.map((p) => {
    const state = peerState(p as PeerInfo);
    const online = state === 'online';
    return {
      fingerprint: p.fingerprint,
      name: p.name,
      label: online ? p.name : `${p.name} (${state})`,
      disabled: !online,
    };
  });
  const choices = [...all.filter((c) => !c.disabled), ...all.filter((c) => c.disabled)];
  let none: string | null = null;
  if (peers.length === 0) none = 'No peers yet: pair a device first (Pair), then open a terminal on it.';
  else if (choices.every((c) => c.disabled)) {
    none = 'No peer is online now: a terminal needs a peer that is reachable. Peers shows why each is not.';
  }
  return { choices, none };
}
