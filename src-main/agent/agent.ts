/**
 * The connector agent (architecture.md §Layers): composes identity, settings, the direct listener, relay clients and
 * one PeerLinks per peer, and serves the API contract. It imports no Electron, so the desktop app, the
 * CLI and tests all run the same agent.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Emitter } from '../core/emitter.js';
import { sameRelayUrl } from '../core/relay-url.js';
import { ClawError, hintOf, refusalOf } from '../core/errors.js';
import type { Refusal } from '../core/refusal-codes.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import type { Identity } from '../crypto/identity.js';
import { Mux } from '../mux/mux.js';
import { LocalNetwork } from './local-network.js';
import type { Link, PathKind } from '../transport/link.js';
import type { MuxStream } from '../mux/stream.js';
import type { RelayClient } from '../transport/relay-client.js';
import { RelaySet, relayIdleMsFrom } from './relay-set.js';
import type { Circuit } from '../transport/circuit.js';
import { announcedHomeRelay, CONTROL_SERVICE, parseHello, type Hello } from './control-service.js';
import { newPeerEntry } from './peer-entry.js';
import { addressOf, peerStateView } from './peer-api.js';
import { notOnlineError } from './peer-state.js';
import { acceptRelayCircuit, dialDirectPath, dialRelayPath } from './path-dialers.js';
import { attachPendingLink } from './pending-links.js';
import { ServiceRegistry } from './services.js';
import type { LanPeerSighting } from './lan-discovery.js';
import { learnPeerAddresses } from './peer-addresses.js';
import type { Approvals } from './approvals.js';
import type { Pairing } from './pairing.js';
import { startOwnRelay } from './own-relay.js';
import { AGENT_VERSION } from './version.js';
import { FEATURE_SPLICE, RelaySplicer, SPLICE_SERVICE } from './relay-splice.js';
import { FEATURE_PIPES, FEATURE_PTY_MODES, FEATURE_TERMINAL_TYPE } from '../protocol/terminal-frames.js';
import type { TrustStore } from './trust-store.js';
import type { RelayServer } from '../relay/server.js';
import type { PeerRecord, RelaySetting, SettingsStore } from './settings.js';
import { restartSettings, type RestartSettings } from './api/settings.js';
import type {
  ActivePath,
  LanPairingPort,
  LoggerPort,
  NodeIdentityPort,
  Notifier,
  PeerDirectory,
  PeerEntry,
  PeerStreams,
  RelayPort,
} from './ports.js';
import type { NoticeEvent } from '../api/contract.js';

/** Heartbeat on every link, in ms: a ping this often... */
export const LINK_HEARTBEAT_MS = 5_000;
/** ...and a link with no traffic for this long is dead (well under the 45 s of architecture.md §Relay). */
export const LINK_DEAD_AFTER_MS = 15_000;
// Where they are used; re-exported because tests and the CLI know them as the agent's.
export { RELAY_LINK_TIMEOUT_MS } from './path-dialers.js';
export { AGENT_VERSION } from './version.js';

/**
 * Control streams live as long as their link; when the link dies they error with its reason, which the
 * mux's 'close' event already reports, so the stream error itself needs no handling beyond not crashing.
 */
function holdControlStream(stream: Duplex): void {
  stream.on('error', () => undefined);
  stream.resume();
}

/** The parts that answer for the agent's peers: approvals of requests, and pairing by code. */
export interface AgentParts {
  approvals: Approvals;
  pairing: Pairing;
}

export interface AgentOptions {
  identity: Identity;
  settings: SettingsStore;
  logger: Logger;
  /** The only writer of saved peers, pending requests and the blocked list. */
  trust: TrustStore;
  /**
   * Builds approvals and pairing around this agent, given as the narrow ports they declare. A factory
   * because they and the agent use each other (links bring hellos and pairing streams to them; they
   * add peers to it): the composition root (compose-agent.ts) decides how they are made and wired.
   */
  parts: (agent: Agent) => AgentParts;
  /**
   * How long a relay used only on demand (a peer's home relay) may carry nothing before it is dropped,
   * in ms; default: the CLAWBRIDGE_RELAY_IDLE_MS environment variable, else ON_DEMAND_RELAY_IDLE_MS.
   */
  relayIdleMs?: number;
}

