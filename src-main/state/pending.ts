/**
 * Pending requests (architecture.md §Pairing and approval): nodes that want to become peers wait here for the owner's decision.
 * Pure functions over the saved list, so the caps and expiry rules are tested without a network.
 */
import { randomBytes } from 'node:crypto';
import type { PeerRecord, PendingRecord, Permission } from './settings.js';
import { uniquePeerName } from './peer-names.js';
import { confusableKey } from '../core/names.js';
import { addressBlock } from '../core/address-block.js';
import { learnAddresses } from './address-book.js';
import { isoTime } from '../core/iso-time.js';

/**
 * Most code-verified requests kept at once. Each needs a code this node's owner handed out (at most
 * MAX_ACTIVE_CODES open at a time, single use), so strangers cannot fill this room.
 */
export const MAX_PENDING_CODE = 16;
/**
 * Most fingerprint-only requests kept at once. Anyone who knows this node's fingerprint can send one
 * (a relay operator, anyone on the LAN), from as many fresh identities as they like: they get a room of
 * their own so a flood of them never blocks pairing by code.
 */
export const MAX_PENDING_FINGERPRINT = 16;
/**
 * Most fingerprint-only requests from one IPv4 address or IPv6 /64 at once (direct and LAN links): one
 * noisy host cannot take the whole room (nor by using a fresh address of its /64 for each). Requests through a relay are counted per node instead (each is a distinct,
 * authenticated node identity; the relay URL says nothing about who sent them).
 */
export const MAX_PENDING_PER_SOURCE = 4;
/**
 * A request not seen again for this long is forgotten, in ms (1 h). A node that really waits keeps
 * retrying (at least every 30 s) and so keeps its request; a pairing joiner waits at most an hour.
 */
export const PENDING_TTL_MS = 60 * 60 * 1000;
/** Most blocked fingerprints remembered; the oldest are forgotten first. */
export const MAX_BLOCKED = 1024;

/** What a node that is not a peer yet is told while it waits. */
export function waitingLine(owner: string): string {
  // Text only: this crosses to the other node, whose clients show it as it is.
  return `waiting for approval by ${owner}: its owner reviews requests with \`clawbridge pending\``;
}

/** What a node let in as a guest hears when its hello came on a link from before: no request is kept. */
export function guestLine(owner: string, because: string): string {
  return `${owner} lets this node in (${because}); it links again as such, and keeps no request to pair`;
}

/** What a node that comes as a guest hears where it is none (yet): no request to pair is kept. */
export function notAGuestLine(owner: string): string {
  return `${owner} does not let this node in as a guest (yet: its group's records may still be on their way); it keeps no request to pair`;
}

export function newPendingId(): string {
  return randomBytes(4).toString('hex');
}

/**
 * What the per-source cap counts: the IP of `host:port` / `[v6]:port`, or undefined for a request that
 * came through a relay (a relay URL is not a source; the node behind it is).
 */
export function sourceOf(address: string): string | undefined {
  if (address.includes('//')) return undefined;
  const v6 = /^\[([^\]]+)\]/.exec(address);
  if (v6) return v6[1]!;
  const i = address.lastIndexOf(':');
  return i > 0 ? address.slice(0, i) : address;
}

/** What the per-source cap counts: the source's IPv4 address or IPv6 /64 (core/address-block.ts). */
function sourceBlock(address: string): string | undefined {
  const source = sourceOf(address);
  return source === undefined ? undefined : addressBlock(source);
}

export function expirePending(list: PendingRecord[], now: number): PendingRecord[] {
  return list.filter((p) => now - Date.parse(p.lastSeen) < PENDING_TTL_MS);
}

export type OfferResult =
  | {
      list: PendingRecord[];
      record: PendingRecord;
      added: boolean;
      /** A fingerprint-only request this one's code now verifies (the node dialed before its code came). */
      verified: boolean;
    }
  | { refused: string };

/**
 * Records a request, or refreshes an existing one for the same fingerprint (a code-verified request
 * upgrades a fingerprint-only one, never the reverse). Refuses when its kind's room is full.
 */
