/**
 * The target rules for every address a peer names as a candidate across NATs (links/traversal.ts): the
 * public hosts a simultaneous open aims at and the address its router maps for it. Such an address is
 * what a relay or a router outside saw: an IP literal, never this machine's loopback, a link-local,
 * unspecified, multicast or broadcast address. A peer that names one anyway is refused it (the one
 * candidate, not the rest), so it cannot make this node connect to its own loopback services or send
 * SYNs to a group.
 */
import { BlockList, isIP } from 'node:net';
import { dialAddressProblem, formatHostPort, parseHostPort } from '../../core/host-port.js';

const NOT_TARGETS = (() => {
  const list = new BlockList();
  for (const [base, prefix, family] of [
    ['127.0.0.0', 8, 'ipv4'],
    ['0.0.0.0', 8, 'ipv4'],
    ['169.254.0.0', 16, 'ipv4'],
    ['224.0.0.0', 4, 'ipv4'],
    ['255.255.255.255', 32, 'ipv4'],
    ['::', 128, 'ipv6'],
    ['::1', 128, 'ipv6'],
    ['fe80::', 10, 'ipv6'],
    ['ff00::', 8, 'ipv6'],
    // IPv4 seen through IPv6 (::ffff:127.0.0.1) is checked as the IPv4 address it is.
  ] as const)
    list.addSubnet(base, prefix, family);
  return list;
})();

/** Whether `host` (an IP literal) may be aimed at by a simultaneous open. Pure. */
export function isPunchTarget(host: string): boolean {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(host);
  const text = mapped ? mapped[1]! : host;
  const family = isIP(text);
  if (family === 0) return false;
  return !NOT_TARGETS.check(text, family === 6 ? 'ipv6' : 'ipv4');
}

/** The hosts of `hosts` a simultaneous open may aim at, in their order. Pure. */
export function punchTargets(hosts: readonly string[]): string[] {
  return hosts.filter(isPunchTarget);
}

/**
 * The `HOST:PORT` a peer named as its mapped address, written the one way this node writes it, when
 * the target rules let it be dialed: an IP literal that passes isPunchTarget and a port from 1 to 65535
 * (a host name is refused: a router maps an address, and a name would be resolved to anything).
 * Undefined otherwise. Pure.
 */
export function mappedTarget(text: unknown): string | undefined {
  if (typeof text !== 'string' || dialAddressProblem(text) !== undefined) return undefined;
  const { host, port } = parseHostPort(text);
  return isPunchTarget(host) ? formatHostPort(host, port) : undefined;
}

/** A peer's candidates as it named them, screened: what passes the target rules, and how many did not. */
export interface ScreenedCandidates {
  hosts: string[];
  mapped: string | null;
  /** Candidates dropped (not an IP literal, or not a target): counted, never acted on. */
  dropped: number;
}

/** Screens what a peer named (hosts as unknown values: a wrong one is dropped, not the message). Pure. */
export function screenCandidates(hosts: readonly unknown[], mapped: unknown): ScreenedCandidates {
  const good = [...new Set(hosts.filter((h): h is string => typeof h === 'string' && isPunchTarget(h)))];
  const mappedOk = mapped === null ? null : (mappedTarget(mapped) ?? null);
  const dropped = hosts.length - hosts.filter((h) => typeof h === 'string' && isPunchTarget(h)).length;
  return { hosts: good, mapped: mappedOk, dropped: dropped + (mapped !== null && mappedOk === null ? 1 : 0) };
}
