/**
 * A node's way into the relay (docs/relay-protocol.md §Authentication): whether a new WebSocket may try
 * at all (its address's limits, the relay's room), the CHALLENGE it gets, and its HELLO: checked
 * (auth.ts), authorized by the relay's owner, registered under its node ID, answered with AUTH_OK.
 * A refusal is a close code; what to do with the socket is the relay's (relay.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import {
  RELAY_CLOSE_REASONS,
  RelayCloseCode,
  type RelayCloseCodeName,
} from '../protocol/relay-close-codes.js';
import {
  CHALLENGE_NONCE_BYTES,
  encodeRelayFrame,
  RELAY_FEATURE_LISTEN_TAG,
  RELAY_FEATURE_OBSERVED_ADDRESS,
  RELAY_FEATURE_SPLICE,
  RELAY_FEATURE_SPLICE_SNI,
  RELAY_PROTOCOL_VERSION,
  RelayFrameError,
  type ObservedEndpoint,
  type RelayFrame,
} from '../protocol/relay-frames.js';
import type { RelayLimits } from '../protocol/relay-limits.js';
import { checkHello } from './auth.js';
import type { RelayCapacity } from './capacity.js';
import type { RelayConn } from './connection.js';
import type { RelayFullLog } from './full-log.js';
import type { IpLimiter, IpRefusal } from './ip-limits.js';
import type { RelayMetrics } from './metrics.js';
import type { RelayRouter } from './router.js';

/** Sent in CHALLENGE so a node can log what it talks to; the words after the first are features. */
export const RELAY_INFO = `clawbridge-relay/${RELAY_PROTOCOL_VERSION} ${RELAY_FEATURE_SPLICE} ${RELAY_FEATURE_LISTEN_TAG} ${RELAY_FEATURE_SPLICE_SNI} ${RELAY_FEATURE_OBSERVED_ADDRESS}`;

/** Decides, after a node proved its ID, whether this relay serves it (RelayServerOptions.authorize). */
export type Authorize = (nodeId: string, listening: (id: string) => boolean) => boolean | 'guest';

/** What the handshake reads and whom it tells. */
export interface HandshakeParts {
  readonly limits: Pick<RelayLimits, 'maxFrameBytes' | 'circuitsPerNode' | 'idleTimeoutMs'>;
  /** The relay's access token; undefined: an open relay. */
  readonly token: string | undefined;
  readonly authorize: Authorize | undefined;
  readonly log: Logger;
  readonly metrics: Pick<RelayMetrics, 'authFailures' | 'authSuccesses' | 'disconnects'>;
  readonly ips: Pick<IpLimiter, 'attempt'>;
  readonly capacity: Pick<RelayCapacity, 'refusal'>;
  readonly full: Pick<RelayFullLog, 'refused' | 'taken'>;
  readonly router: Pick<RelayRouter, 'register' | 'nodes'>;
  /** Ends a connection with a close code and stops routing to it (the relay's drop). */
  drop(conn: RelayConn, code: RelayCloseCodeName): void;
  /** `conn` authenticated as a node (at `now`, ms): no more auth deadline, one more registration. */
  authenticated(conn: RelayConn, now: number): void;
}

const lower = (name: RelayCloseCodeName) => name.toLowerCase();

export class RelayHandshake {
  constructor(private readonly parts: HandshakeParts) {}

  /**
   * Whether a new WebSocket from `ip` may try to authenticate (the upgrade is its attempt), counted;
   * else its close code and reason, counted and logged. `overLimit`: its TCP connection came in beyond
   * connectionsPerIp (accept.ts).
   */
  admit(ip: string, overLimit: IpRefusal | undefined): { code: number; reason: string } | undefined {
    const { metrics, log } = this.parts;
    // Refused attempts cost nothing: an address over its connections does not also drain its bucket.
    const refusal = overLimit ?? (this.parts.ips.attempt(ip) ? undefined : 'AUTH_RATE_LIMITED');
    if (refusal) {
      metrics.authFailures.inc({ reason: lower(refusal) });
      log.debug({ ip, refusal }, 'relay connection refused');
      return { code: RelayCloseCode[refusal], reason: RELAY_CLOSE_REASONS[refusal] };
    }
    // Before CHALLENGE: a full relay spends no nonce or signature check on the node it refuses.
    const full = this.parts.capacity.refusal();
    if (full) {
      this.parts.full.refused(full);
      return { code: RelayCloseCode.RELAY_FULL, reason: `${RELAY_CLOSE_REASONS.RELAY_FULL} (${full})` };
    }
    this.parts.full.taken();
    return undefined;
  }

