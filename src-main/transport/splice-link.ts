/**
 * A link through a relay's splice (docs/relay-protocol.md §Splices; ADR 0013): a TCP connection to the
 * relay's port that presents the splice token, which the relay pipes to the peer's, then TLS 1.3 between
 * the two nodes over that pipe, both presenting their identity certificates and both pinning the
 * other's fingerprint, exactly as a direct link does. The relay sees TLS records only. The end that
 * opened the relay circuit is the TLS client.
 *
 * The token goes first as a splice line, or, from the TLS client to a relay that takes it, as its
 * ClientHello's server name (ADR 0040): then the client is a plain tls.connect, whose socket reads into
 * reused slabs as a direct dialer's does (ADR 0039); a TLS socket over a socket written to first cannot.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, TLSSocket, type ConnectionOptions } from 'node:tls';
import { ClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { encodeSpliceLine, spliceServerName, type SpliceJoin } from '../protocol/relay-splice.js';
import {
  identityContext,
  fingerprintMismatch,
  peerFingerprint,
  tlsBase,
  type TlsIdentity,
} from './direct.js';
import type { Link } from './link.js';
import { readIntoSlabs, type OnReadOptions, type SlabReader } from './receive-slabs.js';
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
  /** How the relay takes the token (Circuit.offerSplice); a server name only from the TLS client. */
  join?: SpliceJoin;
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
    /** What a failure destroys: the sockets made so far, the slab reader. */
    const opened: { destroy(): void }[] = [];
    let reader: SlabReader | undefined;
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const o of opened) o.destroy();
      reader?.close();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new ClawError('TIMEOUT', `${what} timed out`)),
      opts.timeoutMs ?? SPLICE_TIMEOUT_MS,
    );
    const closedEarly = (): void => fail(new ClawError('LINK_CLOSED', `${what} closed before TLS completed`));
    const failed = (err: Error): void => fail(new ClawError('LINK_CLOSED', `${what} failed: ${err.message}`));
    /** `sockets`: the TLS socket, then the TCP socket under it when it was handed one. */
    const secured = (...sockets: [TLSSocket, Socket?]): void => {
      const [socket] = sockets;
      const fp = peerFingerprint(socket);
      if (fp !== opts.peerId) return fail(fingerprintMismatch(opts.peerId, fp ?? 'none'));
      settled = true;
      clearTimeout(timer);
      // Only this function's own listeners go: Node's TLS keeps its own on both sockets.
      for (const s of sockets) {
        s?.off('close', closedEarly);
        s?.off('error', failed);
      }
      socket.setNoDelay(true);
      resolve(new SocketLink(socket, opts.peerId, opts.relayUrl, opts.initiator, undefined, 'relay', reader));
    };
    const client: ConnectionOptions = {
      ...tlsBase,
      secureContext: identityContext(opts.identity),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    };
    if (opts.initiator && opts.join === 'server-name') {
      // Nothing before the hello, so the TLS socket is its own and reads into reused slabs.
      reader = readIntoSlabs();
      // tls.connect documents `onread` (ignored when given a socket); @types/node's options lack it.
      const byName: ConnectionOptions & { onread: OnReadOptions } = {
        ...client,
        host,
        port,
        servername: spliceServerName(opts.token),
        onread: reader.onread,
      };
      const tls = connectTls(byName);
      opened.push(tls);
      tls.setNoDelay(true);
      tls.once('secureConnect', () => secured(tls));
      tls.once('close', closedEarly);
      tls.on('error', failed);
      return;
    }
    const raw = connectTcp({ host, port });
    opened.push(raw);
    raw.setNoDelay(true);
    raw.on('error', failed);
    raw.once('close', closedEarly);
    // The line goes first; the TLS handshake follows on the same connection.
    raw.write(encodeSpliceLine(opts.token));
    const tls = opts.initiator
      ? connectTls({ ...client, socket: raw })
      : new TLSSocket(raw, {
          isServer: true,
          secureContext: identityContext(opts.identity),
          requestCert: true,
          // Pinning replaces CA validation: secured() checks the fingerprint.
          rejectUnauthorized: false,
        });
    opened.unshift(tls);
    tls.once(opts.initiator ? 'secureConnect' : 'secure', () => secured(tls, raw));
    tls.on('error', failed);
  });
}
