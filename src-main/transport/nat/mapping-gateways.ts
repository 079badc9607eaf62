/**
 * The routers that can map a port for this machine (UPnP IGD found by SSDP; NAT-PMP asked at the default
 * gateway; PCP routers answer NAT-PMP's version too), driven by small strict clients of our own
 * (docs/adr/0083-own-port-mapping-clients.md): ssdp.ts, bounded-http.ts, igd-description.ts,
 * upnp-soap.ts and nat-pmp.ts. Whatever a router or another LAN host sends, the worst it can do is be
 * dropped (counted in `dropped`) or fail one request with an error: every read is length-checked, every
 * body capped, every exchange deadlined and aborted with its signal, every socket closed.
 */
import { boundedHttp } from './bounded-http.js';
import { wanServiceFrom, type WanService } from './igd-description.js';
import { defaultGateway, localAddressToward } from './local-route.js';
import { natPmpRequest, type NatPmpAnswer, type NatPmpRequest } from './nat-pmp.js';
import { searchGateways } from './ssdp.js';
import { portField, soapAction, soapField } from './upnp-soap.js';

export type MappingProtocol = 'upnp' | 'nat-pmp';

export interface GrantedMapping {
  internalHost: string;
  /** What the router reports as its external address: judged (lan-address.ts) before it is announced. */
  externalHost: string;
  /** The port the router granted, which may not be the one asked. */
  externalPort: number;
}

/** One router that can map ports, with the operations port-mapping.ts needs. */
export interface MappingGateway {
  readonly protocol: MappingProtocol;
  /** The router's address on the LAN. */
  readonly router: string;
  /**
   * Maps TCP `internalPort` for `leaseSeconds`, asking for the same external port (or, on a renewal, the
   * one granted before); a renewal is the same call.
   */
  map(internalPort: number, leaseSeconds: number, signal: AbortSignal): Promise<GrantedMapping>;
  /** Removes the mapping the router granted: its `externalPort` (what map() returned) to `internalPort`. */
  unmap(internalPort: number, externalPort: number, signal: AbortSignal): Promise<void>;
  /** Ends what the gateway holds open; removes nothing. */
  close(): Promise<void>;
}

/** Finds the routers that can map ports, best first. */
export interface GatewayFinder {
  find(signal: AbortSignal): Promise<MappingGateway[]>;
}

/** Mapping descriptions routers show in their tables (`upnpc -l`, a router's web page). */
const MAPPING_DESCRIPTION = 'clawbridge';
/** The most one description fetch may take, in ms (discovery's own signal may end it sooner). */
const DESCRIPTION_TIMEOUT_MS = 2_000;
/** The most one SOAP action may take, in ms (the caller's signal may end it sooner). */
const SOAP_TIMEOUT_MS = 5_000;

export interface LanGatewayOptions {
  /** Which protocols are tried (both by default). */
  protocols?: readonly MappingProtocol[];
  /** Tests: where SSDP searches, which hosts may serve a description, the NAT-PMP port, the gateway. */
  ssdpTarget?: { address: string; port: number };
  allowHost?: (host: string) => boolean;
  natPmpPort?: number;
  gateway?: () => Promise<string | undefined>;
}

/** The LAN's finder, with how many answers from the network it dropped as malformed or not its own. */
export interface LanGatewayFinder extends GatewayFinder {
  readonly dropped: number;
}

function upnpGateway(router: string, service: WanService): MappingGateway {
  const granted = new Map<number, number>();
  const run = (action: string, args: readonly (readonly [string, string | number])[], signal: AbortSignal) =>
    soapAction(service, action, args, signal, SOAP_TIMEOUT_MS);
  return {
    protocol: 'upnp',
    router,
    async map(internalPort, leaseSeconds, signal) {
      const internalHost = await localAddressToward(router);
      const asked = granted.get(internalPort) ?? internalPort;
      const args = [
        ['NewRemoteHost', ''],
        ['NewExternalPort', asked],
        ['NewProtocol', 'TCP'],
        ['NewInternalPort', internalPort],
        ['NewInternalClient', internalHost],
        ['NewEnabled', 1],
        ['NewPortMappingDescription', MAPPING_DESCRIPTION],
        ['NewLeaseDuration', leaseSeconds],
      ] as const;
      let externalPort = asked;
      if (service.serviceType.endsWith('WANIPConnection:2')) {
        // IGD v2 picks a free port itself when the one asked is taken, and says which.
        const body = await run('AddAnyPortMapping', args, signal);
        const reserved = portField(body, 'NewReservedPort');
        if (reserved === undefined)
          throw new Error('AddAnyPortMapping: the answer has no valid NewReservedPort');
        externalPort = reserved;
      } else {
        await run('AddPortMapping', args, signal);
      }
      granted.set(internalPort, externalPort);
      // The mapping stands now; an external address the router cannot say is reported as none.
      const externalHost = await run('GetExternalIPAddress', [], signal)
        .then((body) => soapField(body, 'NewExternalIPAddress') ?? '')
        .catch(() => '');
      return { internalHost, externalHost, externalPort };
    },
    async unmap(internalPort, externalPort, signal) {
      granted.delete(internalPort);
      await run(
        'DeletePortMapping',
        [
          ['NewRemoteHost', ''],
          ['NewExternalPort', externalPort],
          ['NewProtocol', 'TCP'],
        ],
        signal,
      );
    },
    close: () => Promise.resolve(),
  };
}

