/**
 * The exit's destination check for one tcp-connect request: resolve the requested name once (through an
 * injectable lookup), keep only the addresses the peer's limits allow (the rule is in
 * destination-policy.ts), and hand back exactly those addresses for the caller to dial. The caller must
 * connect to these addresses, never to the name: a second lookup at connect time could answer
 * differently (DNS rebinding) and reopen what the check closed.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { allowedAddresses, specialAddress, worthResolving } from './destination-policy.js';

/** One address a name resolved to, as dns.promises.lookup reports it. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a name to all its addresses, like `dns.promises.lookup(name, { all: true })`. */
export type LookupAll = (name: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo: hosts file, then DNS), every address in its order. */
export const systemLookup: LookupAll = (name) => lookup(name, { all: true });

/**
 * Allowed: the addresses to dial, in resolver order. Refused: `resolvedTo` lists what a requested name
 * resolved to when none of it was allowed (absent for an IP literal, or a name refused unresolved).
 */
export type DestinationCheck =
  { allowed: true; addresses: string[] } | { allowed: false; resolvedTo?: string[] };

/**
 * Checks `host:port` against `limits` (undefined: no limits). An IP literal is its own (only) address;
 * a name is resolved once with `lookupAll`, unless no pattern could allow it, which is refused without
 * asking DNS.
 * @throws the lookup's error (ENOTFOUND, …), or ENOTFOUND when it answered no address at all
 */
export async function checkDestination(
  limits: readonly string[] | undefined,
  host: string,
  port: number,
  lookupAll: LookupAll,
): Promise<DestinationCheck> {
  if (isIP(host) !== 0) {
    const ok = allowedAddresses(limits, host, port, [host]).length > 0;
    return ok ? { allowed: true, addresses: [host] } : { allowed: false };
  }
  if (!worthResolving(limits, host, port)) return { allowed: false };
  const found = (await lookupAll(host)).map((a) => a.address);
  if (found.length === 0) {
    throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  }
  const addresses = allowedAddresses(limits, host, port, found);
  return addresses.length > 0 ? { allowed: true, addresses } : { allowed: false, resolvedTo: found };
}

/** `127.0.0.1 (loopback), 10.0.0.7 and 2 more`: what a refused name resolved to, for the reason. */
export function describeAddresses(addresses: readonly string[], shown = 3): string {
  const parts = addresses.slice(0, shown).map((a) => {
    const special = isIP(a) !== 0 ? specialAddress(a) : undefined;
    return special ? `${a} (${special})` : a;
  });
  const more = addresses.length - parts.length;
  return more > 0 ? `${parts.join(', ')} and ${more} more` : parts.join(', ');
}
