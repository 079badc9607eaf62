/**
 * Which browser pages may open a WebSocket to the relay (ADR 0094). Our nodes send no `Origin`; a
 * browser always does. A browser's upgrade is taken when its Origin is the relay's own page (the
 * Origin's host is the Host the request names) or one the operator lists; any other page (another site
 * using its visitors' browsers on this relay, or framing its page) is refused before the upgrade.
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

export type OriginVerdict = 'node' | 'same-origin' | 'listed' | 'refused';

/** Whether an upgrade with these headers may become a relay connection, and as what. */
export function judgeOrigin(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): OriginVerdict {
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
  return url.host === host.toLowerCase() ? 'same-origin' : 'refused';
}
