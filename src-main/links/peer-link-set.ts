/**
 * Links to peers (architecture.md §Links and paths): one entry per saved peer with its links and the
 * retriers that dial them, the hello each link starts with, and streams opened over whichever path is
 * up. Which nodes are peers is node state: entries follow the store's peer changes (a peer added by
 * approval, pairing or `peers add` is dialed; a removed one is hung up on), and every stream a peer
 * opens is checked against its record as the store has it at that moment.
 *
 * Its parts: the entries, following the store (peer-entries.ts); how each path is dialed
 * (peer-dialers.ts); how a peer is reached and streams opened to it (peer-reach.ts); the control
 * stream's hello and grants (link-control.ts); NAT traversal on relay links (link-traversals.ts); relay
 * splices (relay-splice.ts); quiet lanes (quiet-lanes.ts); the hand-over from a relay link to a punched
 * direct one (punched-handover.ts). This module puts each new link to work (its mux, what it serves,
 * its bookkeeping) and hands what strangers bring to pairing and approvals.
 */
import type { Logger } from 'pino';
import { DisposableStore } from '../core/disposables.js';
import { refusalOf } from '../core/errors.js';
import type { Refusal } from '../core/refusal-codes.js';
import type { Identity } from '../crypto/identity.js';
import { Mux } from '../mux/mux.js';
import type { MuxStream } from '../mux/stream.js';
import type { Relays } from '../relay-clients/relays.js';
import type { GuestList } from '../services/admission.js';
import type { ServiceRegistry } from '../services/services.js';
import type { KnownAddress } from '../state/address-book.js';
import type { NodeState } from '../state/node-state.js';
import type { Notifier } from '../state/notices.js';
import type { ObservedSource, Observations } from '../state/observations.js';
import type { PeerRecord, RelaySetting } from '../state/settings.js';
import type { Circuit } from '../transport/circuit.js';
import type { Link, PathKind } from '../transport/link.js';
import { CONTROL_SERVICE } from './control-service.js';
import type { LanPeerSighting } from './lan-discovery.js';
import { LinkControl, type LocalNetworkView } from './link-control.js';
import { LinkTraversals } from './link-traversals.js';
import { acceptRelayCircuit } from './path-dialers.js';
import { learnPeerAddresses } from './peer-addresses.js';
import { peerDialers } from './peer-dialers.js';
import { PeerEntries } from './peer-entries.js';
import type { PeerEntry } from './peer-entry.js';
import { PeerReach } from './peer-reach.js';
import type { PeerStateSource } from './peer-view.js';
import { attachPendingLink, type PendingLinkDeps } from './pending-links.js';
import type { ActivePath, OpenStreamOptions, ReadonlyPeerEntry } from './ports.js';
import { PunchedHandover } from './punched-handover.js';
import { QuietLanes } from './quiet-lanes.js';
import { RelaySplicer, SPLICE_SERVICE } from './relay-splice.js';
import { acceptRouteCircuit } from './route-dialer.js';
import { kickRoutesThrough } from './route-links.js';
import type { OwnCandidates } from './traversal.js';
import { TRAVERSE_SERVICE } from './traverse-protocol.js';
import { inBackground } from '../core/background.js';

export type { LocalNetworkView } from './link-control.js';

/**
 * Heartbeat on every link, in ms: one side's PING this often while the link is idle (ADR 0062). 15 s, as
 * the relay's (architecture.md §Relay): an idle link's only cost, and with ten peers linked the 5 s it
 * was came to most of an idle agent's CPU (ADR 0074). RTT in the status is at most this old.
 */
export const LINK_HEARTBEAT_MS = 15_000;
/**
 * ...and an idle link with no traffic for this long is dead (under the 45 s of architecture.md §Relay,
 * over two and a half beats). A link with data or credit outstanding is judged by the mux's RTO instead
 * (1–3 s, mux/constants.ts RTO_FLOOR_MS..RTO_CAP_MS; ADR 0020), so a dead path under a terminal or a
 * transfer moves to the relay in seconds, and the first thing sent into an idle dead path finds it so
 * within an RTO too.
 */
export const LINK_DEAD_AFTER_MS = 40_000;

/** What nodes that are not peers may do on a link: say hello (approvals), pair by code (pairing). */
export interface StrangerHandlers {
  onUnknownHello: PendingLinkDeps['onUnknownHello'];
  onPairStream: PendingLinkDeps['onPairStream'];
  /** A relay circuit whose first frame is a pairing hello (path-dialers.ts). */
  acceptPairing: Parameters<typeof acceptRelayCircuit>[0]['pairing']['acceptPairing'];
}