function pmpGateway(
  router: string,
  ask: (r: NatPmpRequest, s: AbortSignal) => Promise<NatPmpAnswer>,
): MappingGateway {
  const granted = new Map<number, number>();
  return {
    protocol: 'nat-pmp',
    router,
    async map(internalPort, leaseSeconds, signal) {
      const internalHost = await localAddressToward(router);
      const externalPort = granted.get(internalPort) ?? internalPort;
      const answer = await ask(
        { op: 'map-tcp', internalPort, externalPort, lifetimeSeconds: leaseSeconds },
        signal,
      );
      if (answer.kind !== 'mapped') throw new Error('NAT-PMP: not a mapping answer');
      granted.set(internalPort, answer.externalPort);
      const address = await ask({ op: 'external-address' }, signal).catch(() => undefined);
      const externalHost = address?.kind === 'external-address' ? address.address : '';
      return { internalHost, externalHost, externalPort: answer.externalPort };
    },
    async unmap(internalPort, _externalPort, signal) {
      granted.delete(internalPort);
      // RFC 6886 §3.4: a mapping is removed by asking it again with lifetime 0 and external port 0; the
      // gateway knows it by the internal port.
      await ask({ op: 'map-tcp', internalPort, externalPort: 0, lifetimeSeconds: 0 }, signal);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * The finder that asks the LAN: UPnP and NAT-PMP at once, UPnP first in the answer (it reports the
 * mapping in the router's own table, where people look).
 */
export function lanGatewayFinder(options: LanGatewayOptions = {}): LanGatewayFinder {
  const protocols = options.protocols ?? ['upnp', 'nat-pmp'];
  let dropped = 0;
  const onDrop = () => void dropped++;
  const ask = (router: string) => (request: NatPmpRequest, signal: AbortSignal) =>
    natPmpRequest(router, request, signal, { port: options.natPmpPort, onDrop });

  /** The first responder whose description names a WAN service; the rest of the search is aborted. */
  async function findUpnp(signal: AbortSignal): Promise<MappingGateway[]> {
    const search = new AbortController();
    const both = AbortSignal.any([signal, search.signal]);
    let found: MappingGateway | undefined;
    const fetches: Promise<void>[] = [];
    const searching = searchGateways(
      both,
      (location, responder) => {
        fetches.push(
          boundedHttp({ url: location, method: 'GET', signal: both, timeoutMs: DESCRIPTION_TIMEOUT_MS })
            .then((res) => {
              const service =
                res.status === 200 ? wanServiceFrom(res.body, location) : { drop: `HTTP ${res.status}` };
              if ('drop' in service) return onDrop();
              if (found) return;
              found = upnpGateway(responder, service);
              search.abort();
            })
            .catch(onDrop),
        );
      },
      { target: options.ssdpTarget, allowHost: options.allowHost, onDrop },
    );
    await searching;
    await Promise.all(fetches);
    return found ? [found] : [];
  }

  async function findPmp(signal: AbortSignal): Promise<MappingGateway[]> {
    const router = await (options.gateway ?? defaultGateway)();
    if (!router) return [];
    // A router that answers the external-address request speaks NAT-PMP.
    await ask(router)({ op: 'external-address' }, signal);
    return [pmpGateway(router, ask(router))];
  }

  return {
    get dropped() {
      return dropped;
    },
    async find(signal) {
      const tries = protocols.map((p) => (p === 'upnp' ? findUpnp(signal) : findPmp(signal)));
      const found = await Promise.allSettled(tries);
      return found.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    },
  };
}
