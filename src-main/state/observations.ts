/**
 * What this node observed about its peers, kept apart from what the owner decided (config.json,
 * node-state.ts): direct addresses learned from hellos, the LAN and where links came from, when a
 * direct dial to each last worked, and the home relay each peer's hello announced. Best effort by
 * design: it lives in memory, is written to `observations.json` in the home at most once per
 * OBSERVATIONS_SAVE_MS without fsync, and losing the file loses nothing but hints (the order in which
 * addresses are tried, where a peer was last heard to live). No observation is ever a reason to write
 * config.json, so a dial or a hello never fsyncs and a hand edit of config.json never breaks a dial.
 * (Round-trip times are not kept at all: they live on the links, in memory.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { replaceFileSync } from '../home/durable-file.js';
import { errorMessage } from '../core/errors.js';
import { sameRelayUrl } from '../core/relay-url.js';
import {
  isClaimedOnly,
  learnAddresses,
  markWorked,
  MAX_PEER_ADDRESSES,
  type KnownAddress,
} from './address-book.js';
import { ADDRESS_SOURCES, type AddressSource } from '../core/address-source.js';
import type { RelaySetting } from './settings.js';

/** Where an observed address came from: anything but the owner's word (`given`). */
export type ObservedSource = Exclude<AddressSource, 'given'>;

/** The file's name in the home. */
export const OBSERVATIONS_FILE = 'observations.json';

/**
 * Longest an observation waits in memory before it is written, in ms (5 s): a burst of hellos and
 * dials is one write, and a crash loses at most the last few seconds of hints.
 */
export const OBSERVATIONS_SAVE_MS = 5_000;

/** Most peers the file keeps (a bound on a file nobody edits; removed peers are forgotten anyway). */
export const MAX_OBSERVED_PEERS = 4_096;

// The file's schema is made when the file is read (once, at start), not when this module loads (ADR 0073).
const knownAddressSchema = () =>
  z.object({
    address: z.string().min(1).max(300),
    from: z.array(z.enum(ADDRESS_SOURCES)).min(1).max(ADDRESS_SOURCES.length),
    lastWorked: z.string().max(40).optional(),
  });

/** A home relay as a hello names it (control-service.ts announcedHomeRelay): never with a token. */
export type HeardRelay = Pick<RelaySetting, 'url' | 'fingerprint'>;

const heardRelaySchema = () =>
  z.object({
    url: z
      .string()
      .regex(/^wss?:\/\//)
      .max(300),
    fingerprint: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  });

const fileSchema = () =>
  z.object({
    version: z.literal(1),
    peers: z.record(
      z.string().regex(/^[0-9a-f]{64}$/),
      z.object({
        addresses: z.array(knownAddressSchema()).max(MAX_PEER_ADDRESSES).default([]),
        homeRelay: heardRelaySchema().optional(),
      }),
    ),
  });

/** What was observed of one peer. */
export interface PeerObservations {
  addresses: KnownAddress[];
  /** The home relay its last hello announced. */
  homeRelay?: HeardRelay;
}

/** Where observations are kept between runs: a file in the home, or nowhere (tests, `--no-save`). */
export interface ObservationsBacking {
  load(): Map<string, PeerObservations>;
  save(peers: ReadonlyMap<string, PeerObservations>): void;
}

/** The file in `home`; an unreadable or invalid file reads as none (`warn` says so once). */
export function observationsFile(home: string, warn: (line: string) => void): ObservationsBacking {
  const path = join(home, OBSERVATIONS_FILE);
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return new Map(); // none yet
      }
      try {
        const parsed = fileSchema().parse(JSON.parse(text));
        // A file an older release wrote may hold claims that never worked: they are not dialed again.
        return new Map(
          Object.entries(parsed.peers).map(([fp, p]) => [fp, withoutUndefined(keptAcrossRestarts(p))]),
        );
      } catch (err) {
        warn(
          `${path} is not readable (${errorMessage(err)}); starting without it — only dial hints are lost`,
        );
        return new Map();
      }
    },
    save(peers) {
      const kept = [...peers].map(([fp, p]) => [fp, keptAcrossRestarts(p)] as const);
      const out = { version: 1, peers: Object.fromEntries(kept) };
      try {
        replaceFileSync(path, JSON.stringify(out), 0o600, { sync: false });
      } catch (err) {
        warn(`could not save ${path}: ${errorMessage(err)} (dial hints only; the agent goes on)`);
      }
    },
  };
}

/** Keeps nothing between runs. */
export const inMemoryObservations: ObservationsBacking = { load: () => new Map(), save: () => undefined };

