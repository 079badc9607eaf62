/**
 * Per-peer destination limits for `tcp-connect` (the peer record's `forwardTo`): `HOST:PORT` patterns
 * where `*` matches any run of characters (dots included), e.g. `*:443`, `*.corp.example:*`,
 * `10.0.0.*:22`, `[::1]:8080`. No list means any destination; an empty list means none. Pure.
 *
 * The rule, so that DNS never decides what a limit allows (a requested name such as `10.0.0.7.evil.test`
 * must not pass `10.0.0.*` and then resolve wherever its owner likes):
 *
 * - An ADDRESS pattern has an IP host: IPv4 text of digits, dots and `*` only (`10.0.0.*`, `10.*`,
 *   `192.168.1.10`), or anything in brackets (`[::1]`, `[fe80::*]`). It is checked only against the
 *   addresses the exit will actually connect to (those the requested name resolved to; a requested IP
 *   literal is its own address), never against the requested name. IPv4 patterns match dotted-quad text;
 *   IPv6 patterns match compressed lowercase text (`::1`, `fe80::1`); an IPv4-mapped IPv6 address
 *   (`::ffff:127.0.0.1`) counts as its IPv4 address, and exact IPv6 text in a pattern (no `*`) is
 *   normalised the same way (`[::FFFF:127.0.0.1]` is `127.0.0.1`, `[0:0::1]` is `::1`).
 * - A NAME pattern has any other host (`*.corp.example`, `db.internal`). It is checked against the
 *   requested name (case-insensitively), never against a requested IP literal. The name's addresses then
 *   pass, except SPECIAL ones: loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10) and
 *   unspecified, "this host" (0.0.0.0/8, ::), IPv4-mapped forms included. A special address passes only when some
 *   address pattern (or `*`) allows it, with the port, on its own.
 * - The host `*` (`*:443`, `*:*`, or `*`) means any host: it matches every requested name and every
 *   address, special ones included (the user asked for anything on that port).
 *
 * So an address is allowed iff an address or `*` pattern matches it and the port, or the request is a
 * name that a name pattern matches with the port and the address is not special. The exit resolves a name
 * once, keeps the allowed addresses and dials those addresses themselves (destination-check.ts).
 */
import { BlockList, isIP, SocketAddress } from 'node:net';

/** `any`: host `*`; `ipv4`/`ipv6`: address patterns; `name`: name patterns. */
export type PatternKind = 'any' | 'ipv4' | 'ipv6' | 'name';

export interface DestinationPattern {
  kind: PatternKind;
  host: RegExp;
  port: RegExp;
}

function glob(text: string): RegExp {
  const body = text
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}

const ANY = /^/;

