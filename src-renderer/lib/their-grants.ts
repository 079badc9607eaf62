/**
 * What a peer lets this device do there (`theyAllow`, docs/protocol.md §Grants), in the words the
 * window shows: the two directions side by side, and why a picker will not offer a peer for a service
 * it refuses. Unknown (null: not said yet, or an older peer) never refuses: the attempt tells.
 */
import type { PeerInfo, Permission } from '../../src-main/api/contract.js';

/**
 * What each permission opens, as the refusal names it ("does not allow terminals from this device").
 * Partial: a domain added later brings a word this list does not have yet, which reads as itself.
 */
const REFUSED_NOUN: { readonly [P in Permission]?: string } = {
  terminal: 'terminals',
  forward: 'forwards',
  relay: 'relaying',
  listen: 'reverse forwards',
  message: 'messages',
  files: 'files',
};

/**
 * `terminal, forward`, or `nothing`: always in the order of the permissions (REFUSED_NOUN lists every one,
 * in core/permissions.ts's order), whatever order the grants were given in.
 */
export function grantsText(allow: readonly Permission[]): string {
  const given = new Set(allow);
  const ordered = (Object.keys(REFUSED_NOUN) as Permission[]).filter((p) => given.has(p));
  return ordered.length > 0 ? ordered.join(', ') : 'nothing';
}

/** What the peer lets this device do, as the window words it: `terminal, forward`, or `not known yet`. */
export function theirGrantsText(peer: Pick<PeerInfo, 'theyAllow'>): string {
  return peer.theyAllow === null ? 'not known yet' : grantsText(peer.theyAllow);
}

/**
 * What `peer` said it refuses this device, for `permission`: `does not allow terminals from this
 * device`; null when it allows it or has not said (null theyAllow, or an older agent that sends none).
 */
export function refusal(
  peer: { theyAllow?: readonly Permission[] | null },
  permission: Permission,
): string | null {
  if (!peer.theyAllow || peer.theyAllow.includes(permission)) return null;
  return `does not allow ${REFUSED_NOUN[permission] ?? permission} from this device`;
}

/** The same, as a sentence naming the peer: `n3 does not allow terminals from this device`. */
export function refusedBecause(
  peer: Pick<PeerInfo, 'name'> & { theyAllow?: readonly Permission[] | null },
  permission: Permission,
): string | null {
  const why = refusal(peer, permission);
  return why === null ? null : `${peer.name} ${why}`;
}

/**
 * Every one of `permissions` the peer refuses this device, in one sentence: `n3 does not allow
 * terminals or forwards from this device`; null when it refuses none of them (or has not said).
 */
export function refusedAllBecause(
  peer: Pick<PeerInfo, 'name'> & { theyAllow?: readonly Permission[] | null },
  permissions: readonly Permission[],
): string | null {
  const refused = permissions.filter((p) => refusal(peer, p) !== null).map((p) => REFUSED_NOUN[p] ?? p);
  return refused.length === 0 ? null : `${peer.name} does not allow ${refused.join(' or ')} from this device`;
}
