/**
 * The connector agent (DESIGN §3): composes identity, settings, the direct listener, relay clients and
 * one PeerLinks per peer, and serves the API contract. It imports no Electron, so the desktop app, the
 * CLI and tests all run the same agent.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Emitter } from '../core/emitter.js';
import { ClawError, refusalOf } from '../core/errors.js';
import type { Refusal, RefusalCode } from '../core/refusal-codes.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { parseHostPort } from '../core/host-port.js';
import type { Identity } from '../crypto/identity.js';
import { Mux } from '../mux/mux.js';
import type { DirectListener } from '../transport/direct.js';
import { openDirectListener } from './direct-listener.js';
import type { Link, PathKind } from '../transport/link.js';
import type { MuxStream } from '../mux/stream.js';
import type { RelayClient } from '../transport/relay-client.js';
import { RelaySet } from './relay-set.js';
import type { Circuit } from '../transport/circuit.js';
import { announceableAddresses } from './local-addresses.js';
import { CONTROL_SERVICE, parseHello, type Hello } from './control-service.js';
import { PeerLinks } from './peer-links.js';
import { peerStateView } from './peer-api.js';
import { notOnlineLine } from './peer-state.js';
import { PathRetrier } from './peer-connector.js';
import { acceptRelayCircuit, dialDirectPath, dialRelayPath } from './path-dialers.js';
import { attachPendingLink } from './pending-links.js';
import { ServiceRegistry } from './services.js';
import { LanDiscovery, type LanPeerSighting } from './lan-discovery.js';
import { dialLanIssuer, learnPeerAddresses } from './peer-addresses.js';
import { Approvals } from './approvals.js';
import { Pairing } from './pairing.js';
import { startOwnRelay } from './own-relay.js';
import { TrustStore } from './trust-store.js';
import type { RelayServer } from '../relay/server.js';
import type { PeerRecord, SettingsStore } from './settings.js';

/** Heartbeat on every link, in ms: a ping this often... */
export const LINK_HEARTBEAT_MS = 5_000;
/** ...and a link with no traffic for this long is dead (well under DESIGN's 45 s). */
export const LINK_DEAD_AFTER_MS = 15_000;
/** How long one relay circuit + E2E handshake may take, in ms. */
export const RELAY_LINK_TIMEOUT_MS = 10_000;
export const AGENT_VERSION = '0.1.0';
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Control streams live as long as their link; when the link dies they error with its reason, which the
 * mux's 'close' event already reports, so the stream error itself needs no handling beyond not crashing.
 */
function holdControlStream(stream: Duplex): void {
  stream.on('error', () => undefined);
  stream.resume();
}

export interface AgentOptions {
  identity: Identity;
  settings: SettingsStore;
  logger: Logger;
}

export interface PeerEntry {
  record: PeerRecord;
  /** Why the peer refused our hello (e.g. it has not approved us yet) and when, until it accepts one. */
  refusal?: { code: RefusalCode; message: string; at: number } | undefined;
  /** The peer's last hello announced no direct address: its direct listener is off. */
  directOffThere?: boolean | undefined;
  links: PeerLinks;
  direct: PathRetrier;
  relay: PathRetrier;
}

export class Agent {
  /** `changed`: status changed; `notice`: a one-line problem the user should see (e.g. a relay error). */
  readonly events = new Emitter<{ changed: []; notice: [string] }>();
  private listener: DirectListener | undefined;
  private lan: LanDiscovery | undefined;
  /** The relay this node serves with --act-as-relay. */
  ownRelay: RelayServer | undefined;
  private readonly relays: RelaySet;
  private readonly peers = new Map<string, PeerEntry>();
  private stopped = false;

  /** The only writer of saved peers, pending requests and the blocked list. */
  readonly trust: TrustStore;
  readonly approvals: Approvals;
  readonly pairing: Pairing;
  /** What peers may open here (terminal, tcp-connect…); `control` is handled by the agent itself. */
  readonly services = new ServiceRegistry();

