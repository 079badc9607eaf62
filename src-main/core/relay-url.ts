/**
 * When two relay URLs name the same relay: `wss://h:7474` and `wss://H:7474/`, or `wss://h` and
 * `wss://h:443`, are one relay, and two settings entries for it would knock each other's connection
 * off (one identity, two connections). Pure; used by the agent and the window alike.
 */

/**
 * Where a relay listens unless told otherwise (`clawbridge relay`, and a node acting as a relay for
 * its peers): all interfaces, the relay's usual port.
 */
export const DEFAULT_RELAY_LISTEN = '0.0.0.0:7474';

/** The form two URLs of one relay share (URL's own normalisation: host case, default port, "/"). */
export function relayUrlKey(url: string): string {
  try {
    return new URL(url.trim()).href;
  } catch {
    return url.trim();
  }
}

export function sameRelayUrl(a: string, b: string): boolean {
  return relayUrlKey(a) === relayUrlKey(b);
}
