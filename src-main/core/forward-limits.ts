/**
 * A peer's destination limits (`forwardTo`, `listenOn`: the node's policy on a peer, ADR 0093): their
 * bounds and pattern form, checked by the settings schema (state/settings.ts) and the peers' API
 * contract, enforced by the domain that opens connections or listens for the peer (forwards/). In core
 * because those sit below the domains (docs/architecture.md §Layers).
 */

/** Most patterns one peer record may carry (they are tested per connection). */
export const MAX_FORWARD_TO_PATTERNS = 64;
/** Longest pattern, in characters (a host name is at most 253, plus port and brackets). */
export const MAX_FORWARD_TO_PATTERN_CHARS = 300;

/** A port part of a pattern is a glob, or a port a connection can have (1–65535). */
function portPartOk(port: string): boolean {
  if (port.includes('*')) return true;
  const n = Number(port);
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Whether `pattern` is a destination pattern a peer's limits may hold (`forwardTo`, `listenOn`):
 * `*`, `HOST:PORT` or `[IPv6]:PORT`, host and port globs with `*`, a port of 1–65535. One that is not
 * matches nothing; forwards/destination-policy.ts parses the ones that are.
 */
export function isDestinationPattern(pattern: string): boolean {
  const text = pattern.trim();
  if (text === '*') return true;
  const v6 = /^\[([0-9A-Fa-f:.*]+)\]:([0-9*]+)$/.exec(text);
  if (v6) return portPartOk(v6[2]!);
  const m = /^([A-Za-z0-9._*-]+):([0-9*]+)$/.exec(text);
  return m !== null && portPartOk(m[2]!);
}

/** The patterns of a list that are malformed (to warn about them once, where the list is read). */
export function malformedPatterns(patterns: readonly string[]): string[] {
  return patterns.filter((p) => !isDestinationPattern(p));
}
