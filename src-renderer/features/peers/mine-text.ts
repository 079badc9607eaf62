/**
 * Words for a peer marked as one of the owner's devices (ADR 0056) on its card: the badge, and what it
 * says about the other side. Pure, so it is unit-tested without a window.
 */
import type { PeerInfo } from '../../../src-main/api/contract.js';

/**
 * The badge: null for a peer that is not marked mine; `mine` once both sides mark each other (or
 * before that is known); `mine, one-sided` while the other side has not marked this device.
 */
export function mineBadge(peer: Pick<PeerInfo, 'mine' | 'theyMarkMine'>): string | null {
  if (!peer.mine) return null;
  return peer.theyMarkMine === false ? 'mine, one-sided' : 'mine';
}

/** `introduced by desk`, with the introducer's name when it is a peer here, else its short fingerprint. */
export function introducedText(
  peer: Pick<PeerInfo, 'introducedBy'>,
  peers: readonly Pick<PeerInfo, 'name' | 'fingerprint'>[],
): string | null {
  if (peer.introducedBy === null) return null;
  const by = peers.find((p) => p.fingerprint === peer.introducedBy)?.name ?? peer.introducedBy.slice(0, 8);
  return `introduced by ${by}`;
}
