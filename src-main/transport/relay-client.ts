/**
 * A node's connection to one relay (architecture.md §Relay, architecture.md §Links and paths): dials out, authenticates with the node identity,
 * keeps reconnecting with backoff (1, 2, 4, 8, 16, 30 s + jitter), opens circuits to other nodes and
 * hands circuits others open to us to the 'incoming' listeners. Errors are reported as ClawErrors with
 * one user-facing line; none of them stops the reconnect loop, only stop() does.
 */
import type { KeyObject } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { backoffDelayMs } from '../core/backoff.js';
import { Emitter, type Disposer } from '../core/emitter.js';
import { ClawError, errnoOf, type ErrorCode } from '../core/errors.js';
import { abbreviateFingerprint, parseFingerprint } from '../core/fingerprint.js';
import { fingerprintOfCert, privateKeyFrom } from '../crypto/signature.js';
import { DEFAULT_RELAY_LIMITS } from '../protocol/relay-limits.js';
import { MAX_TOKEN_BYTES } from '../protocol/relay-frames.js';
import type { Circuit } from './circuit.js';
import { RelaySession } from './relay-session.js';
import type { PinHint } from './relay-tls.js';
import { probeUntilOpen } from './relay-probe.js';

export type RelayClientState = 'connecting' | 'connected' | 'disconnected';

export interface RelayClientOptions {
  /** `ws://host:port` or `wss://host:port`. */
  url: string;
  /** This node's certificate (DER) and private key (PEM or KeyObject). */
  identity: { certDer: Uint8Array; keyPem: string | KeyObject };
  /** SHA-256 of the relay's TLS certificate, any formatting; required for a self-signed wss:// relay. */
  pinnedFingerprint?: string;
  /** CA certificate(s), PEM, that an unpinned wss:// relay must chain to, instead of the system CAs. */
  caPem?: string;
  /**
   * What to tell the user to do about a certificate that does not match (or is unpinned): how this
   * relay came to be pinned decides. Default: the agent flag that pins a saved relay.
   */
  pinHint?: (url: string, got: string) => PinHint;
  /** The relay's access token, when it has one. */
  token?: string;
  logger?: Logger;
  /** Delay before reconnect attempt `n` (0-based), in ms; defaults to core/backoff.ts. Tests shorten it. */
  retryDelayMs?: (attempt: number) => number;
  /** Interval between heartbeat pings, in ms; the link is declared dead after 2 missed pongs. */
  pingIntervalMs?: number;
  /** Interval between pings while no circuit is open, in ms (ADR 0061); 4 × pingIntervalMs unless set. */
  idlePingIntervalMs?: number;
  /** Interval between TCP probes while the relay is down (RELAY_PROBE_INTERVAL_MS unless set). */
  probeIntervalMs?: number;
  /** Local address to dial from (e.g. one of 127.0.0.0/8 in bench/relay-scale.ts); the system's choice unless set. */
  localAddress?: string;
}

/**
 * Where a relay sees this node's connection come from (its public address and port when the node is
 * behind a NAT), beside the local end of that connection: a candidate for direct links across NATs,
 * learned as from a STUN server. Only from relays that tell it (RELAY_FEATURE_OBSERVED_ADDRESS).
 */
export interface RelayObservation {
  relay: string;
  /** Address and port the relay sees. */
  address: string;
  port: number;
  /** This connection's own end, when known: the port a NAT kept or changed. */
  local: { address: string; port: number } | undefined;
  /** When it was learned (ms since the epoch). */
  at: number;
}

/**
 * `opened`: a circuit this node opened (`incoming` are the others'); together they say what the relay
 * carries. `observed`: what the relay saw at the last authentication (undefined once disconnected).
 */
type Events = {
  state: [RelayClientState];
  incoming: [Circuit];
  opened: [Circuit];
  error: [ClawError];
  observed: [RelayObservation | undefined];
};

/** Default time openCircuit waits for the relay to connect and accept, in ms. */
export const OPEN_CIRCUIT_TIMEOUT_MS = 10_000;
/** Connection failures only the user can fix (pin the certificate, give the token). */
const NEEDS_THE_USER: readonly ErrorCode[] = [
  'RELAY_UNPINNED',
  'RELAY_FINGERPRINT_MISMATCH',
  'RELAY_AUTH_FAILED',
];

