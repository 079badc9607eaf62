/**
 * What the web UI server accepts, as pure decisions (docs/web-ui.md "What the server refuses"):
 * the `Host` of every request and upgrade (DNS rebinding: a page on evil.example whose name now points
 * at 127.0.0.1 sends `Host: evil.example:7476`), the `Origin` of every WebSocket upgrade (another site's
 * page may open a WebSocket to loopback; its Origin gives it away), and the headers every answer carries.
 */
import { isIP } from 'node:net';

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

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7));
  return isIP(h) === 4 && h.startsWith('127.');
}

/** True for the any-address (`0.0.0.0`, `::`), which listens on every interface. */
export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::';
}

/** What a Host header is checked against: where the server listens and where this connection arrived. */
export interface HostContext {
  /** The configured listen host (`127.0.0.1`, `::1`, `0.0.0.0`, a LAN address, a name). */
  listenHost: string;
  /** The bound port. */
  port: number;
  /**
   * The local address this connection arrived on (`socket.localAddress`). An IP literal cannot be
   * rebound, so a Host naming it is the address the user typed; this is what makes a UI listening on
   * 0.0.0.0 (with --allow-remote-ui) usable as `http://192.0.2.5:7476/`.
   */
  localAddress?: string;
}

/** Splits a Host header into host (brackets removed, lower case) and port; undefined when malformed. */
export function parseHostHeader(value: string): { host: string; port: number | undefined } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return undefined;
  const host = m[1]!.toLowerCase().replace(/^\[|\]$/g, '');
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { host, port };
}

const unmapped = (ip: string) => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

/**
 * Whether a request's `Host` header names this server: `localhost` or a loopback literal with any port,
 * or the listen address or the IP literal the connection arrived on with the bound port.
 *
 * Why any port for loopback names: a rebinding page's Host is its own name (`evil.example:7476`), never
 * a loopback name, so the port adds nothing there; and a UI reached through a Clawbridge forward from
 * another local port (`127.0.0.1:9000` → the peer's `127.0.0.1:7476`, docs/web-ui.md) arrives with that
 * port. The Origin check still ties a WebSocket to the page the Host names. A port-less Host means 80.
 */
export function hostAllowed(header: string | undefined, ctx: HostContext): boolean {
  if (header === undefined) return false;
  const parsed = parseHostHeader(header);
  if (!parsed) return false;
  const host = unmapped(parsed.host);
  if (isLoopbackHost(host)) return true;
  if ((parsed.port ?? 80) !== ctx.port) return false;
  if (host === ctx.listenHost.toLowerCase().replace(/^\[|\]$/g, '')) return !isWildcardHost(host);
  return ctx.localAddress !== undefined && isIP(host) !== 0 && host === unmapped(ctx.localAddress);
}

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
