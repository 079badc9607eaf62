/**
 * What a peer lets this device do there (`theyAllow`, docs/protocol.md §Grants), in the words the
 * window shows: the two directions side by side, and why a picker will not offer a peer for a service
 * it refuses. Unknown (null: not said yet, or an older peer) never refuses: the attempt tells. The
 * words for each permission are the registered features' (features/permission-words.ts), passed in.
 */
import type { PeerInfo } from '../../src-main/api/contract.js';
import type { PermissionWord } from '../features/permission-words.js';

/** What `permission` opens, as a refusal names it (`terminals`); a word no feature explains, as is. */
function refusedNoun(words: readonly PermissionWord[], permission: string): string {
  return words.find((w) => w.word === permission)?.refused ?? permission;
}

/**
 * `terminal, forward`, or `nothing`: always in the order of the permission words, whatever order the
 * grants were given in; a word no feature explains comes last, as given.
 */
export function grantsText(allow: readonly string[], words: readonly PermissionWord[]): string {
  const given = new Set(allow);
  const known = words.map((w) => w.word).filter((p) => given.has(p));
  const ordered = [...known, ...allow.filter((p) => !known.includes(p))];
  return ordered.length > 0 ? ordered.join(', ') : 'nothing';
}

/** What the peer lets this device do, as the window words it: `terminal, forward`, or `not known yet`. */
export function theirGrantsText(peer: Pick<PeerInfo, 'theyAllow'>, words: readonly PermissionWord[]): string {
  return peer.theyAllow === null ? 'not known yet' : grantsText(peer.theyAllow, words);
}

/**
 * What `peer` said it refuses this device, for `permission`: `does not allow terminals from this
 * device`; null when it allows it or has not said (null theyAllow, or an older agent that sends none).
 */
export function refusal(
  peer: { theyAllow?: readonly string[] | null },
  permission: string,
  words: readonly PermissionWord[],
): string | null {
  if (!peer.theyAllow || peer.theyAllow.includes(permission)) return null;
  return `does not allow ${refusedNoun(words, permission)} from this device`;
}

/** The same, as a sentence naming the peer: `n3 does not allow terminals from this device`. */
export function refusedBecause(
  peer: Pick<PeerInfo, 'name'> & { theyAllow?: readonly string[] | null },
  permission: string,
  words: readonly PermissionWord[],
): string | null {
  const why = refusal(peer, permission, words);
  return why === null ? null : `${peer.name} ${why}`;
}

/**
 * Every one of `permissions` the peer refuses this device, in one sentence: `n3 does not allow
 * terminals or forwards from this device`; null when it refuses none of them (or has not said).
 */
export function refusedAllBecause(
  peer: Pick<PeerInfo, 'name'> & { theyAllow?: readonly string[] | null },
  permissions: readonly string[],
  words: readonly PermissionWord[],
): string | null {
  const refused = permissions
    .filter((p) => refusal(peer, p, words) !== null)
    .map((p) => refusedNoun(words, p));
  return refused.length === 0 ? null : `${peer.name} does not allow ${refused.join(' or ')} from this device`;
}
