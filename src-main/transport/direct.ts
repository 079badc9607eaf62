/**
 * Direct paths: TLS 1.3 between two nodes, both presenting their identity certificates and both pinning
 * the other's fingerprint (DESIGN §5). There is no CA and no hostname check: the fingerprint is the name.
 *
 * After the TLS handshake the listener sends one preamble frame, ACCEPT or REFUSE+reason, so a dialer
 * that is not (yet) a peer learns why instead of seeing a bare reset.
 */
import { createServer, connect, type TLSSocket, type Server } from 'node:tls';
import { ClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../protocol/length-prefixed.js';
import { fingerprintOfCert } from '../crypto/signature.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { SocketLink } from './socket-link.js';
import type { Link } from './link.js';

export interface TlsIdentity {
  certPem: string;
  keyPem: string;
}

/** How long a dialer waits for TCP + TLS + preamble, in ms. */
export const DIRECT_DIAL_TIMEOUT_MS = 5000;
/** Largest preamble frame (a refusal reason), in bytes. */
const MAX_PREAMBLE = 1024;
const PREAMBLE_ACCEPT = 0x00;
const PREAMBLE_REFUSE = 0x01;

const tlsBase = { minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.3' as const };

function peerFingerprint(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerX509Certificate();
  return cert ? fingerprintOfCert(cert.raw) : undefined;
}

export function fingerprintMismatch(expected: string, got: string): ClawError {
  return new ClawError(
    'FINGERPRINT_MISMATCH',
    `tls fingerprint mismatch: expected ${abbreviateFingerprint(expected)}, got ${abbreviateFingerprint(got)} — the peer's certificate changed; re-pair or re-approve`,
  );
}

export interface DirectListenerOptions {
  identity: TlsIdentity;
  host: string;
  port: number;
  /** Returns a refusal reason for a node that may not link, or undefined to accept it. */
  admit(fingerprint: string, remote: string): string | undefined;
  onLink(link: Link): void;
  onRefused?(fingerprint: string, remote: string, reason: string): void;
}

export interface DirectListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function listenDirect(opts: DirectListenerOptions): Promise<DirectListener> {
  const server: Server = createServer({
    ...tlsBase,
    cert: opts.identity.certPem,
    key: opts.identity.keyPem,
    requestCert: true,
    // Pinning replaces CA validation: the admit() callback checks the fingerprint instead.
    rejectUnauthorized: false,
    handshakeTimeout: DIRECT_DIAL_TIMEOUT_MS,
  });
  server.on('secureConnection', (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    const remote = formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    const fp = peerFingerprint(socket);
    if (!fp) {
      socket.end(encodeLengthPrefixed(refusal('no client certificate presented')));
      return;
    }
    const reason = opts.admit(fp, remote);
    if (reason !== undefined) {
      opts.onRefused?.(fp, remote, reason);
      socket.end(encodeLengthPrefixed(refusal(reason)));
      return;
    }
    socket.write(encodeLengthPrefixed(Uint8Array.of(PREAMBLE_ACCEPT)));
    opts.onLink(new SocketLink(socket, fp, remote, false));
  });
  server.on('tlsClientError', () => undefined); // a failed handshake is the client's problem; keep serving
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    host: opts.host,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function refusal(reason: string): Uint8Array {
  return Buffer.concat([
    Uint8Array.of(PREAMBLE_REFUSE),
    Buffer.from(reason.slice(0, MAX_PREAMBLE - 1), 'utf8'),
  ]);
}

export interface DialDirectOptions {
  identity: TlsIdentity;
  /** `host:port`, `[v6]:port`. */
  address: string;
  expectedPeer: string;
  timeoutMs?: number;
}

export function dialDirect(opts: DialDirectOptions): Promise<Link> {
  const { host, port } = parseHostPort(opts.address);
  const remote = formatHostPort(host, port);
  return new Promise<Link>((resolve, reject) => {
    const socket = connect({
      ...tlsBase,
      host,
      port,
      cert: opts.identity.certPem,
      key: opts.identity.keyPem,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      servername: undefined,
    });
    const decoder = new LengthPrefixedDecoder(MAX_PREAMBLE);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new ClawError('TIMEOUT', `direct connection to ${remote} timed out`)),
      opts.timeoutMs ?? DIRECT_DIAL_TIMEOUT_MS,
    );
    socket.setNoDelay(true);
    socket.on('error', (err: Error) =>
      fail(new ClawError('LINK_CLOSED', `direct connection to ${remote} failed: ${err.message}`)),
    );
    socket.on('close', () =>
      fail(new ClawError('LINK_CLOSED', `direct connection to ${remote} closed before it was accepted`)),
    );
    socket.once('secureConnect', () => {
      const fp = peerFingerprint(socket);
      if (fp !== opts.expectedPeer) return fail(fingerprintMismatch(opts.expectedPeer, fp ?? 'none'));
    });
    const onData = (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return fail(err as Error);
      }
      if (frames.length === 0) return;
      socket.off('data', onData);
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      clearTimeout(timer);
      const [first] = frames;
      if (first?.[0] !== PREAMBLE_ACCEPT) {
        const reason = first?.subarray(1).toString('utf8') || 'no reason given';
        socket.destroy();
        reject(new ClawError('UNKNOWN_PEER', `${remote} refused the link: ${reason}`));
        return;
      }
      // Anything after the preamble in this chunk already belongs to the link.
      const rest = frames.slice(1).map((f) => encodeLengthPrefixed(f));
      resolve(new SocketLink(socket, opts.expectedPeer, remote, true, Buffer.concat(rest)));
    };
    socket.on('data', onData);
  });
}
