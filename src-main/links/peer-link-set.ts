/**
 * Links to peers (architecture.md §Links and paths): one entry per saved peer with its links and the
 * retriers that dial them, the hello each link starts with, and streams opened over whichever path is
 * up. Which nodes are peers is node state: entries follow the store's peer changes (a peer added by
 * approval, pairing or `peers add` is dialed; a removed one is hung up on), and every stream a peer
 * opens is checked against its record as the store has it at that moment.
 */
import type { Duplex } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { refusalOf } from '../core/errors.js';
import { sameRelayUrl } from '../core/relay-url.js';
import type { Identity } from '../crypto/identity.js';
import { FEATURE_EARLY_DATA } from '../mux/early-data.js';
import { Mux } from '../mux/mux.js';
import type { MuxStream } from '../mux/stream.js';
import type { Circuit } from '../transport/circuit.js';
import type { Link, PathKind } from '../transport/link.js';
import { announcedHomeRelay, CONTROL_SERVICE, ownHello, parseHello, type Hello } from './control-service.js';
import type { LanPeerSighting } from './lan-discovery.js';
import type { NodeState } from '../state/node-state.js';
import type { Notifier } from '../state/notices.js';
import { learnPeerAddresses } from './peer-addresses.js';
import { announcedOn } from './local-addresses.js';
import { seenAddresses, type KnownAddress } from '../state/address-book.js';
import {
  dialBook,
  effectiveHomeRelay,
  type ObservedSource,
  type Observations,
} from '../state/observations.js';
import { addressOf, peerStateView, refusedSince, type PeerStateSource } from './peer-view.js';
import { newPeerEntry } from './peer-entry.js';
import { notOnlineError } from './peer-state.js';
import { acceptRelayCircuit, dialDirectPath, dialRelayPath } from './path-dialers.js';
import { acceptRouteCircuit, dialRoutePath } from './route-dialer.js';
import { kickRoutesThrough, routeChanged, routeOfflineError } from './route-links.js';
import { attachPendingLink, type PendingLinkDeps } from './pending-links.js';
import type { ActivePath, OpenStreamOptions, ReadonlyPeerEntry } from './ports.js';
import type { PeerEntry } from './peer-entry.js';
import type { Relays } from '../relay-clients/relays.js';
import { RelaySplicer, SPLICE_SERVICE } from './relay-splice.js';
import { QuietLanes } from './quiet-lanes.js';
import { openOnNextPath } from './open-on-next-path.js';
import type { ServiceRegistry } from '../services/services.js';
import type { PeerRecord, RelaySetting } from '../state/settings.js';
import type { StateChange } from '../state/state-changes.js';
import type { Refusal } from '../core/refusal-codes.js';
import { readGrants, sameGrants, sendGrants } from '../trust/grants-channel.js';
import { FEATURE_TRAVERSE, TRAVERSE_SERVICE } from './traverse-protocol.js';
import {
  MAX_PUNCHES_PER_PEER,
  PUNCH_BUDGET_WINDOW_MS,
  TraverseSession,
  type OwnCandidates,
} from './traversal.js';
import { AttemptLimiter } from '../core/attempt-limiter.js';
import { DisposableStore } from '../core/disposables.js';
import { PunchedHandover } from './punched-handover.js';

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

/** Streams a relay link carries of its own: a control stream each way and `traverse`. */
const LINK_OWN_STREAMS = 3;

/**
 * Control streams live as long as their link; when the link dies they error with its reason, which the
 * mux's 'close' event already reports, so the stream error itself needs no handling beyond not crashing.
 */
function holdControlStream(stream: Duplex): void {
  stream.on('error', () => undefined);
  stream.resume();
}

