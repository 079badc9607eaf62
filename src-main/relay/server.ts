/**
 * The relay server (architecture.md §Relay): a dumb pipe. It authenticates nodes by a signed challenge, routes
 * circuits between node IDs and forwards opaque frames; it never reads a payload beyond the frame header
 * and keeps none. One HTTP(S) server carries the WebSocket endpoint, GET /healthz and GET /metrics.
 * Every frame a client gets wrong closes that client only, with a code from RelayCloseCode, and is counted.
 * This file is its public face: the options, their checks, and startRelayServer; the relay itself is
 * relay.ts and the parts it composes.
 */
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { ClawError } from '../core/errors.js';
import { fingerprintOfCert } from '../crypto/signature.js';
import { MAX_TOKEN_BYTES } from '../protocol/relay-frames.js';
import { resolveRelayLimits, type RelayLimits } from '../protocol/relay-limits.js';
import type { CircuitObserver } from './circuit-observer.js';
import { normalizeOrigin } from './origin.js';
import { certificateNames, normalizePublicName, originNames } from './page-names.js';
import type { RelayPage } from './page.js';
import { Relay, type RelayStats } from './relay.js';

export interface RelayServerOptions {
  /** Address to listen on, e.g. `127.0.0.1` or `0.0.0.0`. */
  host: string;
  /** Port to listen on; 0 picks a free one (read it back from `RelayServer.port`). */
  port: number;
  /** Serve wss:// with this certificate; without it the relay speaks ws:// (e.g. behind a TLS proxy). */
  tls?: { certPem: string; keyPem: string };
  /** Access token every node must present in HELLO; undefined = open relay. */
  token?: string;
  /**
   * GET /metrics answers 401 unless it carries `Authorization: Bearer <token>` (the access token above,
   * which it then requires). Off by default: /metrics serves totals only, no node IDs or addresses.
   */
  metricsTokenRequired?: boolean;
  /** Overrides of DEFAULT_RELAY_LIMITS. */
  limits?: Partial<RelayLimits>;
  /**
   * When the relay counts itself full besides limits.maxNodes (relay/capacity.ts): descriptors kept
   * below the soft open-file limit, and the RSS budget in bytes. Defaults: defaultFdReserve, and 90 %
   * of the machine's (or cgroup's) memory.
   */
  capacity?: { fdReserve?: number; memoryBudgetBytes?: number };
  /**
   * Decides, after a node proved its ID, whether this relay serves it (a node acting as relay serves
   * only itself and the peers it allowed to relay). Undefined = every authenticated node. `'guest'`
   * lets it in to reach only the nodes guestMayReach allows (a browser paired with the node acting as
   * relay reaches that node, and no other through it). `listening(id)`: whether node `id` listens on a
   * rendezvous alias here now (has a pairing code open).
   */
  authorize?: (nodeId: string, listening: (id: string) => boolean) => boolean | 'guest';
  /**
   * For a guest: whether a circuit may join it with node `other`, whichever opened it; `byAlias` when
   * the guest opened it to a rendezvous alias `other` listens on. Read at each OPEN, so a grant given
   * or taken a moment ago counts. Undefined: a guest reaches no one. A guest may not listen on aliases.
   */
  guestMayReach?: (guest: string, other: string, byAlias: boolean) => boolean;
  /** Told of each circuit the relay carries (a node acting as relay lists them); optional. */
  circuits?: CircuitObserver;
  logger?: Logger;
  /**
   * Whether LISTEN by alias (nodes from before LISTEN_TAG) is still taken. Default true, so older
   * nodes can show pairing codes through this relay; false refuses it, and then nobody can listen on
   * the ID of a node never seen here (docs/relay-protocol.md §Rendezvous).
   */
  untaggedListen?: boolean;
  /**
   * Browser pages, besides the relay's own (an Origin whose host is the request's Host), whose
   * WebSocket the relay takes: `https://host[:port]` each (relay/origin.ts, ADR 0094). An upgrade
   * without an Origin (every node's) is not affected.
   */
  allowedOrigins?: readonly string[];
  /**
   * Names the relay's page is served under, besides loopback, the listen address, the IP literal a
   * connection arrived on, the names in its TLS certificate and the hosts of allowedOrigins
   * (relay/page-names.ts, ADR 0098): a browser's request for the page, or its upgrade, whose `Host`
   * names none of them is answered 421 (DNS rebinding). A relay behind a TLS-terminating proxy that
   * keeps the Host names its public name here.
   */
  publicNames?: readonly string[];
  /** The browser-node page to serve at `/` (relay/page.ts loadRelayPage); undefined serves none. */
  page?: RelayPage;
}

