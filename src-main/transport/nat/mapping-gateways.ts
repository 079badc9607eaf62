/**
 * The routers that can map a port for this machine, found and driven through @achingbrain/nat-port-mapper
 * (UPnP IGD v2 found by SSDP; NAT-PMP asked at the default gateway; PCP routers answer NAT-PMP's version
 * too). This file is the only one that knows the library, and it smooths what would otherwise leak:
 * - its NAT-PMP lifetime is sent as seconds, its UPnP one taken as milliseconds: callers here say seconds;
 * - a NAT-PMP request that gets no answer never settles and blocks that gateway object's queue, and its
 *   socket errors are emitted as 'error' events: so each NAT-PMP operation uses a gateway object of its
 *   own, with an error listener, closed afterwards;
 * - its automatic renewal is off: port-mapping.ts renews on its own clock.
 */
import type { EventEmitter } from 'node:events';
import { pmpNat, upnpNat, type Gateway } from '@achingbrain/nat-port-mapper';
import { defaultGateway, localAddressToward } from './local-route.js';

export type MappingProtocol = 'upnp' | 'nat-pmp';

export interface GrantedMapping {
  internalHost: string;
  externalHost: string;
  externalPort: number;
}

/** One router that can map ports, with the operations port-mapping.ts needs. */
export interface MappingGateway {
  readonly protocol: MappingProtocol;
  /** The router's address on the LAN. */
  readonly router: string;
  /** Maps TCP `internalPort` (the same external port asked) for `leaseSeconds`; a renewal is the same call. */
  map(internalPort: number, leaseSeconds: number, signal: AbortSignal): Promise<GrantedMapping>;
  unmap(internalPort: number, signal: AbortSignal): Promise<void>;
  /** Ends what the gateway holds open (sockets); removes nothing. */
  close(): Promise<void>;
}

/** Finds the routers that can map ports, best first. */
export interface GatewayFinder {
  find(signal: AbortSignal): Promise<MappingGateway[]>;
}

/** Mapping descriptions routers show in their tables (`upnpc -l`, a router's web page). */
const MAPPING_DESCRIPTION = 'clawbridge';

/** UPnP: the first IGD v2 that answers SSDP within the signal's time (a LAN has one router). */
async function findUpnp(signal: AbortSignal): Promise<MappingGateway[]> {
  const client = upnpNat({ autoRefresh: false, description: MAPPING_DESCRIPTION });
  for await (const gateway of client.findGateways({ signal })) {
    if (gateway.family !== 'IPv4') continue;
    return [upnpGateway(gateway)];
  }
  return [];
}

function upnpGateway(gateway: Gateway): MappingGateway {
  return {
    protocol: 'upnp',
    router: gateway.host,
    async map(internalPort, leaseSeconds, signal) {
      const internalHost = await localAddressToward(gateway.host);
      const m = await gateway.map(internalPort, internalHost, {
        protocol: 'tcp',
        externalPort: internalPort,
        ttl: leaseSeconds * 1000,
        autoRefresh: false,
        signal,
      });
      return { internalHost, externalHost: m.externalHost, externalPort: m.externalPort };
    },
    unmap: (internalPort, signal) => gateway.unmap(internalPort, { signal }),
    close: () => gateway.stop({ signal: AbortSignal.timeout(1) }).catch(() => undefined),
  };
}

/** A NAT-PMP gateway object for one operation (see the file comment), closed when it ends. */
async function withPmp<T>(router: string, op: (g: Gateway) => Promise<T>): Promise<T> {
  const gateway = pmpNat(router, { autoRefresh: false, description: MAPPING_DESCRIPTION });
  let socketError: Error | undefined;
  (gateway as unknown as EventEmitter).on('error', (err: Error) => (socketError = err));
  try {
    return await op(gateway);
  } catch (err) {
    throw socketError ?? err;
  } finally {
    // Its stop() unmaps only what it auto-refreshes (nothing here) and closes the socket.
    await gateway.stop().catch(() => undefined);
  }
}

async function findPmp(signal: AbortSignal): Promise<MappingGateway[]> {
  const router = await defaultGateway();
  if (!router) return [];
  // A router that answers the external-address request speaks NAT-PMP.
  await withPmp(router, (g) => g.externalIp({ signal }));
  return [
    {
      protocol: 'nat-pmp',
      router,
      async map(internalPort, leaseSeconds, signal) {
        const internalHost = await localAddressToward(router);
        const m = await withPmp(router, (g) =>
          g.map(internalPort, internalHost, {
            protocol: 'tcp',
            externalPort: internalPort,
            ttl: leaseSeconds,
            autoRefresh: false,
            signal,
          }),
        );
        return { internalHost, externalHost: m.externalHost, externalPort: m.externalPort };
      },
      unmap: (internalPort, signal) => withPmp(router, (g) => g.unmap(internalPort, { signal })),
      close: () => Promise.resolve(),
    },
  ];
}

/**
 * The finder that asks the LAN: UPnP and NAT-PMP at once, UPnP first in the answer (it reports the
 * mapping in the router's own table, where people look). `protocols` limits which are tried.
 */
export function lanGatewayFinder(protocols: readonly MappingProtocol[] = ['upnp', 'nat-pmp']): GatewayFinder {
  return {
    async find(signal) {
      const tries = protocols.map((p) => (p === 'upnp' ? findUpnp(signal) : findPmp(signal)));
      const found = await Promise.allSettled(tries);
      return found.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    },
  };
}
