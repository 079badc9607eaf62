/**
 * Finding a peer's entry by what a person typed: its name, its whole fingerprint or a unique prefix. Used
 * by the API's peer methods and by the services that open streams to a peer (terminal, forwards).
 */
import { ClawError } from '../core/errors.js';
import { hereHint, commandIn } from '../core/hint.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import type { PeerDirectory, ReadonlyPeerEntry } from './ports.js';
import { fingerprintPrefix, nameKey } from '../state/peer-names.js';

/** Finds a peer by name, full fingerprint (any formatting) or a unique fingerprint prefix. */
export function resolvePeer(
  agent: Pick<PeerDirectory, 'peerEntries'> & Partial<Pick<PeerDirectory, 'self'>>,
  ref: string,
): ReadonlyPeerEntry {
  const entries = agent.peerEntries();
  const prefix = fingerprintPrefix(ref);
  const byFingerprint =
    prefix !== undefined ? entries.filter((e) => e.record.fingerprint.startsWith(prefix)) : [];
  // A whole fingerprint is the machine itself: a peer that calls itself by another's fingerprint
  // (names are chosen by their nodes) must not receive what was meant for that machine.
  if (prefix?.length === 64 && byFingerprint.length === 1) return byFingerprint[0]!;
  // The name as typed; else as compared (peer-names.ts: `B` for `b`, another Unicode normalization).
  const exact = entries.filter((e) => e.record.name === ref);
  const byName = exact.length > 0 ? exact : entries.filter((e) => nameKey(e.record.name) === nameKey(ref));
  if (byName.length === 1) {
    const other = byFingerprint.find((e) => e !== byName[0]);
    if (other) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `'${ref}' is the name of one peer (${abbreviateFingerprint(byName[0]!.record.fingerprint)}) and the start of another's fingerprint (${abbreviateFingerprint(other.record.fingerprint)}); give the whole fingerprint`,
      );
    }
    return byName[0]!;
  }
  if (byName.length > 1) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `'${ref}' could be ${byName.map((e) => `'${e.record.name}'`).join(' or ')}; type the name as it is spelled`,
    );
  }
  if (byFingerprint.length === 1) return byFingerprint[0]!;
  if (byFingerprint.length > 1) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `'${ref}' matches ${byFingerprint.length} peers; give more of the fingerprint`,
    );
  }
  // This node is never one of its peers; naming it (`term a` typed on a) is said as that.
  const self = agent.self?.();
  const named =
    self !== undefined &&
    (nameKey(ref) === nameKey(self.name) || (prefix !== undefined && self.fingerprint.startsWith(prefix)));
  const what = named ? `'${ref}' is this node, not one of its peers; ` : `no peer named '${ref}'; `;
  const { message, hint } = commandIn(what, hereHint(['peers']), ' lists them');
  throw new ClawError('PEER_NOT_FOUND', message, { hint });
}