/**
 * Failures that come from the relay itself, up and answering, refusing this node (a limit, the token,
 * its certificate): it is not down, and what its refusal says is what to fix.
 */
const RELAY_REFUSALS: readonly ErrorCode[] = [
  'RELAY_LIMIT',
  'RELAY_AUTH_FAILED',
  'RELAY_UNPINNED',
  'RELAY_FINGERPRINT_MISMATCH',
];

/**
 * While the relay cannot be connected to at all (refused, unreachable), a bare TCP connect tries it this
 * often, in ms, between the backoff's full attempts: a relay that restarts is used again within about
 * this long of its return, however far the backoff has grown. A probe costs one TCP handshake, and
 * clients' probes fall at random points of the interval, so a relay's return is not met all at once.
 */
export const RELAY_PROBE_INTERVAL_MS = 500;
/** Socket errors that say nothing accepts connections at the relay's address: worth probing for. */
const DOWN_ERRNOS: readonly string[] = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'];

/** Attempt number used after REPLACED, so two processes sharing one identity do not evict each other every second. */
const REPLACED_BACKOFF_ATTEMPT = 5;

export class RelayClient {
  readonly url: string;
  /** This node's ID as the relay will see it. */
  readonly nodeId: string;
  /** The last error's one-line message, cleared once connected; for status displays. */
  lastError: string | undefined;
  private currentState: RelayClientState = 'disconnected';
  private readonly events = new Emitter<Events>();
  private readonly key: KeyObject;
  /**
   * The relay's certificate pin (64 lowercase hex), when it has one: the relay's identity, whatever
   * URL reaches it (relay-set.ts keeps one connection per pinned relay).
   */
  readonly pinned: string | undefined;
  private readonly log: Logger;
  private session: RelaySession | undefined;
  private running = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Rendezvous aliases to listen on; sent again after every reconnect. */
  private readonly aliases = new Set<string>();
  /** Pairing code tags to listen on (listenTag); sent again after every reconnect. */
  private readonly tags = new Set<string>();
  /** Callers of openCircuit waiting for 'connected' (or for stop). */
  private readonly waiters = new Set<(ready: boolean) => void>();
  /** Why the last connection failed, when retrying cannot fix it (a certificate or a token). */
  private needsTheUser: ErrorCode | undefined;
  /** Since when the relay is down (ms since the epoch): set by the first failure, cleared when connected. */
  downSince: number | undefined;
  /**
   * While the relay is up but refuses this node (its last connection ended with one of RELAY_REFUSALS):
   * the refusal's one line, which says what to fix; undefined once connected, or when a later attempt
   * could not reach it at all.
   */
  refusal: string | undefined;
  /** When it last came back after being down (ms since the epoch); cleared when it goes down again. */
  backAt: number | undefined;
  /** How long the relay was down before its last return, in ms; undefined until it was up, down and up. */
  lastOutageMs: number | undefined;
  /** Connected once at least: a later connection is the relay coming back. */
  private wasConnected = false;
  /** Ends the probes of the current wait (relay-probe.ts); undefined when not probing. */
  private stopProbing: (() => void) | undefined;
  /** What the relay sees of the current connection; undefined while not connected or not told. */
  observed: RelayObservation | undefined;