  constructor(private readonly opts: AgentOptions) {
    this.relays = new RelaySet({
      identity: opts.identity,
      log: opts.logger,
      onState: (url, state) => {
        this.log.info({ relay: url, state }, 'relay state');
        if (state === 'connected') for (const p of this.peers.values()) p.relay.kick();
        this.changed();
      },
      onError: (url, err) => {
        this.log.info({ relay: url }, err.message);
        this.events.emit('notice', err.message);
        this.changed();
      },
      onIncoming: (circuit) => void acceptRelayCircuit(this, circuit),
    });
    this.trust = new TrustStore(opts.settings);
    this.approvals = new Approvals(this);
    this.pairing = new Pairing(this);
  }

  get identity(): Identity {
    return this.opts.identity;
  }
  get settings(): SettingsStore {
    return this.opts.settings;
  }
  get log(): Logger {
    return this.opts.logger;
  }
  get name(): string {
    return this.settings.get().name ?? 'clawbridge';
  }
  get listenAddress(): string | null {
    return this.listener ? `${this.listener.host}:${this.listener.port}` : null;
  }
  relayClients(): RelayClient[] {
    return this.relays.list();
  }
  peerEntries(): PeerEntry[] {
    return [...this.peers.values()];
  }

  async start(): Promise<void> {
    const s = this.settings.get();
    if (s.listen !== null) await this.startListener(s.listen);
    if (s.actAsRelay) this.ownRelay = await startOwnRelay(this, s.relayListen);
    for (const relay of s.relays) this.relays.add(relay.url, relay.fingerprint, relay.token);
    for (const record of s.peers) this.trackPeer(record);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.lan?.stop();
    for (const p of this.peers.values()) {
      p.direct.stop();
      p.relay.stop();
      p.links.closeAll('agent stopping');
    }
    this.relays.stopAll();
    await this.listener?.close();
    await this.ownRelay?.close();
  }

  private async startListener(listen: string): Promise<void> {
    const { host } = parseHostPort(listen);
    this.listener = await openDirectListener(
      listen,
      {
        identity: this.identity,
        admit: (fp) => this.admit(fp),
        onRefused: (fp, remote, reason) =>
          this.log.warn({ fingerprint: fp, remote, reason }, 'refused direct link'),
        onLink: (link) => this.attach(link),
      },
      this.log,
    );
    this.log.info({ listen: this.listenAddress }, 'direct listener up');
    // Announce on the LAN only when LAN hosts can reach the listener (not for loopback-only binds).
    if (this.settings.get().lan && !isLoopbackHost(host)) {
      this.lan = new LanDiscovery({
        name: this.name,
        fingerprint: this.identity.fingerprint,
        port: this.listener.port,
        log: this.log,
        onSighting: (sighting) => this.onLanSighting(sighting),
      });
    }
  }

  /** Joins this node's own relay (not saved: it exists only while this agent runs). */
  useInternalRelay(url: string, fingerprint: string): void {
    this.relays.add(url, fingerprint);
  }

  /** Uses a relay from now on (an invite's relay), saving it; nothing changes if it is already used. */
  ensureRelay(url: string, fingerprint?: string, token?: string): void {
    if (this.relays.has(url)) return;
    this.settings.update((s) => ({
      ...s,
      relays: [...s.relays, { url, ...(fingerprint ? { fingerprint } : {}), ...(token ? { token } : {}) }],
    }));
    this.relays.add(url, fingerprint, token);
  }

  /**
   * Stops using a relay and forgets it (links over it fall back to other paths).
   * @throws ClawError('BAD_ARGUMENT') when this node does not use that relay.
   */
  removeRelay(url: string): void {
    const saved = this.settings.get().relays.some((r) => r.url === url);
    if (!this.relays.has(url) && !saved) {
      throw new ClawError('BAD_ARGUMENT', `removeRelay: this node does not use ${url}`);
    }
    this.settings.update((s) => ({ ...s, relays: s.relays.filter((r) => r.url !== url) }));
    this.relays.remove(url);
    for (const p of this.peers.values()) {
      const relayLink = p.links.get('relay');
      if (relayLink && relayLink.link.remote === url) relayLink.mux.close(`relay ${url} removed`);
    }
    this.changed();
  }

