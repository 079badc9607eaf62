/**
 * A link through a relay's splice (docs/relay-protocol.md §Splices; ADR 0013): a TCP connection to the
 * relay's port that presents the splice token, which the relay pipes to the peer's, then TLS 1.3 between
 * the two nodes over that pipe, both presenting their identity certificates and both pinning the
 * other's fingerprint, exactly as a direct link does. The relay sees TLS records only. The end that
 * opened the relay circuit is the TLS client.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, TLSSocket } from 'node:tls';
import { ClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { encodeSpliceLine } from '../protocol/relay-splice.js';
import {
  identityContext,
  fingerprintMismatch,
  peerFingerprint,
  tlsBase,
  type TlsIdentity,
} from './direct.js';
import type { Link } from './link.js';
import { SocketLink } from './socket-link.js';

/** How long joining a splice may take, from TCP connect to a verified TLS peer, in ms. */
export const SPLICE_TIMEOUT_MS = 5_000;

export interface SpliceLinkOptions {
  /** The relay's URL (`wss://host:port` or `ws://…`): the splice goes to the same host and port. */
  relayUrl: string;
  token: Uint8Array;
  identity: TlsIdentity;
  /** The fingerprint the peer must prove (that of the circuit's proven peer). */
  peerId: string;
  /** True on the end that opened the circuit: it is the TLS client. */
  initiator: boolean;
  timeoutMs?: number;
}

/** Where a relay URL's splices go: its host and port (443/80 when the URL names none). */
export function spliceAddress(relayUrl: string): { host: string; port: number } {
  const url = new URL(relayUrl);
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    throw new ClawError('BAD_ARGUMENT', `not a relay URL: ${relayUrl}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port ? Number(url.port) : url.protocol === 'wss:' ? 443 : 80 };
}

/**
 * Joins the splice of `token` at the relay and runs pinned TLS to the peer over it.
 * @throws (rejects) ClawError('TIMEOUT'), ('LINK_CLOSED') when the relay or the peer ends it,
 *   ('FINGERPRINT_MISMATCH') when the other end is not the peer.
 */
export function spliceLink(opts: SpliceLinkOptions): Promise<Link> {
  const { host, port } = spliceAddress(opts.relayUrl);
  const what = `splice to ${abbreviateFingerprint(opts.peerId)} via ${opts.relayUrl}`;
  return new Promise<Link>((resolve, reject) => {
    const raw: Socket = connectTcp({ host, port });
    let tls: TLSSocket | undefined;
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tls?.destroy();
      raw.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new ClawError('TIMEOUT', `${what} timed out`)),
      opts.timeoutMs ?? SPLICE_TIMEOUT_MS,
    );
    raw.setNoDelay(true);
    raw.on('error', (err) => fail(new ClawError('LINK_CLOSED', `${what} failed: ${err.message}`)));
    raw.once('close', () => fail(new ClawError('LINK_CLOSED', `${what} closed before TLS completed`)));
    // The line goes first; the TLS handshake follows on the same connection.
    raw.write(encodeSpliceLine(opts.token));
    const secured = (socket: TLSSocket): void => {
      const fp = peerFingerprint(socket);
      if (fp !== opts.peerId) return fail(fingerprintMismatch(opts.peerId, fp ?? 'none'));
      settled = true;
      clearTimeout(timer);
      raw.removeAllListeners('close');
      raw.removeAllListeners('error');
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(new SocketLink(socket, opts.peerId, opts.relayUrl, opts.initiator, undefined, 'relay'));
    };
    if (opts.initiator) {
      tls = connectTls({
        ...tlsBase,
        socket: raw,
        secureContext: identityContext(opts.identity),
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
      tls.once('secureConnect', () => secured(tls!));
    } else {
      tls = new TLSSocket(raw, {
        isServer: true,
        secureContext: identityContext(opts.identity),
        requestCert: true,
        // Pinning replaces CA validation: secured() checks the fingerprint.
        rejectUnauthorized: false,
      });
      tls.once('secure', () => secured(tls!));
    }
    tls.on('error', (err: Error) => fail(new ClawError('LINK_CLOSED', `${what} failed: ${err.message}`)));
  });
}
