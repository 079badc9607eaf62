/**
 * A port mapping on the LAN's router for the direct listener (UPnP IGD or NAT-PMP, mapping-gateways.ts):
 * asked at start, renewed at half its lease (as NAT-PMP's RFC 6886 advises, and early enough for one
 * failed renewal to be retried before it lapses), removed at stop. What happened is state, errors
 * included, for `status` to show; nothing is thrown at the caller. With `enabled` false it sends nothing
 * at all: no discovery, no request.
 */
import type { ErrorCode } from '../../core/errors.js';
import { notPublicReason } from './lan-address.js';
import type { GatewayFinder, MappingGateway, MappingProtocol } from './mapping-gateways.js';
import { systemTimers, type TimerHandle, type Timers } from './timers.js';

/** The lease asked for, in seconds: an hour, what routers commonly grant. */
export const MAPPING_LEASE_SECONDS = 3600;
/** How long discovery (SSDP answers, NAT-PMP's reply) may take, in ms. */
export const MAPPING_DISCOVERY_TIMEOUT_MS = 3_000;
/** How long one request to the router may take, in ms. */
export const MAPPING_REQUEST_TIMEOUT_MS = 5_000;
/** After no router granted a mapping: when to ask again, in ms (a router may be switched on later). */
export const MAPPING_RETRY_MS = 10 * 60_000;
/** After a failed renewal while the lease still runs: when to try again, in ms. */
export const MAPPING_RENEW_RETRY_MS = 60_000;

export interface MappingError {
  code: ErrorCode;
  message: string;
}

export type PortMappingStatus =
  | { state: 'off' }
  | { state: 'idle' }
  | { state: 'searching' }
  | {
      state: 'mapped';
      protocol: MappingProtocol;
      /** The router's LAN address. */
      router: string;
      internal: { host: string; port: number };
      external: { host: string; port: number };
      /** When the lease ends unless renewed (ms since the epoch). */
      expiresAt: number;
      /** The last renewal's failure, while the lease still runs. */
      renewError?: MappingError;
      /**
       * Why the external address is not told to peers, when the router reported one that is not a public
       * unicast address (a router behind another NAT, or one that says anything it likes).
       */
      unannounced?: string;
    }
  | { state: 'failed'; error: MappingError; retryAt: number }
  | { state: 'stopped' };

export interface PortMappingOptions {
  /** Off: nothing is sent, the state stays `off`. */
  enabled: boolean;
  /** The TCP port to map (the direct listener's), asked for as the external port too. */
  internalPort: number;
  finder: GatewayFinder;
  timers?: Timers;
  leaseSeconds?: number;
  /** Told every state change. */
  onChange?: (status: PortMappingStatus) => void;
}

function errorOf(err: unknown, what: string): MappingError {
  const detail = err instanceof Error ? err.message : String(err);
  return { code: 'PORT_MAPPING_FAILED', message: `${what}: ${detail}` };
}

export class PortMapping {
  private current: PortMappingStatus;
  /** The router holding the mapping and the external port it granted, while `mapped`. */
  private held: { gateway: MappingGateway; externalPort: number } | undefined;
  private timer: TimerHandle | undefined;
  /** Aborts whatever request is in flight, at stop. */
  private readonly abort = new AbortController();
  /** The request in flight (discovery, map, renewal), awaited by stop before it unmaps. */
  private inFlight: Promise<void> = Promise.resolve();
  private readonly timers: Timers;
  private readonly leaseSeconds: number;

  constructor(private readonly options: PortMappingOptions) {
    this.timers = options.timers ?? systemTimers;
    this.leaseSeconds = options.leaseSeconds ?? MAPPING_LEASE_SECONDS;
    this.current = options.enabled ? { state: 'idle' } : { state: 'off' };
  }

  get status(): PortMappingStatus {
    return this.current;
  }

  start(): void {
    if (this.current.state !== 'idle') return;
    this.run(() => this.acquire());
  }

