/**
 * Which direct addresses this node announces to its peers: the listener's own host when it is bound
 * to one address, every usable interface address when it is bound to all of them.
 */
import { networkInterfaces } from 'node:os';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { hostScope } from '../core/address-where.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function announceableAddresses(host: string, port: number): string[] {
  if (!WILDCARDS.has(host)) return [formatHostPort(host, port)];
  const out: string[] = [];
  const loopback: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (host === '0.0.0.0' && info.family !== 'IPv4') continue;
      // Link-local IPv6 needs a zone id that means nothing on the peer's side.
      if (info.family === 'IPv6' && info.address.toLowerCase().startsWith('fe80')) continue;
      (info.internal ? loopback : out).push(formatHostPort(info.address, port));
    }
  }
  // Loopback last: it only helps a peer on the same machine (tests, two homes on one box).
  return [...out, ...loopback];
}

/**
 * What this node announces on one link: a loopback address only to a peer on this machine (a direct
 * link from loopback, or a relay this machine reaches on loopback), never to one elsewhere, where it
 * names that peer's own machine. A routed link's far end is not known: all of them.
 */
export function announcedOn(link: { path: string; remote: string }, addresses: readonly string[]): string[] {
  if (link.path === 'route') return [...addresses];
  let host: string;
  try {
    host = link.path === 'relay' ? new URL(link.remote).hostname : parseHostPort(link.remote).host;
  } catch {
    return [...addresses];
  }
  if (
    hostScope(host.replace(/^\[|\]$/g, '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')) === 'loopback'
  ) {
    return [...addresses];
  }
  return addresses.filter((a) => {
    try {
      return hostScope(parseHostPort(a).host.toLowerCase()) !== 'loopback';
    } catch {
      return true;
    }
  });
}