  /** True when a joiner on the LAN could reach this node's direct listener to pair. */
  lanPairingAvailable(): boolean {
    return this.lan !== undefined;
  }

  lanTagsChanged(): void {
    this.lan?.setTags(this.pairing.activeTags());
  }

  /**
   * Looks for an issuer of `tag` on the LAN for up to LAN_SEARCH_MS and opens a `pair` stream to it over
   * a pinned direct link (the fingerprint comes from its announcement; the PAKE authenticates it).
   */
  findLanIssuer(tag: string): Promise<Circuit | undefined> {
    if (!this.lan) return Promise.resolve(undefined);
    return dialLanIssuer(this.lan, tag, {
      identity: this.identity,
      log: this.log,
      addresses: this.directAddresses(),
    });
  }

  private directAddresses(): string[] {
    return this.listener ? announceableAddresses(this.listener.host, this.listener.port) : [];
  }

  /** A LAN announcement: a known peer's addresses are merged in and a direct dial is tried. */
  private onLanSighting(s: LanPeerSighting): void {
    const entry = this.peers.get(s.fingerprint);
    if (entry) this.learnAddresses(entry, s.addresses);
  }

  /**
   * A refusal reason, or undefined to let the node in: peers link; other nodes may only say hello and
   * become pending (pending-links.ts); nodes the owner removed or rejected are refused outright.
   */
  admit(fingerprint: string): Refusal | undefined {
    if (this.peers.has(fingerprint)) return undefined;
    if (this.approvals.isBlocked(fingerprint)) {
      return {
        code: 'REMOVED',
        reason: `node ${abbreviateFingerprint(fingerprint)} was removed by ${this.name}; to connect again, pair with a new code from its owner`,
      };
    }
    return undefined;
  }

  trackPeer(record: PeerRecord): PeerEntry {
    const existing = this.peers.get(record.fingerprint);
    if (existing) {
      existing.record = record;
      existing.direct.kick();
      return existing;
    }
    const links = new PeerLinks(this.identity.fingerprint, record.fingerprint);
    const onError = (path: string, message: string) => {
      this.log.debug({ peer: record.name, path }, `link attempt failed: ${message}`);
      this.changed(); // the peer's state line says why (peer-state.ts)
    };
    const entry: PeerEntry = {
      record,
      links,
      direct: new PathRetrier(
        'direct',
        () =>
          this.settings.get().listen === null
            ? Promise.resolve(undefined)
            : dialDirectPath(this.identity, entry.record),
        () => !!links.get('direct'),
        (l) => this.attach(l),
        onError,
      ),
      relay: new PathRetrier(
        'relay',
        () => dialRelayPath(this.identity, this.relayClients(), entry.record.fingerprint),
        () => !!links.get('relay'),
        (l) => this.attach(l),
        onError,
      ),
    };
    this.peers.set(record.fingerprint, entry);
    entry.direct.kick();
    entry.relay.kick();
    return entry;
  }

  untrackPeer(fingerprint: string, reason: string): void {
    const entry = this.peers.get(fingerprint);
    if (!entry) return;
    this.peers.delete(fingerprint);
    entry.direct.stop();
    entry.relay.stop();
    entry.links.closeAll(reason);
    this.changed();
  }