export interface PeerLinkSetDeps {
  identity: Identity;
  log: Logger;
  state: Pick<NodeState, 'get' | 'peer' | 'peers' | 'subscribe' | 'path' | 'vocabulary'>;
  /**
   * What this node saw of its peers (addresses, which one worked, the home relay a hello announced):
   * never written to config.json.
   */
  observations: Observations;
  notices: Notifier;
  relays: Pick<Relays, 'events' | 'dialer' | 'hold' | 'saved'>;
  local: LocalNetworkView;
  strangers: StrangerHandlers;
  /** Who may link: peers, and strangers who may only say hello; refused: nodes the owner removed. */
  admit(fingerprint: string): Refusal | undefined;
  /**
   * What peers may open here (terminal, tcp-connect…); `control` and `splice` are handled here. Its
   * guests (nodes a domain lets in without a pairing) get entries as peers do.
   */
  services: Pick<ServiceRegistry, 'dispatch' | 'countsAsUse'> & { readonly guests?: GuestList };
  /** This node's candidates across NATs (nat-candidates.ts); absent: no traversal is tried. */
  nat?: OwnCandidates;
}

export class PeerLinkSet {
  private readonly peers: PeerEntries;
  /** Moves relay links onto splices where the relay and the peer can (ADR 0013). */
  private readonly splicer: RelaySplicer;
  /** Second connections of direct links, for terminals (ADR 0042). */
  private readonly lanes: QuietLanes;
  private readonly disposables = new DisposableStore();
  /** Closes the relay link once a punched direct link works, and rests the relay path meanwhile. */
  private readonly handover: PunchedHandover;
  private readonly reach: PeerReach;
  private readonly control: LinkControl;
  private readonly traversals: LinkTraversals;
  private stopped = false;

  constructor(private readonly deps: PeerLinkSetDeps) {
    this.lanes = new QuietLanes({ identity: deps.identity, log: deps.log });
    this.splicer = new RelaySplicer({
      identity: deps.identity,
      log: deps.log,
      holdRelay: (url) => deps.relays.hold(url),
      moved: () => deps.notices.changed(),
    });
    this.handover = new PunchedHandover({ log: deps.log, changed: () => deps.notices.changed() });
    this.reach = new PeerReach({
      ...deps,
      // A guest's record (the addresses its source knows) is read where a peer's saved one is.
      state: { get: () => deps.state.get(), peer: (fp) => this.recordOf(fp) },
      peerName: (fp) => this.peers.get(fp)?.record.name,
    });
    const learnAddresses = (entry: PeerEntry, addresses: string[], source: ObservedSource) =>
      this.learnAddresses(entry, addresses, source);
    this.traversals = new LinkTraversals({
      identity: deps.identity,
      log: deps.log,
      nat: deps.nat,
      attachPunched: (l) => {
        this.handover.mark(l);
        this.attach(l);
      },
      learnAddresses,
      changed: () => deps.notices.changed(),
    });
    this.control = new LinkControl({
      ...deps,
      lanes: this.lanes,
      splicer: this.splicer,
      name: () => this.name,
      learnAddresses,
      asGuest: (fp) => !deps.state.peer(fp) && deps.services.guests?.get(fp) !== undefined,
      helloHeard: (entry, link, mux) => this.traversals.open(entry, link, mux),
      words: deps.state.vocabulary.permissions,
    });
    this.peers = new PeerEntries({
      ...deps,
      paths: (fp, name) =>
        peerDialers(
          {
            ...deps,
            reach: this.reach,
            handover: this.handover,
            name: () => this.name,
            peerEntry: (fp) => this.peers.get(fp),
            attach: (l) => this.attach(l),
          },
          fp,
          name,
        ),
      grantsChanged: (entry) => this.control.tellGrants(entry),
      name: () => this.name,
    });
  }

  private get name(): string {
    return this.deps.state.get().name ?? 'clawbridge';
  }

  peerEntries(): ReadonlyPeerEntry[] {
    return [...this.peers.values()];
  }

  self(): { name: string; fingerprint: string } {
    return { name: this.name, fingerprint: this.deps.identity.fingerprint };
  }

  peerEntry(fingerprint: string): ReadonlyPeerEntry | undefined {
    return this.peers.get(fingerprint);
  }

