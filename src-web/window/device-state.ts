/**
 * A paired device as the window's peer card shows it (the contract's PeerInfo), from what the browser
 * node knows: the device it paired with and whether its end-to-end link to it is up, and if not, why
 * (ADR 0094). A browser reaches a device only through the relay, grants it nothing, and is told
 * nothing of its addresses. Pure: test/unit/browser-window/ checks the words.
 */
import type { PeerInfo, PeerState } from '../../src-main/api/contract.js';
import type { PairedDevice } from '../node/store.js';

/** Where this browser's link to one device stands. */
export type LinkState =
  /** Not tried since the page opened. */
  | { kind: 'unknown'; since: string }
  | { kind: 'up'; since: string }
  | { kind: 'down'; since: string; reason: string; refusal?: string };

/** Refusals after which the device will not take this browser again without a new pairing. */
const REFUSED = new Set(['REMOVED', 'NOT_APPROVED']);

/** Reasons that say the relay itself is out of reach, not the device: the network, or the relay. */
const RELAY_DOWN =
  /cannot reach the relay|relay closed the connection|relay connection is closed|did not authenticate|refused this browser/;

/** The card's state and its one line, from the link's. */
export function stateOf(link: LinkState): { state: PeerState; detail: string | null } {
  if (link.kind === 'up') return { state: 'online', detail: null };
  if (link.kind === 'unknown')
    return { state: 'offline', detail: 'not reached yet: connecting through the relay…' };
  if (link.refusal !== undefined && REFUSED.has(link.refusal))
    return {
      state: 'refused',
      detail:
        link.refusal === 'REMOVED'
          ? 'removed this browser: pair again to use it'
          : 'has not approved this browser',
    };
  if (RELAY_DOWN.test(link.reason)) return { state: 'unreachable', detail: link.reason };
  // The relay answered, but the device is not on it now (asleep, off, or on another relay).
  return { state: 'offline', detail: `not on the relay now (${link.reason})` };
}

/** The device as a peer card shows it. */
export function peerInfoOf(device: PairedDevice, link: LinkState): PeerInfo {
  const { state, detail } = stateOf(link);
  const online = state === 'online';
  return {
    name: device.name,
    fingerprint: device.fingerprint,
    online,
    state,
    stateDetail: detail,
    // Always the relay: a browser has no other path, so there is no "why relayed?" to answer.
    relayReason: null,
    path: online ? 'relay' : null,
    address: online ? device.relayUrl : null,
    listenAddress: null,
    linkFrom: online ? { dialedBy: 'us', remote: device.relayUrl } : null,
    relay: online ? device.relayUrl : null,
    relaySpliced: online ? false : null,
    links: online ? ['relay'] : [],
    rttMs: null,
    since: link.since,
    kind: 'node',
    // A browser grants a device nothing; what the device grants it (terminal) it does not read.
    allow: [],
    theyAllow: null,
    mine: false,
    theyMarkMine: null,
    introducedBy: null,
    forwardTo: null,
    route: null,
    listenOn: null,
    addresses: [],
  };
}
