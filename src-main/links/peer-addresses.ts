/**
 * Where peers can be dialed directly: addresses learned from hellos and LAN announcements, and the
 * LAN side of pairing (finding an issuer by its code's tag and opening a `pair` stream to it).
 */
import type { Logger } from 'pino';
import { Mux } from '../mux/mux.js';
import type { Circuit } from '../transport/circuit.js';
import { dialDirect, type TlsIdentity } from '../transport/direct.js';
import { streamCircuit } from '../transport/stream-circuit.js';
import type { PeerEntry } from './peer-entry.js';
import type { LanDiscovery } from './lan-discovery.js';
import { PAIR_SERVICE } from './pending-links.js';
import type { ObservedSource, Observations } from '../state/observations.js';

/** How long a joiner looks for an issuer's announcement on the LAN, in ms. */
export const LAN_SEARCH_MS = 4000;

/**
 * Takes the direct addresses a peer named: its hello (where it listens now; `peers` shows the first,
 * peer-state.ts describePeerAddress) or a LAN announcement, merged into what this node observed of it
 * (observations.ts; never config.json). When a hello's addresses differ from what it announced before
 * (it restarted on another port, or with no listener), the direct path's last dial failure is
 * forgotten: it was about where the peer no longer listens.
 * @returns true when something new was learned
 */
export function learnPeerAddresses(
  observations: Pick<Observations, 'learn'>,
  entry: Pick<PeerEntry, 'record' | 'announcedAddresses'> & {
    direct: Pick<PeerEntry['direct'], 'forgetFailure'>;
  },
  addresses: string[],
  source: ObservedSource = 'hello',
): boolean {
  if (source === 'hello') {
    if (entry.announcedAddresses?.join() !== addresses.join()) entry.direct.forgetFailure();
    entry.announcedAddresses = addresses;
  }
  return observations.learn(entry.record.fingerprint, addresses, source);
}

/**
 * Looks for an issuer of `tag` on the LAN for up to LAN_SEARCH_MS and opens a `pair` stream to it over a
 * direct link pinned to the announced fingerprint (the PAKE then authenticates that certificate).
 */
export async function dialLanIssuer(
  lan: LanDiscovery,
  tag: string,
  self: { identity: TlsIdentity; log: Logger; addresses: string[] },
): Promise<Circuit | undefined> {
  const deadline = Date.now() + LAN_SEARCH_MS;
  let found = lan.withTag(tag);
  while (found.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    found = lan.withTag(tag);
  }
  for (const s of found) {
    for (const address of s.addresses) {
      try {
        const link = await dialDirect({ identity: self.identity, address, expectedPeer: s.fingerprint });
        const mux = new Mux(link, {});
        const stream = await mux.open(PAIR_SERVICE, { addresses: self.addresses });
        stream.on('close', () => mux.close('pairing finished'));
        return streamCircuit(stream, { peerId: s.fingerprint, remote: address, initiator: true });
      } catch (err) {
        self.log.info({ address }, `LAN pairing dial failed: ${(err as Error).message}`);
      }
    }
  }
  return undefined;
}
