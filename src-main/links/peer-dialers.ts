/**
 * How each path to one peer is dialed (the PeerPaths a new entry's retriers call, peer-entry.ts): direct
 * to the addresses it is known at, unless direct dialing is off here or the peer has a saved route;
 * through its home relay, unless a punched direct link holds the relay path at rest; through its saved
 * route. What comes up is handed to the link set to put to work.
 */
import type { Logger } from 'pino';
import type { Identity } from '../crypto/identity.js';
import type { Relays } from '../relay-clients/relays.js';
import type { NodeState } from '../state/node-state.js';
import type { Notifier } from '../state/notices.js';
import type { Observations } from '../state/observations.js';
import type { Link } from '../transport/link.js';
import { dialDirectPath, dialRelayPath } from './path-dialers.js';
import type { PeerEntry, PeerPaths } from './peer-entry.js';
import type { PeerReach } from './peer-reach.js';
import type { PunchedHandover } from './punched-handover.js';
import { dialRoutePath } from './route-dialer.js';

export interface PeerDialersDeps {
  identity: Identity;
  log: Logger;
  state: Pick<NodeState, 'get'>;
  observations: Pick<Observations, 'worked'>;
  notices: Pick<Notifier, 'changed'>;
  relays: Pick<Relays, 'dialer'>;
  reach: Pick<PeerReach, 'addressBook' | 'homeRelay' | 'activePath'>;
  handover: Pick<PunchedHandover, 'holdsRelay'>;
  /** This node's name, as a route's hops are told it. */
  name(): string;
  /** The entry of a peer, for a route through it. */
  peerEntry(fingerprint: string): PeerEntry | undefined;
  attach(link: Link): void;
}

/** The paths of the peer `fp`; `peerName` names it in the log (the entry's record, read as it is then). */
export function peerDialers(deps: PeerDialersDeps, fp: string, peerName: () => string): PeerPaths {
  return {
    // A peer with a saved route is dialed through it alone.
    dialDirect: (e) =>
      deps.state.get().listen === null || e.record.route
        ? Promise.resolve(undefined)
        : dialDirectPath(deps.identity, { ...e.record, addresses: deps.reach.addressBook(fp) }, (address) =>
            deps.observations.worked(fp, address),
          ),
    dialRelay: (e) => {
      if (e.record.route || deps.handover.holdsRelay(e)) return Promise.resolve(undefined);
      const homeRelay = deps.reach.homeRelay(fp);
      return dialRelayPath(deps.identity, deps.relays.dialer, {
        fingerprint: fp,
        ...(homeRelay ? { homeRelay } : {}),
      });
    },
    dialRoute: (e) =>
      dialRoutePath(
        {
          identity: deps.identity,
          name: () => deps.name(),
          peerEntry: (fp) => deps.peerEntry(fp),
          activePath: (hop) => deps.reach.activePath(hop),
        },
        e.record,
      ),
    attach: (l) => deps.attach(l),
    onError: (path, message, repeated) => {
      deps.log.debug({ peer: peerName(), path }, `link attempt failed: ${message}`);
      // The peer's state line says why (peer-state.ts). A peer that is switched off fails the same
      // way every 30 s per path: with 90 of them, telling every listener (status events,
      // introductions, messages, files, each looking over all peers) each time was about a third of an
      // idle agent's CPU (ADR 0062).
      if (!repeated) deps.notices.changed();
    },
  };
}
