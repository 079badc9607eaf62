/**
 * Where a peer's address was learned, and so what it means from here (core/path-label.ts
 * AddressWhere): judged from the address itself and where it came from. Two homes on the same private
 * range (both 192.168.1.0/24) are the case this is for: the peer's LAN address may be another machine
 * here, so a private address the peer only named is shown as its own LAN, not this one. Pure.
 */
import type { AddressSource } from './address-source.js';
import type { AddressWhere } from './path-label.js';

function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!.toLowerCase();
  const colon = address.lastIndexOf(':');
  const host = colon > 0 && address.indexOf(':') === colon ? address.slice(0, colon) : address;
  return host.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `loopback`, `private` (RFC 1918, shared CGNAT space, link-local, IPv6 ULA), `public`, or `name`. */
export function hostScope(host: string): 'loopback' | 'private' | 'public' | 'name' {
  const v4 = IPV4.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
    if ((a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)) return 'private';
    return 'public';
  }
  if (!host.includes(':')) return host === 'localhost' ? 'loopback' : 'name';
  if (host === '::1') return 'loopback';
  if (/^f[cd]/.test(host) || /^fe[89ab]/.test(host)) return 'private';
  return 'public';
}

/**
 * Where `address` stands: `mapped` when the peer's router maps it, loopback as this machine, a private
 * address as this LAN when heard on it (`lan`), seen as a link's source, or a link to it worked, else
 * as the peer's own LAN; public addresses and names as such.
 */
export function addressWhere(
  address: string,
  from: readonly AddressSource[],
  lastWorked?: string | null,
): AddressWhere {
  if (from.includes('mapped')) return 'mapped';
  const scope = hostScope(hostOf(address));
  if (scope === 'loopback') return 'this-machine';
  if (scope === 'name') return 'named';
  if (scope === 'public') return 'public';
  const here = from.includes('lan') || from.includes('seen') || (lastWorked ?? null) !== null;
  return here ? 'this-lan' : 'its-lan';
}
