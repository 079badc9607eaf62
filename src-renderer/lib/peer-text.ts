/**
 * The words shown for a peer's reachability: status is never colour alone, and
 * the path names where the bytes go (`direct 127.0.0.1:7475`, `relay (spliced) wss://…`).
 */
import type { PeerInfo } from '../../src-main/api/contract.js';
// Shared with the CLI (ADR 0015's exception): the one formatter for a path's words.
import { addressWithWhere, pathLabel } from '../../src-main/core/path-label.js';

export type PeerTone = 'ok' | 'warn' | 'down';

/** `online`, `waiting`, `refused`, `unreachable` or `offline` (older agents: from `online`). */
export function peerState(peer: PeerInfo): string {
  return peer.state ?? (peer.online ? 'online' : 'offline');
}

export function peerTone(peer: PeerInfo): PeerTone {
  const state = peerState(peer);
  if (state === 'online') return 'ok';
  if (state === 'waiting' || state === 'unreachable') return 'warn';
  return 'down';
}

/**
 * `direct 127.0.0.1:7475`, `relay (spliced) wss://relay:8443` — the path in the CLI's words
 * (core/path-label.ts), then where it reaches the peer — or the state's own words when not online.
 */
export function pathText(peer: PeerInfo): string {
  if (peerState(peer) === 'online' && peer.path) {
    const where =
      peer.path === 'relay'
        ? (peer.relay ?? peer.address)
        : peer.address && addressWithWhere(peer.address, peer.addressWhere);
    const words = pathLabel(peer);
    return where ? `${words} ${where}` : words;
  }
  return peer.stateDetail ?? peerState(peer);
}

/** `12 ms`, or null when unknown. */
export function rttText(peer: PeerInfo): string | null {
  return peer.rttMs === null ? null : `${Math.max(1, Math.round(peer.rttMs))} ms`;
}
