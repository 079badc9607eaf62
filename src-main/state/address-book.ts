/**
 * The addresses a peer can be dialed at directly, each with where it came from and when it last worked
 * (a given address must never be dropped for an announced one). Pure: given addresses are the
 * owner's (config.json, node-state.ts), learned ones and successes are observations (observations.ts),
 * and path-dialers.ts dials the two merged in dialOrder.
 */
import { ADDRESS_SOURCES, type AddressSource } from '../core/address-source.js';
import { parseHostPort } from '../core/host-port.js';
import { isoTime } from '../core/iso-time.js';

/** One address of a peer's book: a value, changed by making a new one (the functions below). */
export interface KnownAddress {
  readonly address: string;
  /** Every source that named it, in ADDRESS_SOURCES order. */
  readonly from: readonly AddressSource[];
  /** ISO time of the last direct link made to it, if any. */
  readonly lastWorked?: string | undefined;
}

/** Most addresses kept per peer; given ones are kept first (at most MAX_GIVEN of them). */
export const MAX_PEER_ADDRESSES = 32;
export const MAX_GIVEN = 8;

function hostOf(address: string): string | undefined {
  try {
    return parseHostPort(address).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function withSource(entry: KnownAddress, source: AddressSource): KnownAddress {
  if (entry.from.includes(source)) return entry;
  const from = ADDRESS_SOURCES.filter((s) => s === source || entry.from.includes(s));
  return { ...entry, from };
}

/** Keeps the newest entries within the limits, given ones first. */
function capped(book: readonly KnownAddress[]): KnownAddress[] {
  const given = book.filter((e) => e.from.includes('given')).slice(-MAX_GIVEN);
  const rest = book.filter((e) => !e.from.includes('given'));
  const room = MAX_PEER_ADDRESSES - given.length;
  const keep = new Set([...given, ...rest.slice(Math.max(0, rest.length - room))]);
  return book.filter((e) => keep.has(e));
}

/**
 * The book after `source` named `addresses` (newest last). When the peer's hello announces where it
 * listens now, an address learned earlier on the same host with another port is where it listened
 * before a restart (a `:0` listener moves each time) and is dropped, unless the user gave it or it
 * came from somewhere else too: only the peer's own word is taken back by the peer.
 */
export function learnAddresses(
  book: readonly KnownAddress[],
  addresses: readonly string[],
  source: AddressSource,
): KnownAddress[] {
  const fresh = [...new Set(addresses)];
  let kept = [...book];
  if (source === 'hello') {
    const hosts = new Set(fresh.map(hostOf).filter((h) => h !== undefined));
    kept = kept.flatMap((e) => {
      if (fresh.includes(e.address)) return [e];
      const host = hostOf(e.address);
      if (host === undefined || !hosts.has(host)) return [e];
      const from = e.from.filter((s) => s !== 'hello' && s !== 'lan');
      return from.length === 0 ? [] : [{ ...e, from }];
    });
  }
  // A peer's router maps one address for it: a mapped address it named before and that never worked is
  // taken back by the new one, so a peer naming one after another leaves one to dial, not a list.
  if (source === 'mapped') {
    kept = kept.filter((e) => fresh.includes(e.address) || !isClaimedOnly(e));
  }
  // Named again, an address moves to the end: the book is in order of when each was last named.
  for (const address of fresh) {
    const at = kept.findIndex((e) => e.address === address);
    const entry: KnownAddress = at === -1 ? { address, from: [source] } : withSource(kept[at]!, source);
    if (at !== -1) kept.splice(at, 1);
    kept.push(entry);
  }
  return capped(kept);
}

/**
 * Whether an entry is only a peer's claim over its `traverse` stream (a mapped address) and no link
 * over it ever worked: such an address is dialed while this agent runs, never kept across a restart.
 */
export function isClaimedOnly(e: KnownAddress): boolean {
  return e.lastWorked === undefined && e.from.every((s) => s === 'mapped');
}

/** Notes that a direct link to `address` came up at `at` (it is dialed first next time). */
export function markWorked(book: readonly KnownAddress[], address: string, at: Date): KnownAddress[] {
  return book.map((e) => (e.address === address ? { ...e, lastWorked: isoTime(at.getTime()) } : e));
}

const RANK: Record<AddressSource, number> = { given: 0, hello: 1, lan: 2, seen: 3, mapped: 1 };

/**
 * The order to dial in: what worked most recently first, then never-worked ones by their best source
 * (what the user gave, what the peer says, the LAN, what was seen), newest first within a source.
 */
export function dialOrder(book: readonly KnownAddress[]): string[] {
  const ranked = book.map((e, i) => ({ e, i, rank: Math.min(...e.from.map((s) => RANK[s])) }));
  ranked.sort((a, b) => {
    const wa = a.e.lastWorked ? Date.parse(a.e.lastWorked) : -Infinity;
    const wb = b.e.lastWorked ? Date.parse(b.e.lastWorked) : -Infinity;
    if (wa !== wb) return wb - wa;
    if (a.rank !== b.rank) return a.rank - b.rank;
    return b.i - a.i;
  });
  return ranked.map((r) => r.e.address);
}

/**
 * Addresses to try from a link the peer dialed to this node: its source host with each port the peer
 * announced (where a router forwarding the peer's port would take us), for hosts it did not announce.
 */
export function seenAddresses(linkRemote: string, announced: readonly string[]): string[] {
  // A dual-stack listener sees an IPv4 peer as ::ffff:a.b.c.d: the same host as a.b.c.d.
  const host = hostOf(linkRemote)?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (host === undefined) return [];
  const announcedHosts = new Set(announced.map(hostOf));
  if (announcedHosts.has(host)) return [];
  const ports = [
    ...new Set(
      announced.flatMap((a) => {
        try {
          return [parseHostPort(a).port];
        } catch {
          return [];
        }
      }),
    ),
  ];
  const bracket = host.includes(':') ? `[${host}]` : host;
  return ports.map((p) => `${bracket}:${p}`);
}
