/**
 * This node on its local network: the direct listener (direct-listener.ts) and, when LAN hosts can reach
 * it, the mDNS announcement and discovery (lan-discovery.ts) that LAN pairing and address learning use.
 * Its own part, built by the composition root (compose-agent.ts); it reports links and sightings as events.
 */
import type { Logger } from 'pino';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import type { Circuit } from '../transport/circuit.js';
import type { DirectListener, DirectListenerOptions } from '../transport/direct.js';
import { openDirectListener } from './direct-listener.js';
import { LanDiscovery, type LanPeerSighting } from './lan-discovery.js';
import { announceableAddresses } from './local-addresses.js';
import { dialLanIssuer } from './peer-addresses.js';
import { Emitter } from '../core/emitter.js';
import type { Link } from '../transport/link.js';
import type { NodeIdentityPort } from './ports.js';
import type { NoticeEvent } from '../api/contract.js';

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export interface LocalNetworkDeps {
  node: NodeIdentityPort;
  log: Logger;
  /** Who may link: handed to the listener as it is. */
  admit: DirectListenerOptions['admit'];
  /** A notice for the user (the agent prints it, the desktop app logs it). */
  notice: (notice: NoticeEvent, fields?: object) => void;
}

export class LocalNetwork {
  /** `link`: an authenticated direct link came in; `sighting`: a node announced itself on the LAN. */
  readonly events = new Emitter<{ link: [Link]; sighting: [LanPeerSighting] }>();
  private listener: DirectListener | undefined;
  private lan: LanDiscovery | undefined;

  constructor(private readonly deps: LocalNetworkDeps) {}

  /** Listens for direct links on `listen` (the LAN comes after: `startLan`). */
  async start(listen: string): Promise<void> {
    const { node, log, admit } = this.deps;
    this.listener = await openDirectListener(
      listen,
      {
        identity: node.identity,
        admit: (fp, remote) => admit(fp, remote),
        // Only nodes removed here are refused (admit): they keep knocking, so not a warning.
        onRefused: (fp, remote, reason) =>
          log.info({ fingerprint: fp, remote, reason }, 'refused direct link'),
        onLink: (link) => this.events.emit('link', link),
      },
      (line) => this.deps.notice({ kind: 'network', message: line }),
    );
    log.info({ listen: this.listenAddress }, 'direct listener up');
  }

  /**
   * Announces this node and discovers others on the LAN, when LAN hosts can reach the listener bound
   * for `listen` (not for loopback-only binds, nor without a listener).
   */
  startLan(listen: string): void {
    if (!this.listener || this.lan || isLoopbackHost(parseHostPort(listen).host)) return;
    const { node, log } = this.deps;
    this.lan = new LanDiscovery({
      name: node.name,
      fingerprint: node.identity.fingerprint,
      port: this.listener.port,
      log,
      onSighting: (sighting) => this.events.emit('sighting', sighting),
    });
  }

  /** `HOST:PORT`, an IPv6 host in brackets (`[::1]:7475`), as `peers add --address` takes it. */
  get listenAddress(): string | null {
    return this.listener ? formatHostPort(this.listener.host, this.listener.port) : null;
  }

  /** What this node announces in its hello: where peers can dial it directly. */
  directAddresses(): string[] {
    return this.listener ? announceableAddresses(this.listener.host, this.listener.port) : [];
  }

  /** True when a joiner on the LAN could reach this node's direct listener to pair. */
  lanPairingAvailable(): boolean {
    return this.lan !== undefined;
  }

  /** Announces the tags of the open pairing codes. */
  setTags(tags: string[]): void {
    this.lan?.setTags(tags);
  }

  /**
   * Looks for an issuer of `tag` on the LAN for up to LAN_SEARCH_MS and opens a `pair` stream to it over
   * a pinned direct link (the fingerprint comes from its announcement; the PAKE authenticates it).
   */
  findLanIssuer(tag: string): Promise<Circuit | undefined> {
    if (!this.lan) return Promise.resolve(undefined);
    return dialLanIssuer(this.lan, tag, {
      identity: this.deps.node.identity,
      log: this.deps.log,
      addresses: this.directAddresses(),
    });
  }

  /** Stops announcing (first, so peers stop dialing a node that is going away). */
  stopLan(): void {
    this.lan?.stop();
  }

  async closeListener(): Promise<void> {
    await this.listener?.close();
  }
}