  /** Puts an authenticated link to work: mux, hello, path bookkeeping. */
  attach(link: Link): void {
    if (this.stopped) return link.close('agent stopping');
    const entry = this.peers.get(link.peerId);
    if (!entry)
      return attachPendingLink(
        {
          name: this.name,
          log: this.log,
          onUnknownHello: (l, hello) => this.approvals.onUnknownHello(l, hello),
          onPairStream: (stream, l, args) => this.pairing.acceptLanPairing(stream, l, args),
        },
        link,
      );
    const mux = new Mux(link, {
      heartbeatMs: LINK_HEARTBEAT_MS,
      deadAfterMs: LINK_DEAD_AFTER_MS,
      onStream: (req) => {
        if (req.service === CONTROL_SERVICE) {
          try {
            this.onHello(entry, parseHello(req.args));
            holdControlStream(req.accept());
          } catch (err) {
            req.reject('BAD_REQUEST', (err as Error).message);
          }
          return;
        }
        const { fingerprint, name, allow } = entry.record;
        this.services.dispatch(this.name, { fingerprint, name, allow }, req);
      },
    });
    const since = new Date();
    const decision = entry.links.offer(link.path, { link, mux, since });
    decision.close?.mux.close('duplicate link');
    if (!decision.keep) return;
    this.log.info({ peer: entry.record.name, path: link.path, remote: link.remote }, 'link up');
    mux.on('rtt', (ms: number) => {
      if (entry.links.active?.mux === mux) entry.links.rttMs = ms;
    });
    mux.on('close', (err?: Error) => {
      if (!entry.links.remove(link)) return;
      this.log.info({ peer: entry.record.name, path: link.path, reason: err?.message }, 'link down');
      (link.path === 'direct' ? entry.direct : entry.relay).lost(Date.now() - since.getTime());
      this.changed();
    });
    void mux.open(CONTROL_SERVICE, this.hello()).then(
      (stream) => {
        entry.refusal = undefined;
        holdControlStream(stream);
        if (entry.links.confirm(link)) this.changed();
      },
      (err: Error) => {
        // The peer has not approved us (yet): remember its answer for `ping` and `peers` (peer-state.ts).
        const message = err.message;
        entry.refusal = { code: refusalOf(err) ?? 'UNSPECIFIED', message, at: Date.now() };
        this.log.info({ peer: entry.record.name }, `peer refused our hello: ${message}`);
        this.changed();
      },
    );
    void mux.ping().then(
      (ms) => (entry.links.rttMs = ms),
      () => undefined,
    );
    this.changed();
  }

  private hello(): Hello {
    const homeRelay = this.settings.get().relays[0]?.url ?? null;
    return {
      v: 1,
      name: this.name,
      version: AGENT_VERSION,
      addresses: this.directAddresses(),
      homeRelay,
    };
  }

  private onHello(entry: PeerEntry, hello: Hello): void {
    entry.directOffThere = hello.addresses.length === 0;
    this.learnAddresses(entry, hello.addresses);
  }

  /** Saves newly learned direct addresses of a peer and dials them when direct is not up. */
  private learnAddresses(entry: PeerEntry, addresses: string[]): void {
    if (!learnPeerAddresses(this.trust, entry, addresses)) return;
    if (!entry.links.get('direct')) entry.direct.kick();
  }

  /**
   * Opens a stream to a peer's service on its active path (direct when up).
   * @throws ClawError('PEER_OFFLINE') with why, or 'STREAM_REJECTED' with the peer's reason.
   */
  async openStream(
    entry: PeerEntry,
    service: string,
    args: unknown,
  ): Promise<{ stream: MuxStream; path: PathKind; remote: string }> {
    const active = this.activePath(entry);
    const stream = await active.mux.open(service, args);
    return { stream, path: active.path, remote: active.link.remote };
  }

  /** The path new streams to `entry` use. @throws ClawError('PEER_OFFLINE') saying why there is none. */
  activePath(entry: PeerEntry): NonNullable<PeerLinks['active']> {
    const active = entry.links.active;
    if (!active)
      throw new ClawError('PEER_OFFLINE', notOnlineLine(entry.record.name, peerStateView(this, entry)));
    return active;
  }

  changed(): void {
    this.events.emit('changed');
  }
}
