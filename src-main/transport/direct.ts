/**
 * Direct paths: TLS 1.3 between two nodes, both presenting their identity certificates and both pinning
 * the other's fingerprint (architecture.md §Links and paths). There is no CA and no hostname check: the fingerprint is the name.
 *
 * After the TLS handshake the listener sends one preamble frame, ACCEPT or REFUSE+reason, so a dialer
 * that is not (yet) a peer learns why instead of seeing a bare reset. Until then a connection is anonymous:
 * such connections are capped per source address and in total, and closed if not a link by the deadline.
 */
import type { Socket } from 'node:net';
import {
  connect,
  createSecureContext,
  createServer,
  type ConnectionOptions,
  type SecureContext,
  type Server,
  type TLSSocket,
} from 'node:tls';
import { ClawError } from '../core/errors.js';
import { refusalFromWire, refusalToWire, type Refusal } from '../core/refusal-codes.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../protocol/length-prefixed.js';
import { fingerprintOfCert } from '../crypto/signature.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { SocketLink } from './socket-link.js';
import { readIntoSlabs, type OnReadOptions } from './receive-slabs.js';
import { HandshakeGuard } from './handshake-guard.js';
import { AttemptLimiter } from '../core/attempt-limiter.js';
import { addressBlock } from '../core/address-block.js';
import type { Link } from './link.js';
import { laneServerName, laneTokenOf } from './lane-token.js';

export interface TlsIdentity {
  certPem: string;
  keyPem: string;
}

/** How long a dialer waits for TCP + TLS + preamble, in ms. */
export const DIRECT_DIAL_TIMEOUT_MS = 5000;
/**
 * Most connections from one source IP address that may be unauthenticated at once (TCP accepted, not yet
 * admitted as a link), in connections. A node dials a peer once at a time, so 16 covers several nodes
 * behind one NAT address and their retries, while one address can take at most 1/16 of the total.
 */
export const MAX_PENDING_HANDSHAKES_PER_SOURCE = 16;
/**
 * Most unauthenticated connections at once from all sources, in connections. Each holds a file
 * descriptor and TLS state (what each holds: docs/design/hot-path-costs.md), so 256 bound a flood's
 * memory and take 256 fds, a quarter of the common 1024 soft fd limit, leaving room for links and
 * terminals.
 */
export const MAX_PENDING_HANDSHAKES = 256;
/**
 * Connections one source (an IPv4 address or an IPv6 /64) may open to the direct listener per
 * HANDSHAKE_RATE_WINDOW_MS (120 a minute). Each costs a TLS handshake (ECDHE and a signature, 1–2 ms of
 * CPU) before its node is known, so the pending caps alone would let one address keep the agent busy
 * by connecting in a loop, holding only a few at a time. A node redials with backoff (1 s and up), so
 * even a dozen nodes behind one NAT address stay well below it.
 */
export const MAX_HANDSHAKES_PER_SOURCE_PER_WINDOW = 120;
/**
 * Connections the direct listener holds at once, links included. The pending caps above bound the
 * connections that are not links yet; this bounds the whole listener, so even admitted peers opening
 * links in a loop cannot take the agent to its fd limit (and the control socket and web UI with it).
 * A node keeps one link per peer, so 1024 is far above any real use. Over it Node closes a new
 * connection at accept, before any TLS work.
 */
export const MAX_DIRECT_CONNECTIONS = 1024;
/** The window of MAX_HANDSHAKES_PER_SOURCE_PER_WINDOW, in ms (one minute). */
export const HANDSHAKE_RATE_WINDOW_MS = 60_000;
/** Largest preamble frame (a refusal reason), in bytes. */
const MAX_PREAMBLE = 1024;
const PREAMBLE_ACCEPT = 0x00;
/** A refusal with a u16 refusal code (core/refusal-codes.ts), then the reason. 0x01 was a refusal with only a reason (older listeners); any byte other than ACCEPT still reads as a refusal. */
const PREAMBLE_REFUSE = 0x02;

/**
 * What every TLS context of a link has: TLS 1.3 only, and no CA list. Links pin each other's certificate
 * by fingerprint, so no CA vouches for one; left unset, Node would parse every root certificate it
 * bundles into the process's first context, at each agent's start, for a store never consulted.
 */
