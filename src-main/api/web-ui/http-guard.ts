/**
 * What the web UI server accepts, as pure decisions (docs/web-ui.md "What the server refuses"): the
 * `Origin` of every WebSocket upgrade (another site's page may open a WebSocket to loopback; its Origin
 * gives it away) and the headers every answer carries. The `Host` of every request and upgrade is
 * checked by core/host-header.ts (DNS rebinding), as the relay's page checks it.
 */
import { isWildcardHost } from '../../core/host-header.js';

/** Headers on every HTTP answer of the UI server, error pages included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

/**
 * Whether a WebSocket upgrade's `Origin` is the UI's own page: exactly `http://` + the request's Host
 * (already checked by hostAllowed). A missing Origin is refused too: every browser sends one, and a
 * non-browser client can set it.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined || hostHeader === undefined) return false;
  return origin.trim().toLowerCase() === `http://${hostHeader.trim().toLowerCase()}`;
}

/** The host to put in the URL people open: a loopback literal for a wildcard or loopback listener. */
export function urlHost(listenHost: string): string {
  if (isWildcardHost(listenHost)) return '127.0.0.1';
  const h = listenHost.replace(/^\[|\]$/g, '');
  return h.includes(':') ? `[${h}]` : h;
}
