/**
 * Pending requests (DESIGN §7): nodes that want to become peers wait here for the owner's decision.
 * Pure functions over the saved list, so the caps and expiry rules are tested without a network.
 */
import { randomBytes } from 'node:crypto';
import type { PendingRecord } from './settings.js';

/** Most requests kept at once; beyond this new ones are refused until the owner decides or they expire. */
export const MAX_PENDING_TOTAL = 32;
/** Most requests from one source address (IP) at once: one noisy host cannot fill the list. */
export const MAX_PENDING_PER_SOURCE = 4;
/** A request not acted upon is forgotten after this long, in ms (24 h). */
export const PENDING_TTL_MS = 24 * 60 * 60 * 1000;
/** Most blocked fingerprints remembered; the oldest are forgotten first. */
export const MAX_BLOCKED = 1024;

export function newPendingId(): string {
  return randomBytes(4).toString('hex');
}

/** The IP part of `host:port` / `[v6]:port` / a relay URL: what the per-source cap counts. */
export function sourceOf(address: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(address);
  if (v6) return v6[1]!;
  const i = address.lastIndexOf(':');
  return i > 0 && !address.includes('//') ? address.slice(0, i) : address;
}

export function expirePending(list: PendingRecord[], now: number): PendingRecord[] {
  return list.filter((p) => now - Date.parse(p.lastSeen) < PENDING_TTL_MS);
}

export type OfferResult =
  { list: PendingRecord[]; record: PendingRecord; added: boolean } | { refused: string };

/**
 * Records a request, or refreshes an existing one for the same fingerprint (a code-verified request
 * upgrades a fingerprint-only one, never the reverse). Refuses when a cap is reached.
 */
export function offerPending(
  list: PendingRecord[],
  req: Omit<PendingRecord, 'id' | 'firstSeen' | 'lastSeen'>,
  now: number,
): OfferResult {
  const live = expirePending(list, now);
  const at = new Date(now).toISOString();
  const existing = live.find((p) => p.fingerprint === req.fingerprint);
  if (existing) {
    const record: PendingRecord = {
      ...existing,
      ...req,
      via: existing.via === 'code' || req.via === 'code' ? 'code' : 'fingerprint',
      lastSeen: at,
    };
    return { list: live.map((p) => (p === existing ? record : p)), record, added: false };
  }
  if (live.length >= MAX_PENDING_TOTAL) {
    return { refused: 'too many pending requests on this node; ask its owner to approve or reject some' };
  }
  const source = sourceOf(req.address);
  if (live.filter((p) => sourceOf(p.address) === source).length >= MAX_PENDING_PER_SOURCE) {
    return { refused: `too many pending requests from ${source}; ask the owner to decide on them first` };
  }
  const record: PendingRecord = { ...req, id: newPendingId(), firstSeen: at, lastSeen: at };
  return { list: [...live, record], record, added: true };
}

/**
 * A local name for a new peer: the name it gave, or `name-2`, `name-3`… when another peer already has it
 * (peer names are how commands refer to peers, so they must be unique).
 */
export function uniquePeerName(
  peers: readonly { name: string; fingerprint: string }[],
  wanted: string,
  fingerprint: string,
): string {
  const taken = new Set(peers.filter((p) => p.fingerprint !== fingerprint).map((p) => p.name));
  let name = wanted;
  for (let i = 2; taken.has(name); i++) name = `${wanted}-${i}`;
  return name;
}
