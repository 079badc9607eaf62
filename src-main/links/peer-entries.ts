/**
 * The link set's entries: one per saved peer, following the node state's peer changes. A peer added
 * (by approval, pairing or `peers add`) is dialed; a removed one is hung up on; a changed one is told
 * its new grants, or redialed now when new facts (an address, a home relay, a route) came. The
 * entries are this module's to add and remove; what links do with them is the link set's.
 */
import { isDeepStrictEqual } from 'node:util';
import { sameRelayUrl } from '../core/relay-url.js';
import type { Identity } from '../crypto/identity.js';
import type { NodeState } from '../state/node-state.js';
import type { Notifier } from '../state/notices.js';
import type { Observations } from '../state/observations.js';
import type { PeerRecord, Permission } from '../state/settings.js';
import type { StateChange } from '../state/state-changes.js';
import { sameGrants } from '../trust/grants-channel.js';
import { newPeerEntry, type PeerEntry, type PeerPaths } from './peer-entry.js';
import { routeChanged } from './route-links.js';

export interface PeerEntriesDeps {
  identity: Identity;
  state: Pick<NodeState, 'peer' | 'path'>;
  observations: Pick<Observations, 'forget' | 'forgetHomeRelay'>;
  notices: Pick<Notifier, 'changed' | 'notice'>;
  /** How the paths of the peer `fingerprint` are dialed (peer-dialers.ts); `name` names it in logs. */
  paths(fingerprint: string, name: () => string): PeerPaths;
  /** What the peer may do here changed: tell it on its links. */
  grantsChanged(entry: PeerEntry): void;
  /** This node's name, as a removed peer is told it. */
  name(): string;
}

export class PeerEntries {
  private readonly peers = new Map<string, PeerEntry>();
  /** The entries that are guests' (no saved record): their record is read from the guests. */
  private readonly guests = new Set<string>();
  /**
   * What each guest's record said when its entry was last synced: where it is met (whereOf) and
   * what it may do here, so a change of either is acted on as a peer's is.
   */
  private readonly guestSeen = new Map<string, { where: string; allow: readonly Permission[] }>();
  private stopped = false;

  constructor(private readonly deps: PeerEntriesDeps) {}

  get(fingerprint: string): PeerEntry | undefined {
    return this.peers.get(fingerprint);
  }

  values(): IterableIterator<PeerEntry> {
    return this.peers.values();
  }

  /** A change of the node state: peers added, removed or changed, a node unblocked. */
  onStateChange(change: StateChange): void {
    if (this.stopped) return;
    // A node saved again (re-approved, paired again) may have been refusing us until now: its
    // fingerprint leaves the blocked or pending list then, even when its peer record is unchanged.
    if (change.kind === 'blocked') return this.kick(change.id);
    if (change.kind === 'pending') return this.kick((change.before ?? change.after)?.fingerprint);
    if (change.kind !== 'peer') return;
    const { before, after } = change;
    if (!after) {
      if (this.guests.has(change.id)) return;
      this.deps.observations.forget(change.id);
      return this.untrack(change.id, `removed as a peer by ${this.deps.name()}`);
    }
    if (this.guests.delete(after.fingerprint))
      this.untrack(after.fingerprint, 'paired: linking again as a peer');
    if (!before || !this.peers.has(after.fingerprint)) return void this.track(after);
    const entry = this.peers.get(after.fingerprint)!;
    if (!sameGrants(before.allow, after.allow)) this.deps.grantsChanged(entry);
    // The owner named a home relay (an invite, `peers add --relay`): it stands until the next hello.
    if (after.homeRelay && !isDeepStrictEqual(before.homeRelay, after.homeRelay)) {
      this.deps.observations.forgetHomeRelay(after.fingerprint);
    }
    if (before.route?.join() !== after.route?.join()) {
      routeChanged(entry, after);
      return this.deps.notices.changed();
    }
    // New facts (an address, a home relay, a certificate): try its paths now, not after the backoff.
    this.kick(change.id);
    this.deps.notices.changed();
  }