export type { PeerEntry } from './ports.js';

export class Agent
  implements NodeIdentityPort, LoggerPort, Notifier, PeerDirectory, RelayPort, PeerStreams, LanPairingPort
{
  /** `changed`: status changed; `notice`: a one-line problem the user should see (e.g. a relay error). */
  /**
   * `notice` is for what prints notices as the agent's own output (the CLI); `window-notice` for the
   * API's subscribers (the window), which do not replace the log line.
   */
  readonly events = new Emitter<{ changed: []; notice: [NoticeEvent]; 'window-notice': [NoticeEvent] }>();
  private readonly local: LocalNetwork;
  /** The relay this node serves with --act-as-relay. */
  ownRelay: RelayServer | undefined;
  private readonly relays: RelaySet;
  private readonly peers = new Map<string, PeerEntry>();
  /** Moves relay links onto splices where the relay and the peer can (ADR 0013). */
  private readonly splicer: RelaySplicer;
  private stopped = false;
  /** The settings read only at start, as this run uses them (settings.set reports changes to them). */
  startedWith: RestartSettings;

  /** The only writer of saved peers, pending requests and the blocked list. */
  readonly trust: TrustStore;
  readonly approvals: Approvals;
  readonly pairing: Pairing;
  /** What peers may open here (terminal, tcp-connect…); `control` is handled by the agent itself. */
  readonly services = new ServiceRegistry();

  constructor(private readonly opts: AgentOptions) {
    this.relays = new RelaySet(
      {
        identity: opts.identity,
        log: opts.logger,
        onState: (url, state) => {
          this.log.info({ relay: url, state }, 'relay state');
          if (state === 'connected') for (const p of this.peers.values()) p.relay.kick();
          this.changed();
        },
        onError: (url, err) => {
          this.notice({ kind: 'relay', message: err.message, hint: hintOf(err) }, { relay: url });
          this.changed();
        },
        onIncoming: (circuit) => void acceptRelayCircuit(this, circuit),
      },
      { idleMs: opts.relayIdleMs ?? relayIdleMsFrom(process.env) },
    );
    this.trust = opts.trust;
    this.startedWith = restartSettings(opts.settings.get());
    this.local = new LocalNetwork({
      node: this,
      log: opts.logger,
      links: { admit: (fp) => this.admit(fp), onLink: (link) => this.attach(link) },
      onSighting: (sighting) => this.onLanSighting(sighting),
      notice: (notice, fields) => this.notice(notice, fields),
    });
    ({ approvals: this.approvals, pairing: this.pairing } = opts.parts(this));
    this.splicer = new RelaySplicer({
      identity: opts.identity,
      log: opts.logger,
      holdRelay: (url) => this.relays.hold(url),
    });
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
    return this.local.listenAddress;
  }
  relayClients(): RelayClient[] {
    return this.relays.list();
  }
  savedRelays(): readonly RelaySetting[] {
    return this.settings.get().relays;
  }
  peerEntries(): PeerEntry[] {
    return [...this.peers.values()];
  }

  async start(): Promise<void> {
    this.approvals.dropOrphanedCodeRequests();
    const s = this.settings.get();
    this.startedWith = restartSettings(s);
    if (s.listen !== null) await this.local.start(s.listen, s.lan);
    if (s.actAsRelay) this.ownRelay = await startOwnRelay(this, s.relayListen);
    for (const relay of s.relays) this.relays.add(relay.url, relay.fingerprint, relay.token);
    for (const record of s.peers) {
      // Only a hand edit puts this node among its own peers (the CLI and the window refuse it).
      if (record.fingerprint === this.identity.fingerprint) {
        this.notice({
          kind: 'settings',
          message: `${this.settings.path} lists this node itself as peer '${record.name}'; ignored`,
        });
        continue;
      }
      this.trackPeer(record);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.local.stopLan();
    for (const p of this.peers.values()) {
      p.direct.stop();
      p.relay.stop();
      p.links.closeAll('agent stopping');
    }
    this.relays.stopAll();
    await this.local.closeListener();
    await this.ownRelay?.close();
  }

  /** Joins this node's own relay (not saved: it exists only while this agent runs). */
  useInternalRelay(url: string, fingerprint: string): void {
    this.relays.add(url, fingerprint);
  }

  /**
   * Uses a relay from now on, saving it; nothing changes if it is saved already. A relay used on demand
   * until now becomes saved (relay-set.ts).
   */
  ensureRelay(url: string, fingerprint?: string, token?: string): void {
    if (this.savedRelays().some((r) => sameRelayUrl(r.url, url))) return;
    this.settings.update((s) => ({
      ...s,
      relays: [...s.relays, { url, ...(fingerprint ? { fingerprint } : {}), ...(token ? { token } : {}) }],
    }));
    this.relays.add(url, fingerprint, token);
  }

  /**
   * A relay this node is not on, reached on demand and dropped when idle (docs/relay-protocol.md §Home
   * relays).
   */
  acquireRelay(url: string, fingerprint?: string, token?: string): RelayClient {
    return this.relays.acquire(url, fingerprint, token);
  }

  /** True when this node uses `url` only on demand (to reach a peer's home relay), not as a saved relay. */
  isOnDemandRelay(url: string): boolean {
    return this.relays.isOnDemand(url);
  }

  /**
   * Stops using a relay and forgets it (links over it fall back to other paths).
   * @throws ClawError('BAD_ARGUMENT') when this node does not use that relay.
   */
  removeRelay(url: string): void {
    const saved = this.settings.get().relays.some((r) => sameRelayUrl(r.url, url));
    if (!this.relays.has(url) && !saved) {
      throw new ClawError('BAD_ARGUMENT', `removeRelay: this node does not use ${url}`);
    }
    this.settings.update((s) => ({ ...s, relays: s.relays.filter((r) => !sameRelayUrl(r.url, url)) }));
    this.relays.remove(url);
    for (const p of this.peers.values()) {
      const relayLink = p.links.get('relay');
      if (relayLink && sameRelayUrl(relayLink.link.remote, url)) relayLink.mux.close(`relay ${url} removed`);
    }
    this.changed();
  }

  lanPairingAvailable(): boolean {
    return this.local.lanPairingAvailable();
  }

  lanTagsChanged(): void {
    this.local.setTags(this.pairing.activeTags());
  }

  findLanIssuer(tag: string): Promise<Circuit | undefined> {
    return this.local.findLanIssuer(tag);
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
      // New facts (an address, a home relay or its pin): try both paths now, not after the backoff.
      existing.direct.kick();
      existing.relay.kick();
      return existing;
    }
    const entry = newPeerEntry(this.identity.fingerprint, record, {
      dialDirect: (e) =>
        this.settings.get().listen === null
          ? Promise.resolve(undefined)
          : dialDirectPath(this.identity, e.record),
      dialRelay: (e) => dialRelayPath(this.identity, this.relays, e.record),
      attach: (l) => this.attach(l),
      onError: (path, message) => {
        this.log.debug({ peer: record.name, path }, `link attempt failed: ${message}`);
        this.changed(); // the peer's state line says why (peer-state.ts)
      },
    });
    this.peers.set(record.fingerprint, entry);
    entry.direct.kick();
    entry.relay.kick();
    return entry;
  }

  untrackPeer(fingerprint: string, reason: string): void {
    const entry = this.peers.get(fingerprint);
    if (!entry) return;
    this.peers.delete(fingerprint);
    // Told first, while the links are up: services hang up what the peer had open (terminals say why
    // on their streams), and what this node had open there, before the links close. A stream's end
    // (FIN) goes out a tick after end() is called, hence the links close a turn later.
    this.changed();
    entry.direct.stop();
    entry.relay.stop();
    setImmediate(() => entry.links.closeAll(reason));
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
            const hello = parseHello(req.args);
            this.onHello(entry, hello);
            holdControlStream(req.accept());
            this.splicer.onPeerHello(link, mux, hello.features);
          } catch (err) {
            req.reject('BAD_REQUEST', (err as Error).message);
          }
          return;
        }
        if (req.service === SPLICE_SERVICE) return this.splicer.accept(link, req);
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
      // Through a relay the other side can only refuse us once our end of the handshake is done, so
      // its refusal (removed, rejected) arrives as the close of a link that came up.
      const code = refusalOf(err);
      if (err && code !== undefined) entry.refusal = { code, message: err.message, at: Date.now() };
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
        // Only an answer is a refusal; a link that dropped while we said hello is just gone.
        const code = refusalOf(err);
        if (code === undefined) return;
        // The peer has not approved us (yet): remember its answer for `ping` and `peers` (peer-state.ts).
        entry.refusal = { code, message: err.message, at: Date.now() };
        this.log.info({ peer: entry.record.name }, `peer refused our hello: ${err.message}`);
        this.changed();
      },
    );
    void mux.ping().then(
      (ms) => (entry.links.rttMs = ms),
      () => undefined,
    );
    this.changed();
  }

  /** Our hello: the home relay is the first saved one, with its pin, so peers reach us there on demand. */
  private hello(): Hello {
    const home = this.savedRelays()[0];
    return {
      v: 1,
      name: this.name,
      version: AGENT_VERSION,
      addresses: this.local.directAddresses(),
      homeRelay: home?.url ?? null,
      ...(home?.fingerprint ? { homeRelayFingerprint: home.fingerprint } : {}),
      features: [FEATURE_SPLICE, FEATURE_TERMINAL_TYPE, FEATURE_PTY_MODES, FEATURE_PIPES],
    };
  }

  private onHello(entry: PeerEntry, hello: Hello): void {
    entry.directOffThere = hello.addresses.length === 0;
    entry.features = hello.features ?? [];
    this.learnAddresses(entry, hello.addresses);
    const home = announcedHomeRelay(hello);
    if (home) entry.record = this.trust.setHomeRelay(entry.record.fingerprint, home) ?? entry.record;
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
    // A link the peer dialed has an ephemeral far end: name the address it listens on, as `peers` does.
    return { stream, path: active.path, remote: addressOf(entry).address ?? active.link.remote };
  }

  /** The path new streams to `entry` use. @throws ClawError('PEER_OFFLINE') saying why there is none. */
  activePath(entry: PeerEntry): ActivePath {
    const active = entry.links.active;
    if (!active) throw notOnlineError(entry.record.name, peerStateView(this, entry));
    return active;
  }

  changed(): void {
    this.events.emit('changed');
  }

  /**
   * A one-line problem the user should see. It is logged too, at `warn` when nothing shows notices
   * (the desktop app's agent logs to `agent.log`, where the user finds it with the tray's "Open log
   * folder") and at `info` when something does: the CLI prints notices on the stderr its log also
   * goes to, and a warning there would print every one twice.
   */
  notice(notice: NoticeEvent, fields: object = {}): void {
    const shown = this.events.listenerCount('notice') > 0;
    this.events.emit('notice', notice);
    this.events.emit('window-notice', notice);
    const logged = { ...fields, kind: notice.kind, ...(notice.hint ? { hint: notice.hint } : {}) };
    if (shown) this.log.info(logged, notice.message);
    else this.log.warn(logged, notice.message);
  }

  onChanged(listener: () => void): () => void {
    return this.events.on('changed', listener);
  }

  /**
   * The notices about a forward or proxy (a connection its peer refused, connections a lost link cut),
   * for the API's event subscribers: the window shows them, which it has no other way to learn. Other
   * notices are news the window shows in its own way (a request to pair, a relay's state).
   */
  onForwardNotice(listener: (notice: NoticeEvent) => void): () => void {
    return this.events.on('window-notice', (notice) => {
      if (notice.kind === 'forward' || notice.kind === 'proxy') listener(notice);
    });
  }
}