/** A port part is a glob, or a port a connection can have (1–65535): `:99999` or `:0` would match nothing. */
function portPartOk(port: string): boolean {
  if (port.includes('*')) return true;
  const n = Number(port);
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Parses one pattern, or returns undefined when it is not `HOST:PORT` with a port glob or a port of
 * 1–65535 (such a pattern matches nothing).
 */
export function parseDestinationPattern(pattern: string): DestinationPattern | undefined {
  const text = pattern.trim();
  if (text === '*') return { kind: 'any', host: ANY, port: ANY };
  const v6 = /^\[([0-9A-Fa-f:.*]+)\]:([0-9*]+)$/.exec(text);
  if (v6) {
    if (!portPartOk(v6[2]!)) return undefined;
    const host = isIP(v6[1]!) === 6 ? canonicalAddress(v6[1]!) : v6[1]!;
    return { kind: isIP(host) === 4 ? 'ipv4' : 'ipv6', host: glob(host), port: glob(v6[2]!) };
  }
  const m = /^([A-Za-z0-9._*-]+):([0-9*]+)$/.exec(text);
  if (!m || !portPartOk(m[2]!)) return undefined;
  const host = m[1]!;
  const kind: PatternKind = host === '*' ? 'any' : /^[0-9.*]+$/.test(host) ? 'ipv4' : 'name';
  return { kind, host: kind === 'any' ? ANY : glob(host), port: glob(m[2]!) };
}

export { malformedPatterns } from '../core/forward-limits.js';

/**
 * The text an IP address is matched as: dotted quad for IPv4 and IPv4-mapped IPv6, compressed lowercase
 * for other IPv6. `address` must be an IP literal (isIP ≠ 0).
 */
export function canonicalAddress(address: string): string {
  const v6 = isIP(address) === 6;
  const text = new SocketAddress({ address, family: v6 ? 'ipv6' : 'ipv4' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  return mapped ? mapped[1]! : text;
}

/** Addresses a name pattern never reaches on its own. */
export type SpecialAddress = 'loopback' | 'link-local' | 'unspecified';

/** A BlockList of `base/prefix` ranges. */
function blockList(...nets: string[]): BlockList {
  const list = new BlockList();
  for (const net of nets) {
    const [base, prefix] = net.split('/') as [string, string];
    list.addSubnet(base, Number(prefix), isIP(base) === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

const SPECIAL: [SpecialAddress, BlockList][] = [
  ['loopback', blockList('127.0.0.0/8', '::1/128')],
  ['link-local', blockList('169.254.0.0/16', 'fe80::/10')],
  ['unspecified', blockList('0.0.0.0/8', '::/128')],
];

/** Which special range `address` (an IP literal) is in, or undefined for an ordinary address. */
export function specialAddress(address: string): SpecialAddress | undefined {
  const text = canonicalAddress(address);
  const family = isIP(text) === 6 ? 'ipv6' : 'ipv4';
  return SPECIAL.find(([, list]) => list.check(text, family))?.[0];
}

function compile(patterns: readonly string[]): DestinationPattern[] {
  return patterns.flatMap((p) => parseDestinationPattern(p) ?? []);
}

/** True when an address or `*` pattern allows `address:port` (the requested name plays no part). */
function byAddress(compiled: readonly DestinationPattern[], address: string, port: string): boolean {
  const text = canonicalAddress(address);
  const kind = isIP(text) === 6 ? 'ipv6' : 'ipv4';
  return compiled.some(
    (p) => (p.kind === 'any' || p.kind === kind) && p.host.test(text) && p.port.test(port),
  );
}

/** True when `host` is a name (not an IP literal) that a name or `*` pattern matches with the port. */
function byName(compiled: readonly DestinationPattern[], host: string, port: string): boolean {
  if (isIP(host) !== 0) return false;
  return compiled.some(
    (p) => (p.kind === 'any' || p.kind === 'name') && p.host.test(host) && p.port.test(port),
  );
}

/**
 * The resolved addresses of a request for `host:port` that the limits allow, in the order given.
 * `host` is the requested name or IP literal (IPv6 without brackets); for an IP literal, `addresses`
 * is `[host]`. `undefined` patterns (no limits configured) allow every address.
 */
export function allowedAddresses(
  patterns: readonly string[] | undefined,
  host: string,
  port: number,
  addresses: readonly string[],
): string[] {
  if (patterns === undefined) return [...addresses];
  const compiled = compile(patterns);
  const portText = String(port);
  const nameOk = byName(compiled, host, portText);
  return addresses.filter(
    (a) => isIP(a) !== 0 && (byAddress(compiled, a, portText) || (nameOk && specialAddress(a) === undefined)),
  );
}

/**
 * True when a request for `host:port` might be allowed once `host` is resolved: always for no limits,
 * else when a name pattern matches the name or any address pattern could match what it resolves to.
 * False means refuse without asking DNS.
 */
export function worthResolving(patterns: readonly string[] | undefined, host: string, port: number): boolean {
  if (patterns === undefined) return true;
  const compiled = compile(patterns);
  const portText = String(port);
  return byName(compiled, host, portText) || compiled.some((p) => p.kind !== 'name' && p.port.test(portText));
}