export const tlsBase = { minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.3' as const, ca: [] as string[] };

/**
 * This node's TLS context per identity (by object), for either end of a handshake: building one parses
 * the certificate and key PEM, a large share of a dial's CPU (docs/design/hot-path-costs.md), and an
 * agent dials the same identity again on every reconnect and to every peer (and accepts splices with
 * it). A WeakMap: a replaced identity object takes its context with it.
 */
const identityContexts = new WeakMap<TlsIdentity, SecureContext>();

export function identityContext(identity: TlsIdentity): SecureContext {
  let context = identityContexts.get(identity);
  if (!context) {
    context = createSecureContext({ ...tlsBase, cert: identity.certPem, key: identity.keyPem });
    identityContexts.set(identity, context);
  }
  return context;
}

export function peerFingerprint(socket: TLSSocket): string | undefined {
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
  /** Returns why a node may not link, or undefined to accept it. */
  admit(fingerprint: string, remote: string): Refusal | undefined;
  onLink(link: Link): void;
  onRefused?(fingerprint: string, remote: string, reason: string): void;
  /** Deadline from TCP accept to an admitted link, in ms; DIRECT_DIAL_TIMEOUT_MS unless set (tests). */
  handshakeTimeoutMs?: number;
  /** Overrides MAX_PENDING_HANDSHAKES_PER_SOURCE (tests). */
  maxPendingPerSource?: number;
  /** Overrides MAX_PENDING_HANDSHAKES (tests). */
  maxPendingTotal?: number;
  /** Overrides MAX_DIRECT_CONNECTIONS (tests). */
  maxConnections?: number;
  /** Overrides MAX_HANDSHAKES_PER_SOURCE_PER_WINDOW and HANDSHAKE_RATE_WINDOW_MS (tests). */
  handshakeRate?: { perWindow: number; windowMs: number };
}

export interface DirectListener {
  readonly host: string;
  readonly port: number;
  /** Sockets open on the listener now, links and unauthenticated ones alike (tests, stats). */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/** The TCP 4-tuple: the same for the raw socket and the TLSSocket wrapping it (they share one handle). */
function connectionKey(s: Socket): string {
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}

export async function listenDirect(opts: DirectListenerOptions): Promise<DirectListener> {
  const deadlineMs = opts.handshakeTimeoutMs ?? DIRECT_DIAL_TIMEOUT_MS;
  const guard = new HandshakeGuard(
    opts.maxPendingPerSource ?? MAX_PENDING_HANDSHAKES_PER_SOURCE,
    opts.maxPendingTotal ?? MAX_PENDING_HANDSHAKES,
  );
  const rate = new AttemptLimiter(
    opts.handshakeRate?.perWindow ?? MAX_HANDSHAKES_PER_SOURCE_PER_WINDOW,
    opts.handshakeRate?.windowMs ?? HANDSHAKE_RATE_WINDOW_MS,
  );
  /** Unauthenticated connections by connectionKey; calling the value takes one off the caps and the clock. */
  const pending = new Map<string, () => void>();
  const server: Server = createServer({
    ...tlsBase,
    cert: opts.identity.certPem,
    key: opts.identity.keyPem,
    requestCert: true,
    // Pinning replaces CA validation: the admit() callback checks the fingerprint instead.
    rejectUnauthorized: false,
    // An idle timeout that Node only reports as tlsClientError (handled below); the absolute deadline
    // on the raw socket is what bounds a connection's life before it becomes a link.
    handshakeTimeout: deadlineMs,
  });
  server.maxConnections = opts.maxConnections ?? MAX_DIRECT_CONNECTIONS;
  // The raw socket, before TLS: tls.Server's own 'connection' listener has just wrapped it in a TLSSocket,
  // and destroying the raw socket destroys that too.
  server.on('connection', (raw: Socket) => {
    const source = raw.remoteAddress;
    // Over the rate or a cap (or already gone): spend nothing more on it, not even a handshake.
    if (source === undefined || rate.attempt(addressBlock(source)) > 0 || !guard.tryAdmit(source)) {
      raw.destroy();
      return;
    }
    const key = connectionKey(raw);
    // Absolute, unlike handshakeTimeout, so trickling bytes cannot stretch it. Refused nodes stay
    // counted and under this deadline too: socket.end() alone waits forever for a peer that never reads.
    const timer = setTimeout(() => raw.destroy(), deadlineMs);
    let counted = true;
    const settle = () => {
      if (!counted) return;
      counted = false;
      clearTimeout(timer);
      if (pending.get(key) === settle) pending.delete(key);
      guard.release(source);
    };
    pending.set(key, settle);
    raw.once('close', settle);
  });
  server.on('secureConnection', (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    const remote = formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    const fp = peerFingerprint(socket);
    if (!fp) {
      socket.end(
        encodeLengthPrefixed(refusal({ code: 'BAD_REQUEST', reason: 'no client certificate presented' })),
      );
      return;
    }
    const reason = opts.admit(fp, remote);
    if (reason !== undefined) {
      opts.onRefused?.(fp, remote, reason.reason);
      socket.end(encodeLengthPrefixed(refusal(reason)));
      return;
    }
    pending.get(connectionKey(socket))?.(); // a link now: off the caps and the deadline
    socket.write(encodeLengthPrefixed(Uint8Array.of(PREAMBLE_ACCEPT)));
    const link = new SocketLink(socket, fp, remote, false);
    link.laneToken = laneTokenOf(socket.servername);
    opts.onLink(link);
  });
  // A failed or timed-out handshake. Node (20) does not close the socket itself, even on handshakeTimeout:
  // without this destroy an idle or half-sent ClientHello held its fd and TLS state forever.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
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
    openConnections: () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function refusal(r: Refusal): Uint8Array {
  const head = Buffer.alloc(3);
  head[0] = PREAMBLE_REFUSE;
  head.writeUInt16BE(refusalToWire(r.code), 1);
  return Buffer.concat([head, Buffer.from(r.reason.slice(0, MAX_PREAMBLE - 3), 'utf8')]);
}

/** The dialer's error for a REFUSE preamble (coded, or text only from an older listener). */
function refusedError(remote: string, frame: Buffer | undefined): ClawError {
  const coded = frame?.[0] === PREAMBLE_REFUSE && frame.length >= 3;
  const text = frame?.subarray(coded ? 3 : 1).toString('utf8') || 'no reason given';
  const refusal = coded ? refusalFromWire(frame.readUInt16BE(1)) : 'UNSPECIFIED';
  return new ClawError('UNKNOWN_PEER', `${remote} refused the link: ${text}`, { refusal });
}

export interface DialDirectOptions {
  identity: TlsIdentity;
  /** `host:port`, `[v6]:port`. */
  address: string;
  expectedPeer: string;
  timeoutMs?: number;
  /** Dial the quiet lane this token names (lane-token.ts) rather than a link of its own. */
  lane?: string;
}

export function dialDirect(opts: DialDirectOptions): Promise<Link> {
  const { host, port } = parseHostPort(opts.address);
  const remote = formatHostPort(host, port);
  return new Promise<Link>((resolve, reject) => {
    // The dialer's socket reads into reused slabs (ADR 0039); the preamble is read from there too.
    const reader = readIntoSlabs();
    // tls.connect documents `onread` (ignored when given a socket); @types/node's options lack it.
    const options: ConnectionOptions & { onread: OnReadOptions } = {
      ...tlsBase,
      onread: reader.onread,
      host,
      port,
      secureContext: identityContext(opts.identity),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      servername: opts.lane === undefined ? undefined : laneServerName(opts.lane),
    };
    const socket = connect(options);
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
      // The socket error is the cause: what it was (ECONNREFUSED…) is read from its code, not this text.
      fail(
        new ClawError('LINK_CLOSED', `direct connection to ${remote} failed: ${err.message}`, { cause: err }),
      ),
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
      // Until the link reads, what follows waits in the reader.
      reader.setSink(undefined);
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      clearTimeout(timer);
      const [first] = frames;
      if (first?.[0] !== PREAMBLE_ACCEPT) {
        socket.destroy();
        reject(refusedError(remote, first));
        return;
      }
      // Anything after the preamble in this chunk already belongs to the link.
      const rest = frames.slice(1).map((f) => encodeLengthPrefixed(f));
      resolve(new SocketLink(socket, opts.expectedPeer, remote, true, Buffer.concat(rest), 'direct', reader));
    };
    reader.setSink(onData);
  });
}
