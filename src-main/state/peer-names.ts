/**
 * Peer names are how commands refer to peers (`clawbridge term b`), so no two may read the same: not
 * the same letters in another Unicode normalization (`é` as one code point or as `e` + accent), not the
 * same letters in another case (`b` and `B`), not look-alikes (`bob` and `bоb` with a Cyrillic о, or
 * with an invisible character: confusableKey in core/names.ts), and not the start of another peer's fingerprint, which a
 * command would take for that peer (peer-api.ts resolvePeer).
 */
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { confusableKey, MAX_NODE_NAME_BYTES } from '../core/names.js';

interface NamedPeer {
  name: string;
  fingerprint: string;
}

/**
 * `ref` read as the start of a fingerprint (4 to 64 hex digits, any case, with spaces, colons or dashes
 * between groups), compact and lower-case; undefined when it cannot be one.
 */
export function fingerprintPrefix(ref: string): string | undefined {
  const compact = ref.replace(/[\s:-]/g, '').toLowerCase();
  return /^[0-9a-f]{4,64}$/.test(compact) ? compact : undefined;
}

/** The form a name a command gives is looked up in (peer-api.ts resolvePeer). */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/** What makes `name` unusable for the peer `fingerprint` among `peers`, or undefined. */
export function peerNameClash(
  peers: readonly NamedPeer[],
  name: string,
  fingerprint: string,
): string | undefined {
  const others = peers.filter((p) => p.fingerprint !== fingerprint);
  // Look-alikes count as the same name (`bоb` with a Cyrillic о reads as `bob`): core/names.ts.
  const key = confusableKey(name);
  const same = others.find((p) => confusableKey(p.name) === key);
  if (same) {
    const spelled = same.name === name ? '' : ` as '${same.name}'`;
    return `a peer named '${name}' already exists${spelled} (${same.fingerprint.slice(0, 8)}); pick another name`;
  }
  const hex = fingerprintPrefix(name);
  const owner = hex !== undefined ? others.find((p) => p.fingerprint.startsWith(hex)) : undefined;
  if (owner) {
    return `'${name}' is the start of the fingerprint of peer '${owner.name}' (${abbreviateFingerprint(owner.fingerprint)}), so commands would take it for that peer; pick another name`;
  }
  return undefined;
}

/**
 * A local name for a new peer: the name it gave, or `name-2`, `name-3`… when that would clash with
 * another peer's (peerNameClash).
 */
export function uniquePeerName(peers: readonly NamedPeer[], wanted: string, fingerprint: string): string {
  let name = wanted;
  for (let i = 2; peerNameClash(peers, name, fingerprint) !== undefined; i++)
    name = withSuffix(wanted, `-${i}`);
  return name;
}

/** `name` + `suffix`, the name shortened (by whole characters) so the whole still fits a node name. */
function withSuffix(name: string, suffix: string): string {
  const chars = [...name];
  while (chars.length > 1 && Buffer.byteLength(chars.join('') + suffix) > MAX_NODE_NAME_BYTES) chars.pop();
  return chars.join('') + suffix;
}
