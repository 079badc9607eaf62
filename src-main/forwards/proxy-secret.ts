/**
 * A proxy's password (docs/security.md, Another user on the same machine): a loopback port is open to
 * every user of the machine, so a proxy the owner added would carry anyone's connections into the
 * owner's peers' networks. A proxy saved with a secret asks every client for it: a SOCKS5 client as the
 * RFC 1929 password (the user name still names the exit peer, ADR 0005), an HTTP client as the password
 * of `Proxy-Authorization: Basic`. The secret is kept in the proxy's saved record (the settings file is
 * 0600 in a 0700 home), so only the owner's programs can read it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseHostPort } from '../core/host-port.js';

/** Random bytes in a secret: 192 bits, as 32 base64url characters (no URL escaping needed). */
const SECRET_BYTES = 24;

export function newProxySecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Whether `given` is `secret`, in time that does not depend on where they differ or their lengths. */
export function secretMatches(given: string, secret: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/**
 * The password of an HTTP `Proxy-Authorization: Basic …` header (the user name is ignored), or
 * undefined when there is no such header or it is not Basic.
 */
export function basicProxyPassword(headers: readonly [string, string][]): string | undefined {
  const header = headers.find(([n]) => n.toLowerCase() === 'proxy-authorization')?.[1];
  const match = header === undefined ? null : /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * The URL a client is given: `socks5h://` (names resolved at the exit) or `http://`, with the exit peer
 * as the user name and the secret as the password when there is one. A SOCKS proxy without an exit of
 * its own shows `PEER` where the client names one.
 */
export function proxyUrl(
  kind: 'socks' | 'http',
  local: string,
  via: string | undefined,
  secret: string | undefined,
): string {
  const { host, port } = parseHostPort(local, '127.0.0.1');
  // A proxy listening on every address is reached on loopback from here.
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostPart = reach.includes(':') ? `[${reach}]` : reach;
  const scheme = kind === 'socks' ? 'socks5h' : 'http';
  const user = via === undefined ? 'PEER' : encodeURIComponent(via);
  const auth =
    secret !== undefined ? `${user}:${secret}@` : kind === 'socks' && via === undefined ? 'PEER:x@' : '';
  return `${scheme}://${auth}${hostPart}:${port}`;
}
