/**
 * API methods about the owner's devices (ADR 0056): marking a peer as one of them, removing
 * one from all of them, and the `mine` option of adding, approving and joining. Each takes only the
 * parts it uses.
 */
import type { MethodParams, MethodResults, PeerInfo } from '../api/contract.js';
import type { DeviceJoinedEvent } from '../api/contract-mine.js';
import type { Disposer } from '../core/emitter.js';
import type { Introductions } from '../pairing/introductions.js';
import { resolvePeer } from '../links/resolve-peer.js';
import { peerInfo, type PeersDeps } from './peer-api.js';

export interface MineDeps {
  readonly links: PeersDeps['links'];
  readonly notices: PeersDeps['notices'];
  readonly introductions: Pick<Introductions, 'markMine' | 'revoke'>;
}

function infoOf(deps: Pick<MineDeps, 'links'>, fingerprint: string): PeerInfo {
  return peerInfo(deps.links.stateSource(), deps.links.peerEntry(fingerprint)!);
}

/** `peers.mine`: marks the peer as one of the owner's devices, or not. */
export function setMine(deps: MineDeps, p: MethodParams<'peers.mine'>): PeerInfo {
  const entry = resolvePeer(deps.links, p.peer);
  deps.introductions.markMine(entry.fingerprint, p.on);
  deps.notices.changed();
  return infoOf(deps, entry.fingerprint);
}

/**
 * `peers.revoke` and `peers.remove`: forgets the peer here and, when it is one of the owner's
 * devices, on all the others (a signed removal they keep).
 */
export function revokePeer(deps: MineDeps, ref: string): MethodResults['peers.revoke'] {
  const entry = resolvePeer(deps.links, ref);
  const { name, fingerprint } = entry.record;
  const everywhere = deps.introductions.revoke(fingerprint);
  deps.notices.changed();
  return { name, fingerprint, everywhere };
}

/** Marks a peer just added, approved or joined as mine when `mine` asked for it; its info. */
export function thenMine<T extends { fingerprint: string }>(
  deps: MineDeps,
  mine: boolean | undefined,
  result: T,
): T {
  if (mine === true) {
    deps.introductions.markMine(result.fingerprint, true);
    deps.notices.changed();
  }
  return result;
}

/** The `device.joined` event's source: each device an introduction added here. */
export function joinedSource(
  introductions: Pick<Introductions, 'events'>,
): (listener: (e: DeviceJoinedEvent) => void) => Disposer {
  return (listener) =>
    introductions.events.on('joined', (j) =>
      listener({
        name: j.name,
        fingerprint: j.fingerprint,
        introducedBy: { name: j.byName, fingerprint: j.by },
      }),
    );
}
