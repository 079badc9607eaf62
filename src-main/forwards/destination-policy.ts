/**
 * Per-peer destination limits for `tcp-connect` (the peer record's `forwardTo`): `HOST:PORT` patterns
 * where `*` matches any run of characters, e.g. `*:443`, `*.corp.example:*`, `10.0.0.*:22`, `[::1]:8080`.
 * No list means any destination. Host names compare case-insensitively. Pure.
 */

/** Most patterns one peer record may carry (they are tested per connection). */
export const MAX_FORWARD_TO_PATTERNS = 64;
/** Longest pattern, in characters (a host name is at most 253, plus port and brackets). */
export const MAX_FORWARD_TO_PATTERN_CHARS = 300;

interface Pattern {
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

/** Parses one pattern, or returns undefined when it is not `HOST:PORT` (such a pattern matches nothing). */
export function parseDestinationPattern(pattern: string): Pattern | undefined {
  const text = pattern.trim();
  if (text === '*') return { host: /^/, port: /^/ };
  const v6 = /^\[([0-9A-Fa-f:.*]+)\]:([0-9*]+)$/.exec(text);
  if (v6) return { host: glob(v6[1]!), port: glob(v6[2]!) };
  const m = /^([A-Za-z0-9._*-]+):([0-9*]+)$/.exec(text);
  if (!m) return undefined;
  return { host: glob(m[1]!), port: glob(m[2]!) };
}

/** The patterns of a list that are malformed (to warn about them once, where the list is read). */
export function malformedPatterns(patterns: readonly string[]): string[] {
  return patterns.filter((p) => parseDestinationPattern(p) === undefined);
}

/**
 * True when `host:port` is an allowed destination. `host` is IPv6 text without brackets, a dotted quad
 * or a name; `undefined` patterns (no limits configured) allow everything.
 */
export function destinationAllowed(
  patterns: readonly string[] | undefined,
  host: string,
  port: number,
): boolean {
  if (patterns === undefined) return true;
  const portText = String(port);
  return patterns.some((p) => {
    const parsed = parseDestinationPattern(p);
    return parsed !== undefined && parsed.host.test(host) && parsed.port.test(portText);
  });
}