/** This node on its network, as links see it: where it listens and whether direct dialing is on. */
export interface LocalNetworkView {
  directAddresses(): string[];
  readonly listenAddress: string | null;
}

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
  state: Pick<NodeState, 'get' | 'peer' | 'peers' | 'subscribe' | 'path'>;
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
  /** What peers may open here (terminal, tcp-connect…); `control` and `splice` are handled here. */
  services: Pick<ServiceRegistry, 'dispatch'>;
  /** This node's candidates across NATs (nat-candidates.ts); absent: no traversal is tried. */
  nat?: OwnCandidates;
}

export class PeerLinkSet {
  private readonly peers = new Map<string, PeerEntry>();
  /** Moves relay links onto splices where the relay and the peer can (ADR 0013). */
  private readonly splicer: RelaySplicer;
  /** Second connections of direct links, for terminals (ADR 0042). */
  private readonly lanes: QuietLanes;
  private readonly disposables = new DisposableStore();
  /** The control stream this node opened on each link: where its grants to the peer go. */
  private readonly ownControl = new WeakMap<Mux, Duplex>();
  /** Relay links with a `traverse` session, or one being opened (traversal.ts). */
  private readonly traversals = new WeakSet<Mux>();
  /** Each peer's `traverse` session on its relay link now, for `peers retry`. */
  private readonly sessions = new WeakMap<PeerEntry, TraverseSession>();
  /** Simultaneous opens per peer, across its relay links (traversal.ts MAX_PUNCHES_PER_PEER). */
  private readonly punches = new AttemptLimiter(MAX_PUNCHES_PER_PEER, PUNCH_BUDGET_WINDOW_MS);
  /** Closes the relay link once a punched direct link works, and rests the relay path meanwhile. */
  private readonly handover: PunchedHandover;
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

  /** A round trip to the peer just measured (`ping`), in ms: shown as its `rttMs` while it is online. */
  noteRtt(fingerprint: string, rttMs: number): void {
    const entry = this.peers.get(fingerprint);
    if (entry) entry.links.rttMs = rttMs;
  }

  /** Starts keeping links to every saved peer, and follows the store from now on. */
  start(): void {
    const { state, relays } = this.deps;
    this.disposables.add(
      state.subscribe((change) => this.onStateChange(change)),
      relays.events.on('connected', () => {
        for (const p of this.peers.values()) p.relay.kick();
      }),
      relays.events.on('removed', (url) => this.closeRelayLinks(url)),
      relays.events.on('incoming', (circuit) => this.acceptCircuit(circuit)),
    );
    for (const record of state.peers()) this.track(record);
  }

  stop(): void {
    this.stopped = true;
    this.disposables.dispose();
    for (const p of this.peers.values()) {
      p.direct.stop();
      p.relay.stop();
      p.route.stop();
      p.links.closeAll('agent stopping');
    }
  }

