/**
 * The forward manager's side of listing connections: a front end names the exit peer as the client
 * did (a SOCKS user name, a forward's `via`); the table lists it by name and fingerprint.
 */
import type { PeerDirectory } from '../links/ports.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import type { TrackConnection } from './track-connection.js';

/** A TrackConnection over `connections`, or undefined when nothing lists connections. */
export function trackerFor(
  connections: ConnectionsOpened | undefined,
  links: Pick<PeerDirectory, 'peerEntries'>,
): TrackConnection | undefined {
  if (!connections) return undefined;
  return ({ peer, ...c }) => {
    const entry = links.peerEntries().find((e) => e.record.name === peer || e.fingerprint === peer);
    return connections.open({
      ...c,
      peer: entry ? { name: entry.record.name, fingerprint: entry.fingerprint } : undefined,
    });
  };
}
