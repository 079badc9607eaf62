/**
 * Which browser pages may open a WebSocket to the relay (ADR 0094). Our nodes send no `Origin`; a
 * browser always does. A browser's upgrade is taken when its Origin is the relay's own page (the
 * Origin's host is the Host the request names, and that Host is one of the relay's names: ADR 0098) or
 * one the operator lists; any other page (another site using its visitors' browsers on this relay,
 * framing its page, or a DNS-rebinding page whose own name points at the relay) is refused before the
 * upgrade.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Longest Origin or Host header looked at, in characters: a hostname and a port fit well within. */
const MAX_HEADER_CHARS = 300;

/**
 * `scheme://host[:port]`, lowercased, of an allowed origin as an operator writes it.
 * @throws Error naming the problem (the caller makes it a CONFIG_INVALID).
 */
export function normalizeOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new Error(`allowed origin '${origin}' is not a URL like https://relay.example`);
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname !== '/' ||
    url.search ||
    url.hash
  ) {
    throw new Error(`allowed origin '${origin}' must be just http(s)://host[:port]`);
  }
  return url.origin;
}

/** `misdirected`: the Origin is the Host, but the Host is not a name of this relay (answered 421). */
export type OriginVerdict = 'node' | 'same-origin' | 'listed' | 'refused' | 'misdirected';

/**
 * Whether an upgrade with these headers may become a relay connection, and as what. `ownHost` says
 * whether a Host header names this relay (core/host-header.ts hostAllowed with its names).
 */
export function judgeOrigin(
  headers: IncomingHttpHeaders,
  allowed: ReadonlySet<string>,
  ownHost: (host: string) => boolean,
): OriginVerdict {
  const origin = headers.origin;
  if (origin === undefined) return 'node';
  if (origin.length > MAX_HEADER_CHARS) return 'refused';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    // `null` (a sandboxed frame, a file: page) and anything unreadable: no page this relay serves.
    return 'refused';
  }
  if (allowed.has(url.origin)) return 'listed';
  const host = headers.host;
  if (host === undefined || host.length > MAX_HEADER_CHARS) return 'refused';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'refused';
  if (url.host !== host.toLowerCase()) return 'refused';
  return ownHost(host) ? 'same-origin' : 'misdirected';
}