export function offerPending(
  list: PendingRecord[],
  req: Omit<PendingRecord, 'id' | 'firstSeen' | 'lastSeen'>,
  now: number,
): OfferResult {
  const live = expirePending(list, now);
  const at = isoTime(now);
  const existing = live.find((p) => p.fingerprint === req.fingerprint);
  if (existing) {
    const record: PendingRecord = {
      ...existing,
      ...req,
      via: existing.via === 'code' || req.via === 'code' ? 'code' : 'fingerprint',
      lastSeen: at,
    };
    const verified = existing.via === 'fingerprint' && req.via === 'code';
    return { list: live.map((p) => (p === existing ? record : p)), record, added: false, verified };
  }
  const sameKind = live.filter((p) => p.via === req.via);
  if (req.via === 'code' && sameKind.length >= MAX_PENDING_CODE) {
    return { refused: 'too many pending requests on this node; ask its owner to approve or reject some' };
  }
  if (req.via === 'fingerprint') {
    if (sameKind.length >= MAX_PENDING_FINGERPRINT) {
      return {
        refused:
          'too many unverified pending requests on this node; ask its owner for a pairing code (`clawbridge pair new` there)',
      };
    }
    const source = sourceBlock(req.address);
    if (
      source !== undefined &&
      sameKind.filter((p) => sourceBlock(p.address) === source).length >= MAX_PENDING_PER_SOURCE
    ) {
      return { refused: `too many pending requests from ${source}; ask the owner to decide on them first` };
    }
  }
  const record: PendingRecord = { ...req, id: newPendingId(), firstSeen: at, lastSeen: at };
  return { list: [...live, record], record, added: true, verified: false };
}

/**
 * The request `approve --latest` means: the newest code-verified one. A request that came with only a
 * fingerprint is never picked by default: anyone who knows this node's fingerprint can send one under
 * any name, so it is approved by id after its fingerprint was compared.
 */
export function latestVerified(list: readonly PendingRecord[]): PendingRecord | undefined {
  return list
    .filter((p) => p.via === 'code')
    .sort((a, b) => Date.parse(b.firstSeen) - Date.parse(a.firstSeen))[0];
}

/**
 * Names to show for pending requests, by id: the name each node gave, followed by its short fingerprint
 * whenever another request or a peer has the same name or one that looks the same (confusableKey:
 * case, invisible characters, Cyrillic or Greek look-alike letters), so two look-alikes are always
 * told apart.
 */
export function pendingDisplayNames(
  list: readonly PendingRecord[],
  peers: readonly { name: string; fingerprint: string }[],
): Map<string, string> {
  const count = new Map<string, number>();
  for (const n of [...list.map((p) => p.name), ...peers.map((p) => p.name)]) {
    count.set(confusableKey(n), (count.get(confusableKey(n)) ?? 0) + 1);
  }
  return new Map(
    list.map((p) => [
      p.id,
      (count.get(confusableKey(p.name)) ?? 0) > 1 ? `${p.name} (${p.fingerprint.slice(0, 8)})` : p.name,
    ]),
  );
}

/**
 * The record of a node that becomes a peer by pairing or approval. A node that is already a peer here
 * (it removed this node and pairs again) keeps its local name, its permissions unless `allow` is
 * given, its limits and addresses; a new one gets a unique name and `allow`, else `defaultAllow`.
 */
export function pairedPeerRecord(
  peers: readonly PeerRecord[],
  fresh: { fingerprint: string; name: string; addresses: readonly string[]; cert?: string | undefined },
  allow: readonly Permission[] | undefined,
  defaultAllow: readonly Permission[],
): PeerRecord {
  const known = peers.find((p) => p.fingerprint === fresh.fingerprint);
  return {
    ...known,
    fingerprint: fresh.fingerprint,
    name: known?.name ?? uniquePeerName(peers, fresh.name, fresh.fingerprint),
    allow: allow ?? known?.allow ?? defaultAllow,
    addresses: learnAddresses(known?.addresses ?? [], fresh.addresses, 'hello'),
    addedAt: known?.addedAt ?? isoTime(),
    ...(fresh.cert ? { cert: fresh.cert } : {}),
  };
}

/** What a node that asked to pair hears when this node could not record its request (a full disk). */
export function unrecordedLine(name: string): string {
  return `${name} could not record the request (its owner sees why there); try again later`;
}