/** The one owner of observations: read live, written here only. */
export class Observations {
  private readonly peers: Map<string, PeerObservations>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly backing: ObservationsBacking = inMemoryObservations,
    private readonly saveMs = OBSERVATIONS_SAVE_MS,
  ) {
    this.peers = backing.load();
  }

  /** The addresses observed for a peer (none: empty), in the order address-book.ts keeps them. */
  addresses(fingerprint: string): readonly KnownAddress[] {
    return this.peers.get(fingerprint)?.addresses ?? [];
  }

  /** The home relay the peer's last hello announced, if one did. */
  homeRelay(fingerprint: string): HeardRelay | undefined {
    return this.peers.get(fingerprint)?.homeRelay;
  }

  /**
   * Notes the home relay a peer's hello announced (every hello brings it again).
   * @returns true when it is news: another relay, or another pin
   */
  hearHomeRelay(fingerprint: string, relay: HeardRelay): boolean {
    const had = this.homeRelay(fingerprint);
    if (had && sameRelayUrl(had.url, relay.url) && had.fingerprint === relay.fingerprint) return false;
    const heard: HeardRelay = {
      url: relay.url,
      ...(relay.fingerprint ? { fingerprint: relay.fingerprint } : {}),
    };
    this.put(fingerprint, { addresses: [...this.addresses(fingerprint)], homeRelay: heard });
    return true;
  }

  /**
   * Forgets the home relay heard from a peer: the owner named one since (an invite, `peers add
   * --relay`), which stands until the peer's next hello says otherwise.
   */
  forgetHomeRelay(fingerprint: string): void {
    const had = this.peers.get(fingerprint);
    if (!had?.homeRelay) return;
    this.put(fingerprint, { addresses: had.addresses });
  }

  /**
   * Merges addresses a peer named (`source`: hello, lan, seen) into what was observed.
   * @returns true when something changed
   */
  learn(fingerprint: string, addresses: readonly string[], source: ObservedSource): boolean {
    const known = this.addresses(fingerprint);
    const next = learnAddresses(known, addresses, source);
    if (sameBook(known, next)) return false;
    this.putAddresses(fingerprint, next);
    return true;
  }

  /**
   * Notes that a direct link to `address` came up now. An address the owner gave (and so is not among
   * the observed ones) gets an entry of its own here: `given` stays the owner's word in config.json.
   */
  worked(fingerprint: string, address: string, at = new Date()): void {
    const known = this.addresses(fingerprint);
    const book = known.some((e) => e.address === address)
      ? known
      : [...known, { address, from: ['given'] as AddressSource[] }];
    this.putAddresses(fingerprint, markWorked(book, address, at));
  }

  /** Forgets a peer (removed). */
  forget(fingerprint: string): void {
    if (this.peers.delete(fingerprint)) this.schedule();
  }

  /** Writes what is pending now (the agent's stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.backing.save(this.peers);
  }

  private putAddresses(fingerprint: string, addresses: KnownAddress[]): void {
    const homeRelay = this.homeRelay(fingerprint);
    this.put(fingerprint, { addresses, ...(homeRelay ? { homeRelay } : {}) });
  }

  private put(fingerprint: string, seen: PeerObservations): void {
    this.peers.delete(fingerprint); // most recently observed last, so the cap drops the stalest
    this.peers.set(fingerprint, seen);
    while (this.peers.size > MAX_OBSERVED_PEERS) this.peers.delete(this.peers.keys().next().value!);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.saveMs);
    // Never what keeps an agent's process alive: its stop flushes.
    this.timer.unref();
  }
}

/**
 * What of a peer's observations outlives this run: an address the peer only claimed over its
 * `traverse` stream (address-book.ts isClaimedOnly) is kept once a link over it worked, not before.
 */
function keptAcrossRestarts<T extends { addresses: KnownAddress[] }>(p: T): T {
  return p.addresses.some(isClaimedOnly)
    ? { ...p, addresses: p.addresses.filter((e) => !isClaimedOnly(e)) }
    : p;
}

/** `p` without keys whose value is undefined (zod leaves an absent optional key out already). */
function withoutUndefined(p: {
  addresses: KnownAddress[];
  homeRelay?: HeardRelay | undefined;
}): PeerObservations {
  return { addresses: p.addresses, ...(p.homeRelay ? { homeRelay: p.homeRelay } : {}) };
}

function sameBook(a: readonly KnownAddress[], b: readonly KnownAddress[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The book a peer is dialed from: what the owner saved (given addresses, and addresses an older release
 * saved) with what was observed, one entry per address, its sources joined and its latest success kept.
 */
export function dialBook(saved: readonly KnownAddress[], observed: readonly KnownAddress[]): KnownAddress[] {
  const byAddress = new Map<string, KnownAddress>();
  for (const e of [...saved, ...observed]) {
    const had = byAddress.get(e.address);
    if (!had) {
      byAddress.set(e.address, { ...e, from: [...e.from] });
      continue;
    }
    const from = ADDRESS_SOURCES.filter((s) => had.from.includes(s) || e.from.includes(s));
    const lastWorked = latest(had.lastWorked, e.lastWorked);
    byAddress.delete(e.address); // named again: newest last, as address-book.ts keeps them
    byAddress.set(e.address, { address: e.address, from, ...(lastWorked ? { lastWorked } : {}) });
  }
  return [...byAddress.values()];
}

function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * The home relay a peer is dialed at (docs/relay-protocol.md §Home relays): the one its hello announced,
 * else the one the owner gave (an invite's relay, `peers add --relay`). Hellos never carry tokens: a
 * token the owner gave goes with the heard relay when it is the same relay (the same URL, or the same
 * certificate pin under another URL).
 */
export function effectiveHomeRelay(
  saved: RelaySetting | undefined,
  heard: HeardRelay | undefined,
): RelaySetting | undefined {
  if (!heard) return saved;
  const same =
    saved !== undefined &&
    (sameRelayUrl(saved.url, heard.url) ||
      (saved.fingerprint !== undefined && saved.fingerprint === heard.fingerprint));
  const token = same ? saved.token : undefined;
  return { ...heard, ...(token ? { token } : {}) };
}
