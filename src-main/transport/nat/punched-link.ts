/**
 * TLS over a socket a simultaneous open made (simultaneous-open.ts): both ends connected, so neither is
 * the dialer and the TLS roles are agreed instead — the node whose fingerprint sorts lower is the TLS
 * server, the other the client. Both present their identity certificates and pin the other's
 * fingerprint, exactly as a direct link does; the result is a direct link (path `direct`).
 */
import type { Socket } from 'node:net';
import { connect as connectTls, TLSSocket } from 'node:tls';
import { ClawError } from '../../core/errors.js';
import { formatHostPort } from '../../core/host-port.js';
import {
  fingerprintMismatch,
  identityContext,
  peerFingerprint,
  tlsBase,
  type TlsIdentity,
} from '../direct.js';
import type { Link } from '../link.js';
import { SocketLink } from '../socket-link.js';

/** How long the TLS handshake on a punched socket may take, in ms. */
export const PUNCHED_TLS_TIMEOUT_MS = 5_000;

/** Links a simultaneous open made: their far end is a throwaway port, never where the peer listens. */
const punchedLinks = new WeakSet<Link>();

/** Whether `link` came from a simultaneous open (securePunchedSocket). */
export function isPunchedLink(link: Link): boolean {
  return punchedLinks.has(link);
}

/** Which TLS role this node takes on a punched socket: the lower fingerprint serves. */
export function punchedTlsRole(self: string, peer: string): 'server' | 'client' {
  return self < peer ? 'server' : 'client';
}

export interface PunchedLinkOptions {
  identity: TlsIdentity;
  selfId: string;
  /** The fingerprint the peer must prove. */
  peerId: string;
  timeoutMs?: number;
}

/**
 * Runs pinned TLS over `socket` in the agreed role; the TLS client's link counts as the initiator's.
 * @throws (rejects) ClawError('TIMEOUT'), ('LINK_CLOSED'), ('FINGERPRINT_MISMATCH')
 */
export function securePunchedSocket(socket: Socket, opts: PunchedLinkOptions): Promise<Link> {
  const role = punchedTlsRole(opts.selfId, opts.peerId);
  const remote = formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
  const what = `punched connection to ${remote}`;
  return new Promise<Link>((resolve, reject) => {
    let settled = false;
    const tls =
      role === 'client'
        ? connectTls({
            ...tlsBase,
            socket,
            secureContext: identityContext(opts.identity),
            rejectUnauthorized: false,
            checkServerIdentity: () => undefined,
          })
        : new TLSSocket(socket, {
            isServer: true,
            secureContext: identityContext(opts.identity),
            requestCert: true,
            // Pinning replaces CA validation: the fingerprint is checked below.
            rejectUnauthorized: false,
          });
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tls.destroy();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new ClawError('TIMEOUT', `TLS on the ${what} timed out`)),
      opts.timeoutMs ?? PUNCHED_TLS_TIMEOUT_MS,
    );
    const failed = (err: Error) => fail(new ClawError('LINK_CLOSED', `${what} failed: ${err.message}`));
    const closedEarly = () => fail(new ClawError('LINK_CLOSED', `${what} closed before TLS completed`));
    tls.on('error', failed);
    socket.on('error', failed);
    tls.once('close', closedEarly);
    tls.once(role === 'client' ? 'secureConnect' : 'secure', () => {
      const fp = peerFingerprint(tls);
      if (fp !== opts.peerId) return fail(fingerprintMismatch(opts.peerId, fp ?? 'none'));
      settled = true;
      clearTimeout(timer);
      tls.off('error', failed);
      socket.off('error', failed);
      tls.off('close', closedEarly);
      tls.setNoDelay(true);
      const link = new SocketLink(tls, opts.peerId, remote, role === 'client');
      punchedLinks.add(link);
      resolve(link);
    });
  });
}
