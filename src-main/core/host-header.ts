/**
 * Whether a request's `Host` header names the server it reached: the check against DNS rebinding that
 * the web UI (api/web-ui/) and the relay's page and browser upgrades (relay/) both make. A page on
 * evil.example whose name now points at this machine sends `Host: evil.example:PORT`, and its Origin
 * then matches that Host, so an Origin check alone takes it as the server's own page. Pure.
 */

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7));
  return IPV4.test(h) && h.startsWith('127.');
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
  localAddress?: string | undefined;
  /**
   * Names the operator serves the server under (lower case; `*.example.com` covers one label), taken
   * with any port: a name is rebound only by whoever owns it, and a proxy in front (port 443) or a
   * container's published port (8443 → 443) puts a port other than the bound one in the Host.
   */
  names?: ReadonlySet<string> | undefined;
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

/** Whether `host` is one of `names`, directly or under a `*.` entry (one label, as certificates match). */
function named(host: string, names: ReadonlySet<string> | undefined): boolean {
  if (!names || names.size === 0) return false;
  if (names.has(host)) return true;
  const dot = host.indexOf('.');
  return dot > 0 && names.has(`*${host.slice(dot)}`);
}

/**
 * Whether a request's `Host` header names this server: `localhost` or a loopback literal with any port,
 * one of the operator's names with any port, or the listen address or the IP literal the connection
 * arrived on with the bound port.
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
  if (isLoopbackHost(host) || named(host, ctx.names)) return true;
  if ((parsed.port ?? 80) !== ctx.port) return false;
  if (host === ctx.listenHost.toLowerCase().replace(/^\[|\]$/g, '')) return !isWildcardHost(host);
  // An IP literal only: the parse above admits names, and a name other than the listen host is refused.
  return ctx.localAddress !== undefined && host === unmapped(ctx.localAddress.toLowerCase());
}
