/**
 * Where this node can be reached from across NATs, as it learns it (docs/adr/0081-direct-across-nats.md):
 * the public address and port each relay observes of its connection (transport/relay-client.ts
 * `observed`), a port mapping for the direct listener on the LAN's router (transport/nat/port-mapping.ts,
 * only when the listener is bound where the LAN reaches it and the `portMapping` setting is on), and
 * what kind of NAT that makes it look behind (nat-kind.ts). One part of the node, started after the
 * listener and the relays; peers are told over their links (traversal.ts), never in clear.
 */
import type { Logger } from 'pino';
import type { AuditSink } from '../audit/audit-writer.js';
import { Emitter } from '../core/emitter.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { lanGatewayFinder, type GatewayFinder } from '../transport/nat/mapping-gateways.js';
import {
  classifyNatLeaning,
  type NatObservation,
  type NatVerdict,
  type TraversalFacts,
} from '../transport/nat/nat-kind.js';
import { PortMapping, type PortMappingStatus } from '../transport/nat/port-mapping.js';
import type { RelayObservation } from '../transport/relay-client.js';

/** One relay's observation as `status` shows it. */
export interface ObservedAddress {
  relay: string;
  address: string;
  port: number;
  local: { address: string; port: number } | undefined;
}

/** What `status` shows of this node across NATs. */
export interface NatStatusView {
  observed: ObservedAddress[];
  mapping: PortMappingStatus;
  nat: NatVerdict;
}

export interface NatCandidatesDeps {
  log: Pick<Logger, 'info' | 'debug'>;
  /** The `portMapping` setting as the store has it at start. */
  portMapping(): boolean;
  /** The direct listener's `HOST:PORT`, or null when there is none. */
  listenAddress(): string | null;
  /** The relays this node is on, each with what it observed. */
  relays(): readonly { url: string; observed: RelayObservation | undefined }[];
  /** Told when a relay (re)connects: its observation may be new. */
  onRelayConnected(listener: () => void): () => void;
  audit?: AuditSink | undefined;
  /** Where routers are found (tests give a fake); the LAN's UPnP and NAT-PMP by default. */
  finder?: GatewayFinder;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export class NatCandidates {
  /** `changed`: an observation or the mapping changed; peers are told again. */
  readonly events = new Emitter<{ changed: [] }>();
  private mapping: PortMapping | undefined;
  private stopRelays: (() => void) | undefined;

  constructor(private readonly deps: NatCandidatesDeps) {}

  start(): void {
    this.stopRelays = this.deps.onRelayConnected(() => this.events.emit('changed'));
    const listen = this.deps.listenAddress();
    if (listen === null) return;
    const { host, port } = parseHostPort(listen);
    // A loopback listener is not reachable from the LAN, let alone through the router.
    if (isLoopbackHost(host)) return;
    let made: Extract<PortMappingStatus, { state: 'mapped' }> | undefined;
    this.mapping = new PortMapping({
      enabled: this.deps.portMapping(),
      internalPort: port,
      finder: this.deps.finder ?? lanGatewayFinder(),
      onChange: (status) => {
        if (status.state === 'mapped' && made === undefined) {
          made = status;
          this.audit('made', status);
          this.deps.log.info(
            { router: status.router, external: formatHostPort(status.external.host, status.external.port) },
            `port mapping made (${status.protocol})`,
          );
        } else if (status.state !== 'mapped' && made !== undefined) {
          this.audit('removed', made, status.state === 'stopped' ? undefined : status.state);
          made = undefined;
        }
        this.events.emit('changed');
      },
    });
    this.mapping.start();
  }

  /** Removes the mapping from the router (bounded in time). */
  async stop(): Promise<void> {
    this.stopRelays?.();
    await this.mapping?.stop();
  }

  private audit(
    change: 'made' | 'removed',
    m: Extract<PortMappingStatus, { state: 'mapped' }>,
    reason?: string,
  ): void {
    this.deps.audit?.record({
      kind: 'port-mapping',
      change,
      what: `${m.protocol} mapping of TCP port ${m.internal.port} on the router at ${m.router}`,
      address: formatHostPort(m.external.host, m.external.port),
      outcome: 'ok',
      ...(reason ? { reason } : {}),
    });
  }

  observed(): ObservedAddress[] {
    return this.deps
      .relays()
      .flatMap((r) =>
        r.observed
          ? [{ relay: r.url, address: r.observed.address, port: r.observed.port, local: r.observed.local }]
          : [],
      );
  }

  verdict(): NatVerdict {
    const observations: NatObservation[] = this.observed().map((o) => ({
      destination: o.relay,
      address: o.address,
      port: o.port,
      local: o.local,
    }));
    return classifyNatLeaning(observations);
  }

  mappingStatus(): PortMappingStatus {
    return this.mapping?.status ?? { state: this.deps.portMapping() ? 'idle' : 'off' };
  }

  /**
   * The external `HOST:PORT` the router maps for the listener, while it does and while the address it
   * reports is public (`unannounced` says why not): only that is told to peers.
   */
  mappedAddress(): string | undefined {
    const m = this.mapping?.status;
    if (m?.state !== 'mapped' || m.unannounced !== undefined) return undefined;
    return formatHostPort(m.external.host, m.external.port);
  }

  /** Public addresses relays see this node at: where a simultaneous open aims from the peer's side. */
  publicHosts(): string[] {
    return [...new Set(this.observed().map((o) => o.address))];
  }

  facts(): TraversalFacts {
    return {
      nat: this.verdict().kind,
      mapped: this.mappedAddress() !== undefined,
      mappingOff: this.mappingStatus().state === 'off',
    };
  }

  view(): NatStatusView {
    return { observed: this.observed(), mapping: this.mappingStatus(), nat: this.verdict() };
  }
}
