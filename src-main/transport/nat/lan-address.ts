/**
 * What a router or a LAN host names, judged before it is used: where a UPnP description may be fetched
 * (an address on the LAN, never this machine's loopback) and which external address a router reports may
 * be told to peers (a public unicast address, never a private, shared or reserved one).
 */
import { BlockList, isIPv4 } from 'node:net';
import { isPunchTarget } from './punch-targets.js';

function subnets(entries: readonly (readonly [string, number])[]): BlockList {
  const list = new BlockList();
  for (const [base, prefix] of entries) list.addSubnet(base, prefix, 'ipv4');
  return list;
}

/** RFC 1918: the ranges home and office LANs use. */
const PRIVATE = subnets([
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
]);

/** Not on the internet either: shared carrier space, IETF, documentation, benchmarking, reserved. */
const NOT_PUBLIC = subnets([
  ['100.64.0.0', 10],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['240.0.0.0', 4],
]);

/** Whether `host` is an IPv4 literal in a private LAN range (not loopback, link-local or anything public). */
export function isLanAddress(host: string): boolean {
  return isIPv4(host) && PRIVATE.check(host, 'ipv4');
}

/**
 * Why `host`, an external address a router reported, is not told to peers; undefined when it may be
 * (an IPv4 public unicast address).
 */
export function notPublicReason(host: string): string | undefined {
  if (!isIPv4(host)) return 'not an IPv4 address';
  if (!isPunchTarget(host)) return 'a loopback, link-local, unspecified, multicast or broadcast address';
  if (PRIVATE.check(host, 'ipv4')) return 'a private address (the router is behind another NAT)';
  if (NOT_PUBLIC.check(host, 'ipv4')) return 'a shared or reserved address, not reachable from the internet';
  return undefined;
}