  private onStateChange(change: StateChange): void {
    if (this.stopped) return;
    // A node saved again (re-approved, paired again) may have been refusing us until now: its
    // fingerprint leaves the blocked or pending list then, even when its peer record is unchanged.
    if (change.kind === 'blocked') return this.kick(change.id);
    if (change.kind === 'pending') return this.kick((change.before ?? change.after)?.fingerprint);
    if (change.kind !== 'peer') return;
    const { before, after } = change;
    if (!after) {
      this.deps.observations.forget(change.id);
      return this.untrack(change.id, `removed as a peer by ${this.name}`);
    }
    if (!before || !this.peers.has(after.fingerprint)) return void this.track(after);
    const entry = this.peers.get(after.fingerprint)!;
    if (!sameGrants(before.allow, after.allow)) this.tellGrants(entry);
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

  /** Tells the peer, on each of its links, what it may do here now (docs/protocol.md §Grants). */
  private tellGrants(entry: PeerEntry): void {
    for (const path of ['direct', 'relay', 'route'] as const) {
      const mux = entry.links.get(path)?.mux;
      const stream = mux && this.ownControl.get(mux);
      if (stream) sendGrants(stream, entry.record.allow);
    }
  }

  /** Dials the peer's paths that are down now (a path that is up is left alone). */
  private kick(fingerprint: string | undefined): void {
    const entry = fingerprint === undefined ? undefined : this.peers.get(fingerprint);
    if (entry?.record.route) return entry.route.kick();
    entry?.direct.kick();
    entry?.relay.kick();
  }

  /** A LAN announcement: a known peer's addresses are merged in and a direct dial is tried. */
  onLanSighting(s: LanPeerSighting): void {
    const entry = this.peers.get(s.fingerprint);
    if (entry) this.learnAddresses(entry, s.addresses, 'lan');
  }

  private track(record: PeerRecord): void {
    // Only a hand edit puts this node among its own peers (the CLI and the window refuse it).
    if (record.fingerprint === this.deps.identity.fingerprint) {
      this.deps.notices.notice({
        kind: 'settings',
        message: `${this.deps.state.path} lists this node itself as peer '${record.name}'; ignored`,
      });
      return;
    }
    const fp = record.fingerprint;
    const entry = newPeerEntry(this.deps.identity.fingerprint, record, () => this.deps.state.peer(fp), {
      // A peer with a saved route is dialed through it alone.
      dialDirect: (e) =>
        this.deps.state.get().listen === null || e.record.route
          ? Promise.resolve(undefined)
          : dialDirectPath(this.deps.identity, { ...e.record, addresses: this.addressBook(fp) }, (address) =>
              this.deps.observations.worked(fp, address),
            ),
      dialRelay: (e) => {
        if (e.record.route || this.handover.holdsRelay(e)) return Promise.resolve(undefined);
        const homeRelay = this.homeRelay(fp);
        return dialRelayPath(this.deps.identity, this.deps.relays.dialer, {
          fingerprint: fp,
          ...(homeRelay ? { homeRelay } : {}),
        });
      },
      dialRoute: (e) =>
        dialRoutePath(
          {
            identity: this.deps.identity,
            name: () => this.name,
            peerEntry: (fp) => this.peers.get(fp),
            activePath: (hop) => this.activePath(hop),
          },
          e.record,
        ),
      attach: (l) => this.attach(l),
      onError: (path, message, repeated) => {
        this.deps.log.debug({ peer: entry.record.name, path }, `link attempt failed: ${message}`);
        // The peer's state line says why (peer-state.ts). A peer that is switched off fails the same
        // way every 30 s per path: with 90 of them, telling every listener (status events,
        // introductions, messages, files, each looking over all peers) each time was about a third of an
        // idle agent's CPU (ADR 0062).
        if (!repeated) this.deps.notices.changed();
      },
    });
    this.peers.set(fp, entry);
    entry.direct.kick();
    entry.relay.kick();
    entry.route.kick();
    this.deps.notices.changed();
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

  private closeRelayLinks(url: string): void {
    for (const p of this.peers.values()) {
      const relayLink = p.links.get('relay');
      if (relayLink && sameRelayUrl(relayLink.link.remote, url)) relayLink.mux.close(`relay ${url} removed`);
    }
  }

  private acceptCircuit(circuit: Circuit): void {
    void acceptRelayCircuit(
      {
        identity: this.deps.identity,
        log: this.deps.log,
        admit: (fp) => this.deps.admit(fp),
        attach: (link) => this.attach(link),
        pairing: { acceptPairing: this.deps.strangers.acceptPairing },
      },
      circuit,
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
      onStream: (req) => {
        if (req.service === CONTROL_SERVICE) {
          try {
            const hello = parseHello(req.args);
            this.onHello(entry, hello, link);
            if (hello.lane !== undefined) this.lanes.dial(link, mux, hello.lane);
            const control = req.accept();
            holdControlStream(control);
            readGrants(control, entry.record.name, log, (allow) => {
              if (sameGrants(entry.theyAllow, allow)) return;
              entry.theyAllow = allow;
              notices.changed();
            });
            this.splicer.onPeerHello(link, mux, hello.features);
            this.openTraversal(entry, link, mux);
          } catch (err) {
            req.reject('BAD_REQUEST', (err as Error).message);
          }
          return;
        }
        if (req.service === SPLICE_SERVICE) return this.splicer.accept(link, req);
        if (req.service === TRAVERSE_SERVICE) {
          // Only on a relay link, one per link, and only the coordinator (lower fingerprint) opens it.
          if (link.path !== 'relay' || !this.deps.nat || this.traversals.has(mux)) {
            return req.reject('BAD_REQUEST', 'traverse: not on this link');
          }
          if (this.deps.identity.fingerprint < entry.fingerprint) {
            return req.reject('BAD_REQUEST', 'traverse: the lower fingerprint opens it');
          }
          return this.startTraversal(entry, mux, req.accept(), false);
        }
        // The record as the store has it now: a permission taken away a moment ago is taken away.
        const record = this.deps.state.peer(entry.fingerprint);
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
    void mux
      .open(
        CONTROL_SERVICE,
        ownHello(
          this.name,
          announcedOn(link, this.deps.local.directAddresses()),
          this.deps.relays.saved()[0],
          this.lanes.offer(link, mux),
        ),
      )
      .then(
        (stream) => {
          entry.refusal = undefined;
          holdControlStream(stream);
          // The peer accepted us: tell it what it may do here (and again on every change).
          this.ownControl.set(mux, stream);
          sendGrants(stream, entry.record.allow);
          if (!entry.links.confirm(link)) return;
          this.openTraversal(entry, link, mux);
          this.handover.confirmed(entry, link, mux);
          kickRoutesThrough(this.peers.values(), entry.fingerprint);
          notices.changed();
        },
        (err: Error) => {
          // Only an answer is a refusal; a link that dropped while we said hello is just gone.
          const code = refusalOf(err);
          if (code === undefined) return;
          // The peer has not approved us (yet): remember its answer for `ping` and `peers` (peer-state.ts).
          entry.refusal = { code, message: err.message, at: Date.now() };
          log.info({ peer: entry.record.name }, `peer refused our hello: ${err.message}`);
          notices.changed();
        },
      );
    void mux.ping().then(
      (ms) => (entry.links.rttMs = ms),
      () => undefined,
    );
    notices.changed();
  }

  /**
   * On a relay link both sides speak `traverse` on and this node coordinates (lower fingerprint), once
   * the link is confirmed: opens the stream that tells candidates and agrees simultaneous opens.
   */
  private openTraversal(entry: PeerEntry, link: Link, mux: Mux): void {
    if (!this.deps.nat || link.path !== 'relay' || this.traversals.has(mux)) return;
    if (!entry.features?.includes(FEATURE_TRAVERSE)) return;
    if (this.deps.identity.fingerprint > entry.fingerprint) return;
    if (entry.links.get('relay')?.mux !== mux || !entry.links.get('relay')?.confirmed) return;
    // Marked before the open resolves: the hello and the confirmation may both call this.
    this.traversals.add(mux);
    mux.open(TRAVERSE_SERVICE, {}).then(
      (stream) => this.startTraversal(entry, mux, stream, true),
      (err: Error) => this.deps.log.debug({ peer: entry.record.name }, `traverse not opened: ${err.message}`),
    );
  }

  private startTraversal(entry: PeerEntry, mux: Mux, stream: Duplex, coordinator: boolean): void {
    const nat = this.deps.nat;
    if (!nat) return;
    entry.traversal = { punchAttempts: 0 };
    const state = entry.traversal;
    this.traversals.add(mux);
    // The session lives as long as its stream (the relay link): the stream's listeners hold it.
    const session = new TraverseSession(stream, coordinator, {
      identity: this.deps.identity,
      peerId: entry.fingerprint,
      own: nat,
      state,
      directUp: () => entry.links.get('direct')?.confirmed === true,
      mayPunch: () => this.punches.attempt(entry.fingerprint) === 0,
      budgetWaitMs: () => this.punches.wait(entry.fingerprint) * 1000,
      // In use: a stream beyond the link's own (a control stream each way, and `traverse`).
      inUse: () => mux.streamCount > LINK_OWN_STREAMS,
      attach: (l) => {
        this.handover.mark(l);
        this.attach(l);
      },
      learnMapped: (address) => this.learnAddresses(entry, [address], 'mapped'),
      changed: () => this.deps.notices.changed(),
      log: this.deps.log,
    });
    this.sessions.set(entry, session);
    stream.once('close', () => {
      if (this.sessions.get(entry) === session) this.sessions.delete(entry);
    });
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
    this.sessions.get(entry)?.retryNow();
    return true;
  }

  private onHello(entry: PeerEntry, hello: Hello, link: Link): void {
    entry.directOffThere = hello.addresses.length === 0;
    entry.features = hello.features ?? [];
    this.learnAddresses(entry, hello.addresses, 'hello');
    // A peer that dialed here directly came from an address a router may forward its port at.
    if (link.path === 'direct' && !link.initiator) {
      this.learnAddresses(entry, seenAddresses(link.remote, hello.addresses), 'seen');
    }
    // Where the peer lives now is an observation (observations.ts), never a write of config.json.
    const home = announcedHomeRelay(hello);
    if (home && this.deps.observations.hearHomeRelay(entry.fingerprint, home)) {
      // New: try the relay path there now, not after the backoff.
      entry.relay.kick();
      this.deps.notices.changed();
    }
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
  async openStream(
    entry: ReadonlyPeerEntry,
    service: string,
    args: unknown,
    opts: OpenStreamOptions = {},
  ): Promise<{ stream: MuxStream; path: PathKind; remote: string }> {
    // An older peer would take DATA before its ACCEPT as a violation and close the link.
    const early = entry.features?.includes(FEATURE_EARLY_DATA) ? opts.early : undefined;
    // A path that dies before the peer answers: once more on the next one (a terminal opened while a
    // frozen direct path is being judged dead comes up over the relay).
    const { value: stream, path: active } = await openOnNextPath({
      active: () => this.activePath(entry),
      current: () => entry.links.active,
      open: (path) => path.mux.open(service, args, early ? { early } : {}),
      early: early !== undefined,
    });
    // A link the peer dialed has an ephemeral far end: name the address it listens on, as `peers` does.
    return { stream, path: active.path, remote: addressOf(entry).address ?? active.link.remote };
  }

  /** The path new streams to `entry` use. @throws ClawError('PEER_OFFLINE') saying why there is none. */
  activePath(entry: ReadonlyPeerEntry): ActivePath {
    const active = entry.links.active;
    if (!active && entry.record.route && !refusedSince(entry)) {
      throw routeOfflineError(entry, (fp) => this.peers.get(fp)?.record.name);
    }
    if (!active) throw notOnlineError(entry.record.name, peerStateView(this.stateSource(), entry));
    return active;
  }

  /** Where a peer is dialed directly: what the owner saved with what this node observed. */
  addressBook(fingerprint: string): KnownAddress[] {
    const saved = this.deps.state.peer(fingerprint)?.addresses ?? [];
    return dialBook(saved, this.deps.observations.addresses(fingerprint));
  }

  /** Where a peer's relay path meets it: the home relay its hello announced, else the one the owner gave. */
  homeRelay(fingerprint: string): RelaySetting | undefined {
    return effectiveHomeRelay(
      this.deps.state.peer(fingerprint)?.homeRelay,
      this.deps.observations.homeRelay(fingerprint),
    );
  }

  /** What peer-state.ts judges a peer's reachability by. */
  stateSource(): PeerStateSource {
    return {
      peerName: (fp) => this.peers.get(fp)?.record.name,
      addressBook: (fp) => this.addressBook(fp),
      homeRelay: (fp) => this.homeRelay(fp),
      relayClients: () => this.deps.relays.dialer.list(),
      settings: { get: () => this.deps.state.get() },
    };
  }
}
