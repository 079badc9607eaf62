/**
 * Which peers the "New terminal" picker offers. Only a peer online now that has not said it refuses
 * terminals to this device can open one; the others are listed too, disabled with why ("b (offline)",
 * "n3 (does not allow terminals from this device)"), so the list explains itself, and with none
 * to pick the picker says why. A peer that has not said what it grants stays a choice. Pure, so
 * node:test checks it.
 */
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { peerState } from '../../lib/peer-text.js';
import { refusal } from '../../lib/their-grants.js';
import { TERMINALS_PERMISSIONS } from './terminals-permissions.js';

export interface PeerChoice {
  fingerprint: string;
  name: string;
  /** `b`; `b (offline)` for a peer that cannot be reached now; `b (does not allow terminals from this device)`. */
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
  peers: readonly (Pick<PeerInfo, 'fingerprint' | 'name' | 'state' | 'online'> & {
    theyAllow?: PeerInfo['theyAllow'];
  })[],
): PeerChoices {
  const all = peers.map((p) => {
    const state = peerState(p as PeerInfo);
    const online = state === 'online';
    const why = !online ? state : refusal(p, 'terminal', TERMINALS_PERMISSIONS);
    return {
      fingerprint: p.fingerprint,
      name: p.name,
      label: why === null ? p.name : `${p.name} (${why})`,
      disabled: why !== null,
      online,
    };
  });
  const ordered = [...all.filter((c) => !c.disabled), ...all.filter((c) => c.disabled)];
  const choices = ordered.map(({ online: _online, ...c }) => c);
  let none: string | null = null;
  if (peers.length === 0) none = 'No peers yet: pair a device first (Pair), then open a terminal on it.';
  else if (all.every((c) => !c.online)) {
    none = 'No peer is online now: a terminal needs a peer that is reachable. Peers shows why each is not.';
  } else if (all.every((c) => c.disabled)) {
    none =
      'No online peer allows terminals from this device: its owner can allow them there. Peers shows what each allows.';
  }
  return { choices, none };
}