  /** Sends `conn` its CHALLENGE, kept until its HELLO, which signs these exact bytes. */
  challenge(conn: RelayConn): void {
    conn.challenge = encodeRelayFrame({
      type: 'challenge',
      nonce: randomBytes(CHALLENGE_NONCE_BYTES),
      maxFrameBytes: this.parts.limits.maxFrameBytes,
      relayInfo: RELAY_INFO,
    });
    conn.ws.send(conn.challenge);
  }

  /**
   * The first frame of a connection still authenticating.
   * @throws RelayFrameError when it is not HELLO
   */
  hello(conn: RelayConn, frame: RelayFrame): void {
    const { metrics, log } = this.parts;
    if (frame.type !== 'hello') {
      throw new RelayFrameError(
        'PROTOCOL',
        `protocol violation: ${frame.type.toUpperCase()} before authentication`,
        RelayCloseCode.PROTOCOL_VIOLATION,
      );
    }
    const challenge = conn.challenge!;
    conn.challenge = undefined;
    const tcp = conn.tcp;
    conn.tcp = undefined;
    const result = checkHello(frame, challenge, this.parts.token);
    if (!result.ok) {
      metrics.authFailures.inc({ reason: lower(result.refusal) });
      log.debug({ ip: conn.ip, refusal: result.refusal }, 'relay authentication failed');
      return this.parts.drop(conn, result.refusal);
    }
    const authorize = this.parts.authorize;
    const allowed = authorize ? authorize(result.nodeId, (id) => this.listening(id)) : true;
    if (allowed === false) {
      metrics.authFailures.inc({ reason: 'not_authorized' });
      log.info({ ip: conn.ip, node: result.nodeId }, 'relay refused a node its owner did not allow');
      return this.parts.drop(conn, 'NOT_AUTHORIZED');
    }
    conn.guest = allowed === 'guest';
    this.parts.authenticated(conn, Date.now());
    const old = this.parts.router.register(conn, result.nodeId);
    if (old && old !== conn) {
      metrics.disconnects.inc({ reason: 'replaced' });
      this.parts.drop(old, 'REPLACED');
    }
    metrics.authSuccesses.inc();
    log.debug({ ip: conn.ip, node: result.nodeId }, 'relay node authenticated');
    const l = this.parts.limits;
    conn.ws.send(
      encodeRelayFrame({
        type: 'auth-ok',
        nodeId: result.nodeId,
        circuitsPerNode: l.circuitsPerNode,
        idleTimeoutMs: l.idleTimeoutMs,
        ...(frame.wantsObserved ? { observed: observedEndpoint(tcp) } : {}),
      }),
    );
  }

  /** Whether node `id` listens on a rendezvous alias here now. */
  private listening(id: string): boolean {
    const conn = this.parts.router.nodes.get(id);
    return conn?.aliases !== undefined && conn.aliases.size > 0;
  }
}

/**
 * Where `tcp`'s connection comes from, as AUTH_OK tells it: an IPv4 address mapped into IPv6 (a
 * dual-stack listener) as plain IPv4. Undefined when the socket is gone or not ours (then AUTH_OK
 * simply carries none). Behind a TCP proxy this is the proxy's side: docs/relay-protocol.md.
 */
function observedEndpoint(tcp: Socket | undefined): ObservedEndpoint | undefined {
  const address = tcp?.remoteAddress?.toLowerCase();
  const port = tcp?.remotePort;
  if (!address || port === undefined) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  return { address: mapped ? mapped[1]! : address.split('%')[0]!, port };
}
