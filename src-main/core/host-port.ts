/**
 * `HOST:PORT` parsing for listen addresses, dial targets and forward destinations. IPv6 literals are
 * bracketed (`[::1]:7474`). Port 0 means "pick a free port" where listening.
 */
import { ClawError } from './errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port`, `[v6]:port`, or a bare `port` when `defaultHost` is given. */
export function parseHostPort(input: string, defaultHost?: string): HostPort {
  const text = input.trim();
  let host: string | undefined;
  let portText: string;
  const v6 = /^\[([0-9a-fA-F:.%a-zA-Z]+)\]:(\d+)$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (/^\d+$/.test(text) && defaultHost !== undefined) {
    host = defaultHost;
    portText = text;
  } else {
    const idx = text.lastIndexOf(':');
    if (idx <= 0 || text.indexOf(':') !== idx) {
      throw new ClawError('BAD_ARGUMENT', `'${input}' is not HOST:PORT (write IPv6 as [::1]:7474)`);
    }
    host = text.slice(0, idx);
    portText = text.slice(idx + 1);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new ClawError('BAD_ARGUMENT', `'${input}': port must be a number from 0 to 65535`);
  }
  if (!/^[A-Za-z0-9.\-_:%]+$/.test(host)) {
    throw new ClawError('BAD_ARGUMENT', `'${input}': '${host}' is not a host name or IP address`);
  }
  return { host, port: Number(portText) };
}

export function formatHostPort(host: string, port: number): string {
  const bare = host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** Longest direct address a peer may name, in characters (a DNS name is at most 253). */
export const MAX_DIAL_ADDRESS_CHARS = 300;

/**
 * Why `text` is not an address to dial a peer at (`HOST:PORT` or `[v6]:PORT`, a host name or IP
 * address and a port from 1 to 65535, nothing around it), or undefined when it is one. For addresses
 * other nodes name (hellos, pairing, saved files): one with anything else in it, an escape sequence
 * for instance, is refused where it arrives rather than kept, dialed and shown.
 */
export function dialAddressProblem(text: string): string | undefined {
  if (text.length > MAX_DIAL_ADDRESS_CHARS) return `is longer than ${MAX_DIAL_ADDRESS_CHARS} characters`;
  if (text.trim() !== text) return 'is not HOST:PORT (it has spaces around it)';
  let port: number;
  try {
    port = parseHostPort(text).port;
  } catch {
    return 'is not HOST:PORT';
  }
  return port === 0 ? 'has port 0' : undefined;
}