  /**
   * Whether the peer marks this node as one of its owner's devices too, as a `members` exchange just
   * showed (pairing/introductions.ts); undefined: not known (the exchange failed).
   * @returns true when that changed what this node knew
   */
  noteMarksMine(fingerprint: string, marks: boolean | undefined): boolean {
    const entry = this.peers.get(fingerprint);
    if (!entry || entry.theyMarkMine === marks) return false;
    entry.theyMarkMine = marks;
    return true;
  }

  /** The owner pinged the peer (`ping`): a use of the pair, as its streams are (link-traversals.ts). */
  noteUse(fingerprint: string): void {
    const entry = this.peers.get(fingerprint);
    if (entry) this.traversals.noteUse(entry);
  }

  /** A round trip to the peer just measured (`ping`), in ms: shown as its `rttMs` while it is online. */
  noteRtt(fingerprint: string, rttMs: number): void {
    const entry = this.peers.get(fingerprint);
    if (entry) entry.links.rttMs = rttMs;
  }

  /** Starts keeping links to every saved peer, and follows the store from now on. */
  start(): void {
    const { state, relays } = this.deps;
    this.disposables.add(
      state.subscribe((change) => this.peers.onStateChange(change)),
      relays.events.on('connected', () => {
        for (const p of this.peers.values()) p.relay.kick();
      }),
      relays.events.on('removed', (url) => this.peers.closeRelayLinks(url)),
      relays.events.on('incoming', (circuit) => this.acceptCircuit(circuit)),
    );
    for (const record of state.peers()) this.peers.track(record);
    const guests = this.deps.services.guests;
    if (guests) {
      const sync = () =>
        this.peers.syncGuests(
          guests.list().map((g) => ({ record: guests.record(g.fingerprint)!, dial: g.dial })),
          (fp) => guests.record(fp),
        );
      this.disposables.add(guests.onChange(sync));
      sync();
    }
  }

  /** The peer's saved record, or the guest's as its source gives it now. */
  private recordOf(fingerprint: string): PeerRecord | undefined {
    return this.deps.state.peer(fingerprint) ?? this.deps.services.guests?.record(fingerprint);
  }

  stop(): void {
    this.stopped = true;
    this.disposables.dispose();
    this.peers.stop();
  }

  /** A LAN announcement: a known peer's addresses are merged in and a direct dial is tried. */
  onLanSighting(s: LanPeerSighting): void {
    const entry = this.peers.get(s.fingerprint);
    if (entry) this.learnAddresses(entry, s.addresses, 'lan');
  }

  private acceptCircuit(circuit: Circuit): void {
    inBackground(
      acceptRelayCircuit(
        {
          identity: this.deps.identity,
          log: this.deps.log,
          admit: (fp) => this.deps.admit(fp),
          attach: (link) => this.attach(link),
          pairing: { acceptPairing: this.deps.strangers.acceptPairing },
        },
        circuit,
      ),
      this.deps.log,
      'a relay circuit',
    );
  }

  /** A routed link arrived (`hop-arrive`, hop-service.ts): only peers may come this way. */
  acceptRoutedCircuit(circuit: Circuit): Promise<void> {
    return acceptRouteCircuit(
      {
        identity: this.deps.identity,
        log: this.deps.log,
        refuse: (fp) => (this.deps.state.peer(fp) ? undefined : `${this.name} has no peer ${fp.slice(0, 8)}`),
        attach: (link) => this.attach(link),
      },
      circuit,
    );
  }

