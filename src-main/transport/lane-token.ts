/**
 * How a direct connection says it is another link's quiet lane (docs/adr/0042-quiet-lane.md): the
 * dialer names the token the peer handed out in its hello as the TLS server name. The token only says
 * which link the connection joins; who is dialing is still proven by the pinned certificate, so a
 * token seen on the wire (SNI is not encrypted) lets no one else in.
 */
import { randomBytes } from 'node:crypto';

const SUFFIX = '.lane.clawbridge.invalid';
const TOKEN = /^[0-9a-f]{32}$/;

/** A fresh token: 128 random bits as 32 lowercase hex characters. */
export function newLaneToken(): string {
  return randomBytes(16).toString('hex');
}

/** True for a string of a token's form. */
export function isLaneToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN.test(token);
}

/** The TLS server name a lane's dialer sends. */
export function laneServerName(token: string): string {
  return `${token}${SUFFIX}`;
}

/** The token a TLS server name carries, or undefined for any other name (or none). */
export function laneTokenOf(servername: string | false | null | undefined): string | undefined {
  if (typeof servername !== 'string' || !servername.endsWith(SUFFIX)) return undefined;
  const token = servername.slice(0, -SUFFIX.length);
  return isLaneToken(token) ? token : undefined;
}