  /**
   * Keeps entries for the guests now (services/admission.ts: nodes a domain lets in without a
   * pairing), dialed and linked as peers are; a guest no longer let in is hung up on.
   */
  syncGuests(
    guests: readonly { record: PeerRecord; dial: boolean }[],
    read: (fingerprint: string) => PeerRecord | undefined,
  ): void {
    if (this.stopped) return;
    const now = new Set(guests.map((g) => g.record.fingerprint));
    for (const fp of [...this.guests]) {
      if (now.has(fp)) continue;
      this.guests.delete(fp);
      if (!this.deps.state.peer(fp)) this.untrack(fp, `${this.deps.name()} no longer lets this node in`);
    }
    for (const { record, dial } of guests) {
      const fp = record.fingerprint;
      const seen = { where: whereOf(record), allow: record.allow };
      const before = this.guestSeen.get(fp);
      if (this.guests.has(fp)) {
        this.guestSeen.set(fp, seen);
        // New words (the group's changed): tell it on its links, as a peer is told (`peers` there).
        const entry = this.peers.get(fp);
        if (entry && before && !sameGrants(before.allow, seen.allow)) this.deps.grantsChanged(entry);
        // New facts (an address, a home relay its source heard of): try its paths now, as for a peer.
        if (before?.where !== seen.where && dial) this.kick(fp);
        continue;
      }
      if (this.peers.has(fp)) continue;
      this.guests.add(fp);
      this.guestSeen.set(fp, seen);
      this.track(record, () => read(fp), dial);
    }
    for (const fp of [...this.guestSeen.keys()]) if (!this.guests.has(fp)) this.guestSeen.delete(fp);
  }

  /** `dial` false: the entry only takes the links the node dials here (a guest that comes to us). */
  track(record: PeerRecord, read?: () => PeerRecord | undefined, dial = true): void {
    // Only a hand edit puts this node among its own peers (the CLI and the window refuse it).
    if (record.fingerprint === this.deps.identity.fingerprint) {
      this.deps.notices.notice({
        kind: 'settings',
        message: `${this.deps.state.path} lists this node itself as peer '${record.name}'; ignored`,
      });
      return;
    }
    const fp = record.fingerprint;
    const dialed = this.deps.paths(fp, () => entry.record.name);
    const none = () => Promise.resolve(undefined);
    // A guest this node dials does not dial back (a group's device waits for its members).
    const paths: PeerPaths = dial
      ? read
        ? { ...dialed, dialsBack: false }
        : dialed
      : { ...dialed, dialDirect: none, dialRelay: none, dialRoute: none };
    const entry = newPeerEntry(
      this.deps.identity.fingerprint,
      record,
      read ?? (() => this.deps.state.peer(fp)),
      paths,
    );
    this.peers.set(fp, entry);
    entry.direct.kick();
    entry.relay.kick();
    entry.route.kick();
    this.deps.notices.changed();
  }

  /** Closes the relay links that go through `url` (the relay was removed). */
  closeRelayLinks(url: string): void {
    for (const p of this.peers.values()) {
      const relayLink = p.links.get('relay');
      if (relayLink && sameRelayUrl(relayLink.link.remote, url)) relayLink.mux.close(`relay ${url} removed`);
    }
  }

  /** Stops every entry's dialing and closes its links; changes that come later are not followed. */
  stop(): void {
    this.stopped = true;
    for (const p of this.peers.values()) {
      p.direct.stop();
      p.relay.stop();
      p.route.stop();
      p.links.closeAll('agent stopping');
    }
  }

  /** Dials the peer's paths that are down now (a path that is up is left alone). */
  private kick(fingerprint: string | undefined): void {
    const entry = fingerprint === undefined ? undefined : this.peers.get(fingerprint);
    if (entry?.record.route) return entry.route.kick();
    entry?.direct.kick();
    entry?.relay.kick();
  }

  private untrack(fingerprint: string, reason: string): void {
    const entry = this.peers.get(fingerprint);
    if (!entry) return;
    this.peers.delete(fingerprint);
    // Told first, while the links are up: services hang up what the peer had open (terminals say why
    // on their streams), and what this node had open there, before the links close. A stream's end
    // (FIN) goes out a tick after end() is called, hence the links close a turn later.
    this.deps.notices.changed();
    entry.direct.stop();
    entry.relay.stop();
    entry.route.stop();
    setImmediate(() => entry.links.closeAll(reason));
  }
}

/** Where a record says its node is met: its addresses and home relay, as one comparable string. */
function whereOf(record: PeerRecord): string {
  return JSON.stringify([record.addresses.map((a) => a.address), record.homeRelay?.url ?? null]);
}