  /** Puts an authenticated link to work: mux, hello, path bookkeeping. */
  attach(link: Link): void {
    if (this.stopped) return link.close('agent stopping');
    if (link.laneToken !== undefined) return this.lanes.join(link.laneToken, link);
    const entry = this.peers.get(link.peerId);
    if (!entry) {
      const { onUnknownHello, onPairStream } = this.deps.strangers;
      return attachPendingLink({ name: this.name, log: this.deps.log, onUnknownHello, onPairStream }, link);
    }
    const { log, notices } = this.deps;
    const mux = new Mux(link, {
      heartbeatMs: LINK_HEARTBEAT_MS,
      deadAfterMs: LINK_DEAD_AFTER_MS,
      // Use is counted where it decides something: on a relay link, whose traversal waits for it.
      ...(link.path === 'relay'
        ? { countsAsUse: (service: string) => this.deps.services.countsAsUse(service) }
        : {}),
      onStream: (req) => {
        if (req.service === CONTROL_SERVICE) return this.control.accept(entry, link, mux, req);
        if (req.service === SPLICE_SERVICE) return this.splicer.accept(link, req);
        if (req.service === TRAVERSE_SERVICE) return this.traversals.accept(entry, link, mux, req);
        // The record as the store has it now: a permission taken away a moment ago is taken away.
        const record = this.recordOf(entry.fingerprint);
        if (!record) return req.reject('REMOVED', `removed as a peer by ${this.name}`);
        const { fingerprint, name, allow } = record;
        const via = { path: link.path, address: link.remote };
        this.deps.services.dispatch(this.name, { fingerprint, name, allow, via }, req);
      },
    });
    const since = new Date();
    const decision = entry.links.offer(link.path, { link, mux, since });
    decision.close?.mux.close('duplicate link');
    if (!decision.keep) return;
    log.info({ peer: entry.record.name, path: link.path, remote: link.remote }, 'link up');
    // The peer came another way while a direct link is up here: it may have found the direct path dead
    // and its close been lost on the way. A PING there shows a dead path within an RTO (heartbeat.ts)
    // rather than after the idle timeout; a live one costs a PING and its PONG.
    const direct = entry.links.get('direct');
    if (link.path !== 'direct' && direct && direct.mux !== mux)
      direct.mux.ping(LINK_HEARTBEAT_MS).catch(() => undefined);
    mux.on('rtt', (ms: number) => {
      if (entry.links.active?.mux === mux) entry.links.rttMs = ms;
    });
    mux.on('close', (err?: Error) => {
      if (!entry.links.remove(link)) return;
      log.info({ peer: entry.record.name, path: link.path, reason: err?.message }, 'link down');
      // Through a relay the other side can only refuse us once our end of the handshake is done, so
      // its refusal (removed, rejected) arrives as the close of a link that came up.
      // (A routed link's end carries the reset of a hop's pipe, never the peer's refusal: the route's
      // retrier says what broke.)
      const code = link.path === 'route' ? undefined : refusalOf(err);
      if (err && code !== undefined) entry.refusal = { code, message: err.message, at: Date.now() };
      entry[link.path].lost(Date.now() - since.getTime());
      if (link.path === 'direct') this.handover.lost(entry, link);
      notices.changed();
    });
    this.control.sayHello(entry, link, mux, () => {
      if (!entry.links.confirm(link)) return;
      this.traversals.open(entry, link, mux);
      this.handover.confirmed(entry, link, mux);
      kickRoutesThrough(this.peers.values(), entry.fingerprint);
      notices.changed();
    });
    void mux.ping().then(
      (ms) => (entry.links.rttMs = ms),
      () => undefined,
    );
    notices.changed();
  }

  /**
   * `peers retry`: tries a direct link to the peer now, not after the backoff: its addresses are
   * dialed, and on its relay link a round of simultaneous opens starts (within the peer's budget).
   * @returns false when it is no peer here
   */
  retryDirect(fingerprint: string): boolean {
    const entry = this.peers.get(fingerprint);
    if (!entry) return false;
    if (!entry.links.get('direct')) entry.direct.kick();
    this.traversals.retry(entry);
    return true;
  }

  /** Saves newly learned direct addresses of a peer and dials them when direct is not up. */
  private learnAddresses(entry: PeerEntry, addresses: string[], source: ObservedSource): void {
    if (!learnPeerAddresses(this.deps.observations, entry, addresses, source)) return;
    if (!entry.links.get('direct')) entry.direct.kick();
  }

  /**
   * Opens a stream to a peer's service on its active path (direct when up).
   * @throws ClawError('PEER_OFFLINE') with why, or 'STREAM_REJECTED' with the peer's reason.
   */
  openStream(
    entry: ReadonlyPeerEntry,
    service: string,
    args: unknown,
    opts: OpenStreamOptions = {},
  ): Promise<{ stream: MuxStream; path: PathKind; remote: string }> {
    return this.reach.openStream(entry, service, args, opts);
  }

  /** The path new streams to `entry` use. @throws ClawError('PEER_OFFLINE') saying why there is none. */
  activePath(entry: ReadonlyPeerEntry): ActivePath {
    return this.reach.activePath(entry);
  }

  /** Where a peer is dialed directly: what the owner saved with what this node observed. */
  addressBook(fingerprint: string): KnownAddress[] {
    return this.reach.addressBook(fingerprint);
  }

  /** Where a peer's relay path meets it: the home relay its hello announced, else the one the owner gave. */
  homeRelay(fingerprint: string): RelaySetting | undefined {
    return this.reach.homeRelay(fingerprint);
  }

  /** What peer-state.ts judges a peer's reachability by. */
  stateSource(): PeerStateSource {
    return this.reach.stateSource();
  }
}
