/**
 * What a screen reader is told when peers change on the Peers view: a few words per peer whose state
 * or path changed ("b is offline", "b is online via relay"), computed between what was last announced
 * and what holds now, so a peer that flapped and came back in between says nothing. Pure, so it is
 * unit-tested; the view (PeersView.tsx) decides when to compare.
 */
import type { PeerInfo } from '../../src-main/api/contract.js';
import { peerState } from './peer-text.js';

/** How long peer changes are gathered before they are said at once, in ms (a status burst is one). */
export const PEER_NEWS_MS = 1_000;

/** What an announcement depends on, per peer fingerprint. */
export type PeerSeen = ReadonlyMap<string, { name: string; state: string; path: string | null }>;

export function seePeers(peers: readonly PeerInfo[]): PeerSeen {
  return new Map(
    peers.map((p) => {
      const state = peerState(p);
      return [p.fingerprint, { name: p.name, state, path: state === 'online' ? p.path : null }];
    }),
  );
}

const STATE_WORDS: Record<string, string> = {
  waiting: 'waiting for their approval',
  refused: 'refused by them',
};

/** The sentences for what changed from `before` to `now`; peers that came or went are not news here. */
export function peerNews(before: PeerSeen, now: PeerSeen): string[] {
  const out: string[] = [];
  for (const [fp, p] of now) {
    const was = before.get(fp);
    if (!was || (was.state === p.state && was.path === p.path)) continue;
    if (p.state === 'online') out.push(p.path ? `${p.name} is online via ${p.path}` : `${p.name} is online`);
    else out.push(`${p.name} is ${STATE_WORDS[p.state] ?? p.state}`);
  }
  return out;
}