  constructor(private readonly opts: RelayClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(opts.url);
    } catch {
      throw new ClawError(
        'BAD_ARGUMENT',
        `relay URL '${opts.url}' is not a URL; use ws://host:port or wss://host:port`,
      );
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new ClawError('BAD_ARGUMENT', `relay URL must start with ws:// or wss://, got '${opts.url}'`);
    }
    if (opts.token !== undefined && Buffer.byteLength(opts.token) > MAX_TOKEN_BYTES) {
      throw new ClawError('BAD_ARGUMENT', `relay access token must be at most ${MAX_TOKEN_BYTES} bytes`);
    }
    this.url = opts.url;
    this.pinned = opts.pinnedFingerprint ? parseFingerprint(opts.pinnedFingerprint) : undefined;
    this.key = privateKeyFrom(opts.identity.keyPem);
    this.nodeId = fingerprintOfCert(opts.identity.certDer);
    this.log = opts.logger ?? pino({ level: 'silent' });
  }

  get state(): RelayClientState {
    return this.currentState;
  }

  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): Disposer {
    return this.events.on(event, listener);
  }

  /** Connects, and keeps reconnecting until stop(). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.connect();
  }

  /** Closes the connection and every circuit on it, and stops reconnecting. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stopProbing?.();
    this.stopProbing = undefined;
    const session = this.session;
    this.session = undefined;
    session?.close();
    this.observed = undefined;
    this.setState('disconnected');
    for (const wake of [...this.waiters]) wake(false);
  }

  /**
   * Opens a circuit to `targetNodeId` (any fingerprint formatting). Waits for the relay connection when
   * it is still coming up; resolves once the relay accepted the circuit (the peer is connected there).
   * @throws ClawError('PEER_OFFLINE') when the peer is not connected to this relay, 'RELAY_UNREACHABLE'
   *   when the relay cannot be reached in time, 'RELAY_LIMIT', 'TIMEOUT', 'BAD_FINGERPRINT'.
   */
  async openCircuit(targetNodeId: string, timeoutMs = OPEN_CIRCUIT_TIMEOUT_MS): Promise<Circuit> {
    const target = parseFingerprint(targetNodeId);
    const deadline = Date.now() + timeoutMs;
    const session = await this.connectedSession(target, timeoutMs);
    const circuit = await session.open(target, Math.max(1, deadline - Date.now()));
    this.events.emit('opened', circuit);
    return circuit;
  }

  /**
   * Receives circuits opened to `alias` (64 hex, a pairing code's rendezvous alias) until unlistened,
   * across reconnects. The relay tells nobody who listens; a joiner only reaches us by knowing the alias.
   */
  listenAlias(alias: string): void {
    this.aliases.add(alias);
    this.session?.listen(alias, true);
  }

  unlistenAlias(alias: string): void {
    if (!this.aliases.delete(alias)) return;
    this.session?.listen(alias, false);
  }

  /**
   * Receives circuits opened to a pairing code's rendezvous alias, by its tag: a relay that takes
   * LISTEN_TAG derives the alias itself (docs/relay-protocol.md §Rendezvous); across reconnects.
   */
  listenTag(tag: string): void {
    this.tags.add(tag);
    this.session?.listenTag(tag, true);
  }

  unlistenTag(tag: string): void {
    if (!this.tags.delete(tag)) return;
    this.session?.listenTag(tag, false);
  }

  /**
   * Resolves true once the relay has handled every listen sent so far (after connecting, when it is
   * not connected yet), false when that takes longer than `timeoutMs` or the client cannot connect.
   * What was asked for is not withdrawn either way: it is sent again after every reconnect.
   */
  async listensHeld(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    if (!this.running || !(await this.connected(timeoutMs)) || !this.session) return false;
    const session = this.session;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([session.settled(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async connectedSession(target: string, timeoutMs: number): Promise<RelaySession> {
    if (!this.running) {
      throw new ClawError(
        'RELAY_UNREACHABLE',
        `relay client for ${this.url} is stopped; start it before opening circuits`,
      );
    }
    const ready = await this.connected(timeoutMs);
    if (!this.running) {
      throw new ClawError(
        'RELAY_UNREACHABLE',
        `relay client for ${this.url} was stopped while opening a circuit`,
      );
    }
    if (!ready || !this.session) {
      const why = this.lastError ?? `not connected within ${timeoutMs} ms`;
      // Its own code when the user must act (RELAY_FINGERPRINT_MISMATCH…): callers word that case.
      throw new ClawError(
        this.needsTheUser ?? 'RELAY_UNREACHABLE',
        `cannot reach peer ${abbreviateFingerprint(target)} through relay ${this.url}: ${why}`,
      );
    }
    return this.session;
  }

  /**
   * Whether a session is up, waiting up to `timeoutMs` for one. A relay whose certificate or token the
   * user must fix first answers at once: waiting is for a relay that may come up.
   */
  private async connected(timeoutMs: number): Promise<boolean> {
    if (this.currentState === 'connected' && this.session) return true;
    if (this.needsTheUser !== undefined) return false;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => wake(false), timeoutMs);
      const wake = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(ok);
      };
      this.waiters.add(wake);
    });
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.setState('connecting');
    this.log.debug({ url: this.url, attempt: this.attempt }, 'connecting to relay');
    const session: RelaySession = new RelaySession(
      {
        url: this.url,
        certDer: this.opts.identity.certDer,
        key: this.key,
        nodeId: this.nodeId,
        pinned: this.pinned,
        pinHint: this.opts.pinHint,
        caPem: this.opts.caPem,
        token: this.opts.token ?? '',
        pingIntervalMs: this.opts.pingIntervalMs ?? DEFAULT_RELAY_LIMITS.pingIntervalMs,
        ...(this.opts.idlePingIntervalMs ? { idlePingIntervalMs: this.opts.idlePingIntervalMs } : {}),
        ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
        log: this.log,
      },
      {
        authenticated: (seen) => {
          this.observed = seen && {
            relay: this.url,
            address: seen.observed.address,
            port: seen.observed.port,
            local: seen.local,
            at: Date.now(),
          };
          this.events.emit('observed', this.observed);
          for (const alias of this.aliases) session.listen(alias, true);
          for (const tag of this.tags) session.listenTag(tag, true);
          this.attempt = 0;
          this.lastError = undefined;
          this.refusal = undefined;
          const now = Date.now();
          const down = this.downSince;
          this.lastOutageMs = this.wasConnected && down !== undefined ? now - down : undefined;
          this.wasConnected = true;
          this.backAt = down === undefined ? undefined : now;
          this.downSince = undefined;
          this.setState('connected');
          for (const wake of [...this.waiters]) wake(true);
        },
        incoming: (circuit) => this.events.emit('incoming', circuit),
        ended: (error) => {
          if (this.session !== session) return;
          this.session = undefined;
          this.onSessionEnded(error);
        },
      },
    );
    this.session = session;
  }

  private onSessionEnded(error: ClawError | undefined): void {
    // The next connection may leave through another NAT mapping (or another network).
    if (this.observed) {
      this.observed = undefined;
      this.events.emit('observed', undefined);
    }
    if (!this.running) return;
    this.needsTheUser = error && NEEDS_THE_USER.includes(error.code) ? error.code : undefined;
    if (this.needsTheUser) for (const wake of [...this.waiters]) wake(false);
    this.refusal = error && RELAY_REFUSALS.includes(error.code) ? error.message : undefined;
    if (error) {
      this.lastError = error.message;
      this.log.debug({ url: this.url, code: error.code }, error.message);
      if (error.code === 'RELAY_REPLACED') this.attempt = Math.max(this.attempt, REPLACED_BACKOFF_ATTEMPT);
    }
    this.downSince ??= Date.now();
    this.backAt = undefined;
    this.setState('disconnected');
    const delay = (this.opts.retryDelayMs ?? backoffDelayMs)(this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.retryNow(), delay);
    // Nothing accepted the connection: probe for the relay's return meanwhile, and connect once it is
    // back rather than when the backoff ends. Only then: a relay that accepts TCP and then fails (a
    // proxy, a wrong URL) would otherwise be dialed at every probe.
    if (error && DOWN_ERRNOS.includes(errnoOf(error) ?? '')) {
      this.stopProbing = probeUntilOpen(this.url, this.opts.probeIntervalMs ?? RELAY_PROBE_INTERVAL_MS, () =>
        this.retryNow(),
      );
    }
    // Emitted last: a listener may call stop(), which must find the retry timer to cancel.
    if (error) this.events.emit('error', error);
  }

  /** Ends the wait (its timer and probes) and connects. */
  private retryNow(): void {
    clearTimeout(this.retryTimer);
    this.stopProbing?.();
    this.stopProbing = undefined;
    if (this.running) this.connect();
  }

  private setState(state: RelayClientState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.events.emit('state', state);
  }
}