  /** Removes the mapping from the router (bounded in time) and stops renewing. */
  async stop(): Promise<void> {
    if (this.current.state === 'off' || this.current.state === 'stopped') return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.inFlight;
    const held = this.held;
    this.held = undefined;
    this.set({ state: 'stopped' });
    if (!held) return;
    const { gateway, externalPort } = held;
    try {
      // The port the router granted, which may not be the one asked.
      await gateway.unmap(
        this.options.internalPort,
        externalPort,
        AbortSignal.timeout(MAPPING_REQUEST_TIMEOUT_MS),
      );
    } catch {
      // The lease ends it on the router: nothing more to do from here.
    } finally {
      await gateway.close();
    }
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private run(step: () => Promise<void>): void {
    this.inFlight = step().catch(() => undefined);
  }

  private schedule(ms: number, step: () => Promise<void>): void {
    if (this.stopping) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.run(step);
    }, ms);
  }

  private set(status: PortMappingStatus): void {
    this.current = status;
    this.options.onChange?.(status);
  }

  private signal(ms: number): AbortSignal {
    return AbortSignal.any([this.abort.signal, AbortSignal.timeout(ms)]);
  }

  /** Finds the routers and maps on the first that grants it. */
  private async acquire(): Promise<void> {
    this.set({ state: 'searching' });
    let gateways: MappingGateway[] = [];
    const errors: string[] = [];
    try {
      gateways = await this.options.finder.find(this.signal(MAPPING_DISCOVERY_TIMEOUT_MS));
    } catch (err) {
      errors.push(errorOf(err, 'discovery').message);
    }
    for (const gateway of gateways) {
      if (this.stopping) break;
      try {
        await this.mapOn(gateway);
        for (const other of gateways) if (other !== gateway) await other.close();
        return;
      } catch (err) {
        errors.push(errorOf(err, `${gateway.protocol} at ${gateway.router}`).message);
        await gateway.close();
      }
    }
    if (this.stopping) return;
    const retryAt = this.timers.now() + MAPPING_RETRY_MS;
    const message =
      gateways.length === 0 && errors.length === 0
        ? 'no router on the LAN answered UPnP or NAT-PMP (not offered, or switched off on the router)'
        : `no router granted a mapping (${errors.join('; ')})`;
    this.set({ state: 'failed', error: { code: 'PORT_MAPPING_FAILED', message }, retryAt });
    this.schedule(MAPPING_RETRY_MS, () => this.acquire());
  }

  private async mapOn(gateway: MappingGateway): Promise<void> {
    const granted = await gateway.map(
      this.options.internalPort,
      this.leaseSeconds,
      this.signal(MAPPING_REQUEST_TIMEOUT_MS),
    );
    this.held = { gateway, externalPort: granted.externalPort };
    // Granted while stop() waited for this request: stop() removes it.
    if (this.stopping) return;
    const unannounced = notPublicReason(granted.externalHost);
    this.set({
      state: 'mapped',
      protocol: gateway.protocol,
      router: gateway.router,
      internal: { host: granted.internalHost, port: this.options.internalPort },
      external: { host: granted.externalHost, port: granted.externalPort },
      expiresAt: this.timers.now() + this.leaseSeconds * 1000,
      ...(unannounced
        ? {
            unannounced: `the router reports ${JSON.stringify(granted.externalHost)} as its address: ${unannounced}`,
          }
        : {}),
    });
    this.schedule((this.leaseSeconds * 1000) / 2, () => this.renew());
  }

  private async renew(): Promise<void> {
    const gateway = this.held?.gateway;
    const before = this.current;
    if (!gateway || before.state !== 'mapped') return;
    try {
      await this.mapOn(gateway);
    } catch (err) {
      if (this.stopping) return;
      const left = before.expiresAt - this.timers.now();
      if (left <= 0) {
        // The lease ran out: the router dropped it; start over (the router, or the LAN, may be another).
        this.held = undefined;
        await gateway.close();
        this.set({
          state: 'failed',
          error: errorOf(err, `renewing the ${gateway.protocol} mapping at ${gateway.router}`),
          retryAt: this.timers.now(),
        });
        this.run(() => this.acquire());
        return;
      }
      this.set({ ...before, renewError: errorOf(err, `renewing at ${gateway.router}`) });
      this.schedule(Math.min(MAPPING_RENEW_RETRY_MS, left), () => this.renew());
    }
  }
}
