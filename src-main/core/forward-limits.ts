/**
 * Limits of a forward's or proxy's saved settings: checked by the settings schema
 * (state/settings.ts) and the API contract, enforced by forwards/. In core because both of those sit
 * below forwards/ (docs/architecture.md §Layers).
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

/** What a saved secret looks like (settings.ts checks it when the file is read). */
export const PROXY_SECRET_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Idle time after which a flow ends when its forward does not say otherwise (docs/security.md). */
export const DEFAULT_UDP_IDLE_MS = 60_000;
/** Shortest and longest idle time a forward (or an opener, at the exit) may ask for. */
export const MIN_UDP_IDLE_MS = 1_000;
export const MAX_UDP_IDLE_MS = 3_600_000;
