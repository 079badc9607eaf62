/**
 * Which of the hosts a peer names as its candidates a simultaneous open may aim at. A peer's public
 * addresses are what relays saw it at: never this machine's loopback, a link-local, unspecified,
 * multicast or broadcast address. A peer that names one anyway is refused it, so it cannot make this
 * node connect to its own loopback services or send SYNs to a group.
 */
import { BlockList, isIP } from 'node:net';

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