export type { RelayStats } from './relay.js';

export interface RelayServer {
  /** `ws://host:port` or `wss://host:port`, with the real port. */
  readonly url: string;
  readonly port: number;
  /** SHA-256 of the TLS certificate (64 hex) when serving wss://. */
  readonly fingerprint?: string;
  readonly limits: Readonly<RelayLimits>;
  /** SHA-256 (hex) of the browser page's index as served, when it serves one (relay/page.ts). */
  readonly pageHash?: string;
  stats(): RelayStats;
  /** Prometheus text, as GET /metrics serves it. */
  metricsText(): Promise<string>;
  /** Closes every connection (1001 going away), then the listener. */
  close(): Promise<void>;
}

/** A relay access token the relay takes: 1 to MAX_TOKEN_BYTES bytes (an empty one would be no token). */
export function isRelayToken(token: string): boolean {
  return token !== '' && Buffer.byteLength(token) <= MAX_TOKEN_BYTES;
}

/**
 * Starts a relay. Resolves once listening.
 * @throws ClawError('CONFIG_INVALID') for bad limits or token; the listen error (e.g. EADDRINUSE) as is.
 */
export async function startRelayServer(opts: RelayServerOptions): Promise<RelayServer> {
  const limits = resolveRelayLimits(opts.limits);
  if (opts.token !== undefined && !isRelayToken(opts.token)) {
    throw new ClawError('CONFIG_INVALID', `relay access token must be 1 to ${MAX_TOKEN_BYTES} bytes`);
  }
  if (opts.metricsTokenRequired && opts.token === undefined) {
    throw new ClawError(
      'CONFIG_INVALID',
      'metricsTokenRequired needs a relay access token: /metrics asks for that same token',
    );
  }
  let fingerprint: string | undefined;
  if (opts.tls) {
    try {
      fingerprint = fingerprintOfCert(new X509Certificate(opts.tls.certPem).raw);
    } catch (err) {
      throw new ClawError('CONFIG_INVALID', 'relay TLS certificate is not a readable PEM certificate', {
        cause: err,
      });
    }
  }
  let allowedOrigins: Set<string>;
  let pageNames: Set<string>;
  try {
    allowedOrigins = new Set((opts.allowedOrigins ?? []).map(normalizeOrigin));
    pageNames = new Set([
      ...(opts.publicNames ?? []).map(normalizePublicName),
      ...(opts.tls ? certificateNames(new X509Certificate(opts.tls.certPem)) : []),
      ...originNames(allowedOrigins),
    ]);
  } catch (err) {
    throw new ClawError('CONFIG_INVALID', (err as Error).message);
  }
  const log = opts.logger ?? pino({ level: 'silent' });
  const relay = new Relay({
    limits,
    token: opts.token,
    tls: opts.tls,
    log,
    authorize: opts.authorize,
    metricsToken: opts.metricsTokenRequired ? opts.token : undefined,
    circuits: opts.circuits,
    capacity: opts.capacity,
    allowedOrigins,
    page: opts.page,
    pageNames,
  });
  relay.router.untaggedListen = opts.untaggedListen ?? true;
  relay.router.guestMayReach = opts.guestMayReach;
  await new Promise<void>((resolve, reject) => {
    relay.listener.once('error', reject);
    relay.listener.listen(opts.port, opts.host, () => {
      relay.listener.off('error', reject);
      resolve();
    });
  });
  relay.listener.on('error', (err) => log.error({ err }, 'relay listener error'));
  relay.http.on('error', (err) => log.error({ err }, 'relay HTTP server error'));
  relay.start();
  const port = (relay.listener.address() as AddressInfo).port;
  relay.hosts.bound = { host: opts.host, port };
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `${opts.tls ? 'wss' : 'ws'}://${host}:${port}`;
  log.info({ url, fingerprint }, 'relay listening');
  return {
    url,
    port,
    ...(fingerprint ? { fingerprint } : {}),
    ...(opts.page ? { pageHash: opts.page.hash } : {}),
    limits,
    stats: () => relay.stats(),
    metricsText: async () => (await relay.metrics.scrape()).body,
    close: () => relay.close(),
  };
}
