/**
 * Turns what a relay connection ends with (a close code, a socket error, a refused circuit) into one
 * user-facing line that says what failed and what to do (architecture.md §Rules the code keeps).
 */
import { ClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { peerHint } from '../core/hint.js';
import { refusalFromWire } from '../core/refusal-codes.js';
import {
  NODE_REFUSAL_BASE,
  NODE_REFUSAL_MAX,
  RelayCloseCode,
  relayCloseCodeName,
} from '../protocol/relay-close-codes.js';

/** The error for a relay connection the relay (or the network) closed with `code`. */
export function relayCloseError(url: string, code: number, reason: string): ClawError {
  const said = reason ? `: ${reason}` : '';
  switch (relayCloseCodeName(code)) {
    case 'TOKEN_REJECTED':
      return new ClawError(
        'RELAY_AUTH_FAILED',
        `relay ${url}: access token rejected — check the token given with --relay-token-file`,
      );
    case 'TOKEN_REQUIRED':
      return new ClawError(
        'RELAY_AUTH_FAILED',
        `relay ${url} requires an access token — give it with --relay-token-file`,
      );
    case 'BAD_SIGNATURE':
      return new ClawError(
        'RELAY_AUTH_FAILED',
        `relay ${url} rejected this node's identity signature — the identity key does not match its certificate; restore the identity or generate a new one`,
      );
    case 'NOT_AUTHORIZED':
      return new ClawError(
        'RELAY_AUTH_FAILED',
        // The node may not be a peer there at all, so `peers allow` alone would fail: say both ways.
        `relay ${url} serves only the peers its owner allowed — give its owner this node's fingerprint (clawbridge id shows it) to add this node as a peer allowed relay there, or to allow relay to its peer NAME if this node is one already (peers allow NAME relay)`,
        {
          hint: peerHint([
            'peers',
            'add',
            'FINGERPRINT',
            '--name',
            'NAME',
            '--allow',
            'terminal,forward,relay',
          ]),
        },
      );
    case 'AUTH_TIMEOUT':
      return new ClawError(
        'RELAY_AUTH_FAILED',
        `relay ${url}: authentication timed out — the network or this machine is very slow; retrying`,
      );
    case 'AUTH_RATE_LIMITED':
      return new ClawError(
        'RELAY_LIMIT',
        `relay ${url}: too many connection attempts from this address — retrying more slowly`,
      );
    case 'TOO_MANY_CONNECTIONS':
      return new ClawError(
        'RELAY_LIMIT',
        `relay ${url}: too many connections from this address — stop other clawbridge instances behind this IP, or its operator can raise the limit (clawbridge relay --connections-per-ip N)`,
      );
    case 'SLOW_CONSUMER':
      return new ClawError(
        'RELAY_LIMIT',
        `relay ${url} dropped this node for reading too slowly (buffered bytes exceeded); reconnecting`,
      );
    case 'IDLE_TIMEOUT':
      return new ClawError('LINK_CLOSED', `relay ${url} closed an idle connection; reconnecting`);
    case 'REPLACED':
      return new ClawError(
        'RELAY_REPLACED',
        // Or this node itself reaches the relay under a second URL (a peer's, unpinned): with a pin it
        // knows the two are one relay (relay-clients/relay-set.ts) and holds one connection.
        `relay ${url}: another connection with this node's identity replaced this one — is clawbridge running twice with the same identity, or is this relay also reached under another URL without a pinned certificate?`,
      );
    case 'GOING_AWAY':
      return new ClawError('RELAY_UNREACHABLE', `relay ${url} is shutting down; reconnecting`);
    case 'RELAY_FULL':
      return new ClawError(
        'RELAY_LIMIT',
        `relay ${url} is full and takes no more nodes now (its node cap, open files or memory) — retrying; its operator can raise its limits, or use another relay`,
      );
    case 'FRAME_TOO_LARGE':
    case 'MALFORMED_FRAME':
    case 'UNKNOWN_FRAME_TYPE':
    case 'UNSUPPORTED_VERSION':
    case 'PROTOCOL_VIOLATION':
    case 'INTERNAL_ERROR':
      return new ClawError(
        'PROTOCOL',
        `relay ${url} closed the connection (${code}${said}) — the relay and this node may run incompatible versions; update both`,
      );
    default:
      return new ClawError(
        'RELAY_UNREACHABLE',
        `connection to relay ${url} lost (${code}${said}); reconnecting`,
      );
  }
}

/** Why a connection attempt failed before the relay said anything. */
export function relayConnectError(url: string, err: Error & { code?: string }): ClawError {
  if (err instanceof ClawError) return err;
  // The socket error stays the cause: the client reads its code (relay-client.ts probes while refused).
  const unreachable = (message: string) => new ClawError('RELAY_UNREACHABLE', message, { cause: err });
  const advice = 'check the address and that the relay is running; retrying';
  switch (err.code) {
    case 'ECONNREFUSED':
      return unreachable(`relay ${url} is unreachable (connection refused) — ${advice}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return unreachable(
        `relay ${url} is unreachable (host not found) — check the relay address and DNS; retrying`,
      );
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return unreachable(`relay ${url} is unreachable (${err.code}) — ${advice}`);
  }
  const status = /Unexpected server response: (\d+)/.exec(err.message);
  if (status) {
    return unreachable(
      `relay ${url} answered HTTP ${status[1]} instead of a WebSocket — check that the URL points at a clawbridge relay`,
    );
  }
  if (/handshake has timed out/i.test(err.message)) {
    return unreachable(`relay ${url} is unreachable (timed out) — ${advice}`);
  }
  return unreachable(`relay ${url} is unreachable (${err.message}) — ${advice}`);
}

/** Why the relay refused or ended a circuit, for the opener (`openCircuit` rejects with this). */
export function circuitRefusedError(url: string, peerId: string, code: number, reason: string): ClawError {
  const peer = `peer ${abbreviateFingerprint(peerId)}`;
  if (code >= NODE_REFUSAL_BASE && code <= NODE_REFUSAL_MAX) {
    return new ClawError('UNKNOWN_PEER', `${peer} refused the link: ${reason || 'no reason given'}`, {
      refusal: refusalFromWire(code - NODE_REFUSAL_BASE),
    });
  }
  switch (code) {
    case RelayCloseCode.PEER_OFFLINE:
      return new ClawError('PEER_OFFLINE', `${peer} is not connected to relay ${url}`);
    case RelayCloseCode.TOO_MANY_CIRCUITS:
      return new ClawError(
        'RELAY_LIMIT',
        `relay ${url} refused a circuit to ${peer}: ${reason || 'too many circuits'} — close unused terminals or forwards`,
      );
    case RelayCloseCode.TOO_MANY_CIRCUITS_TO_PEER:
      return new ClawError(
        'RELAY_LIMIT',
        `relay ${url} refused a circuit to ${peer}: ${reason || 'too many circuits to this peer'} — this node already has that many circuits open to it`,
      );
    case RelayCloseCode.TOO_MANY_CIRCUITS_FROM_ADDRESS:
      return new ClawError(
        'RELAY_LIMIT',
        `relay ${url} refused a circuit to ${peer}: ${reason || 'too many circuits to this peer from this address'} — other nodes behind this address hold them; retry later or use another relay`,
      );
    case RelayCloseCode.PEER_DISCONNECTED:
      return new ClawError('LINK_CLOSED', `${peer} disconnected from relay ${url}`);
    case RelayCloseCode.DESTINATION_FULL:
      return new ClawError(
        'LINK_CLOSED',
        `relay ${url} closed the circuit to ${peer}: ${peer} is not reading fast enough (its queue is full)`,
      );
    default:
      return new ClawError('LINK_CLOSED', `${peer} closed the relay circuit${reason ? `: ${reason}` : ''}`);
  }
}
