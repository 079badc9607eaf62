/**
 * A forward's exit peer, bound by fingerprint (ADR 0091): the peer it goes through keeps being that
 * peer when it is paired again under another name, and stops being one when it is removed.
 */
import type { PeerDirectory, ReadonlyPeerEntry } from '../links/ports.js';
import type { ForwardRecord } from './saved-forward-schema.js';

/** The peer `record` is bound to, while it is one (undefined: gone, or no fingerprint saved). */
export function boundPeer(
  links: Pick<PeerDirectory, 'peerEntries'>,
  record: Pick<ForwardRecord, 'viaFingerprint'>,
): ReadonlyPeerEntry | undefined {
  const fp = record.viaFingerprint;
  return fp === undefined ? undefined : links.peerEntries().find((e) => e.fingerprint === fp);
}

/** The exit peer's name now (it may have been paired again under another name), else the saved one. */
export function viaName(
  links: Pick<PeerDirectory, 'peerEntries'>,
  record: Pick<ForwardRecord, 'viaFingerprint' | 'via'>,
): string | undefined {
  return boundPeer(links, record)?.record.name ?? record.via;
}
