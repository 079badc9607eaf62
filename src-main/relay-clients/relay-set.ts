/**
 * The relays this node uses (architecture.md §Relay): one RelayClient per URL, started, stopped, added and removed
 * while the agent runs. It owns the clients; the settings store owns what is saved, and the agent
 * decides what a relay's events mean (retry peers, accept circuits, tell the user).
 *
 * Two kinds of member (docs/relay-protocol.md §Home relays): **saved** relays, kept until removed, and
 * **on-demand** relays, a peer's home relay this node dialed only to reach that peer. An on-demand relay
 * is kept while circuits, or links spliced through it, run through it, and stopped once it has carried
 * none for `idleMs`, so reaching a peer on another relay costs a connection only while it is used, and
 * no relay needs to know about any other.
 *
 * A relay is known by its URL and, when pinned, by its certificate: one relay reached under two URLs
 * (`wss://127.0.0.1:7600` here, `wss://127.0.0.2:7600` in a peer's hello) is one member. Two connections
 * with this node's identity to one relay would each replace the other there (REPLACED), and the node
 * would flap and tell its user it runs twice.
 */
import type { Logger } from 'pino';
import type { Identity } from '../crypto/identity.js';
import type { Circuit } from '../transport/circuit.js';
import { RelayClient, type RelayClientState } from '../transport/relay-client.js';
import { peerRelayPinHint } from '../transport/relay-tls.js';
import { ClawError } from '../core/errors.js';
import { parseFingerprint } from '../core/fingerprint.js';
import { relayUrlKey } from '../core/relay-url.js';

/**
 * How long an on-demand relay may carry no circuit before it is dropped, in ms. Long enough to outlive
 * the gap between a link dying and its retrier dialing again (backoff reaches 30 s), so a short outage
 * does not cost a reconnect to the relay; short enough that a peer reached once does not pin a
 * connection for good.
 */
export const ON_DEMAND_RELAY_IDLE_MS = 60_000;
/** Bounds of the idle time (and of CLAWBRIDGE_RELAY_IDLE_MS): 100 ms for tests, up to one day. */
export const ON_DEMAND_RELAY_IDLE_MIN_MS = 100;
export const ON_DEMAND_RELAY_IDLE_MAX_MS = 24 * 60 * 60 * 1000;
/** The environment variable that overrides ON_DEMAND_RELAY_IDLE_MS (tests shorten it). */
export const RELAY_IDLE_ENV = 'CLAWBRIDGE_RELAY_IDLE_MS';

/** What the relay set needs from the agent (architecture.md §Rules the code keeps). */
export interface RelaySetDeps {
  readonly identity: Identity;
  readonly log: Logger;
  onState(url: string, state: RelayClientState): void;
  onError(url: string, err: ClawError): void;
  onIncoming(circuit: Circuit): void;
}

export interface RelaySetOptions {
  /** How long an on-demand relay may carry nothing before it is stopped, in ms. */
  idleMs?: number;
  /** Delay before reconnect attempt n, in ms (RelayClient's default when absent; tests shorten it). */
  retryDelayMs?: (attempt: number) => number;
}

interface Member {
  client: RelayClient;
  pinned: string | undefined;
  token: string | undefined;
  onDemand: boolean;
  /** Circuits open through this relay now, both ways, and links spliced through it. */
  uses: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * The idle time from the environment, or the default.
 * @throws ClawError('BAD_ARGUMENT') when the variable is set but not a whole number of ms within bounds.
 */
export function relayIdleMsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env[RELAY_IDLE_ENV];
  if (raw === undefined || raw === '') return ON_DEMAND_RELAY_IDLE_MS;
  const ms = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= ON_DEMAND_RELAY_IDLE_MIN_MS && ms <= ON_DEMAND_RELAY_IDLE_MAX_MS)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${RELAY_IDLE_ENV} must be a whole number of milliseconds from ${ON_DEMAND_RELAY_IDLE_MIN_MS} to ${ON_DEMAND_RELAY_IDLE_MAX_MS}, got '${raw}'`,
    );
  }
  return ms;
}

/** `pinned` as 64 lowercase hex, or undefined when absent or not a fingerprint. */
function canonicalPin(pinned: string | undefined): string | undefined {
  if (!pinned) return undefined;
  try {
    return parseFingerprint(pinned);
  } catch {
    return undefined;
  }
}

export class RelaySet {
  /** By relayUrlKey: `ws://h:7474` and `ws://h:7474/` are one relay, so one connection (and one token). */
  private readonly members = new Map<string, Member>();
  private readonly idleMs: number;

  constructor(
    private readonly deps: RelaySetDeps,
    private readonly opts: RelaySetOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? ON_DEMAND_RELAY_IDLE_MS;
  }

  has(url: string): boolean {
    return this.member(url) !== undefined;
  }

  private member(url: string): Member | undefined {
    return this.members.get(relayUrlKey(url));
  }

  /**
   * The member pinned to `pinned` (any formatting) under a URL other than `url`: the same relay, reached
   * by another address. Only a pin says so: a CA-signed certificate may be shared by several relays.
   */
  private samePin(url: string, pinned: string | undefined): Member | undefined {
    const pin = canonicalPin(pinned);
    if (pin === undefined) return undefined;
    const key = relayUrlKey(url);
    for (const [k, m] of this.members) if (k !== key && m.client.pinned === pin) return m;
    return undefined;
  }

  /** The client for `url`, if this node uses that relay. */
  client(url: string): RelayClient | undefined {
    return this.member(url)?.client;
  }

  list(): RelayClient[] {
    return [...this.members.values()].map((m) => m.client);
  }

  /** True when `url` is used only on demand (it is dropped when idle). */
  isOnDemand(url: string): boolean {
    return this.member(url)?.onDemand === true;
  }

  /**
   * Starts a saved client for `url`. An on-demand client for it becomes saved (restarted when the
   * pin or token differ); a saved one is left as it is. An on-demand client pinned to the same
   * certificate under another URL is stopped for it; a saved one is kept instead of it.
   */
  add(url: string, pinnedFingerprint?: string, token?: string): void {
    const existing = this.member(url);
    if (existing && !existing.onDemand) return;
    const twin = existing ? undefined : this.samePin(url, pinnedFingerprint);
    if (twin && !twin.onDemand) {
      this.deps.log.info(
        { relay: url, same: twin.client.url },
        'relay is saved under another URL too (same certificate pin): one connection, through that one',
      );
      return;
    }
    // A peer's URL for this relay gives way to the one the user saved.
    if (twin) this.remove(twin.client.url);
    if (existing && existing.pinned === pinnedFingerprint && existing.token === token) {
      existing.onDemand = false;
      clearTimeout(existing.idleTimer);
      existing.idleTimer = undefined;
      return;
    }
    if (existing) this.remove(url);
    this.start(url, pinnedFingerprint, token, false);
  }

  /**
   * The client for `url`, starting an on-demand one when this node does not use that relay yet. The
   * pin applies to a new client, and to an on-demand one that is not connected (its pin was missing or
   * wrong): a relay this node already uses keeps its own. A relay this node uses under another URL,
   * pinned to the same certificate, is that relay: its client is returned. Acquiring an idle
   * on-demand relay restarts its idle time, since a circuit is about to be opened through it.
   */
  acquire(url: string, pinnedFingerprint?: string, token?: string): RelayClient {
    const existing = this.member(url);
    const twin = existing ? undefined : this.samePin(url, pinnedFingerprint);
    if (twin) {
      // The relay this node is on already, under the URL it uses (saved, or the first peer's).
      if (twin.onDemand && twin.uses === 0) this.armIdle(twin);
      return twin.client;
    }
    if (existing && existing.onDemand && this.outdated(existing, pinnedFingerprint, token)) {
      // Not connected with what it was started with (no pin, a wrong one from a bad invite) and asked
      // for with something else (the pin the user just saved): start over with that.
      this.deps.log.info({ relay: url }, 'restarting on-demand relay with a new pin or token');
      this.remove(url);
    } else if (existing) {
      if (existing.onDemand && existing.uses === 0) this.armIdle(existing);
      return existing.client;
    }
    const member = this.start(url, pinnedFingerprint, token, true);
    this.deps.log.info({ relay: url }, 'using relay on demand');
    return member.client;
  }

  /** True when `member` is not connected and the caller brings a pin or token it was not started with. */
  private outdated(member: Member, pinned: string | undefined, token: string | undefined): boolean {
    if (member.client.state === 'connected' || member.uses > 0) return false;
    return (
      (pinned !== undefined && pinned !== member.pinned) || (token !== undefined && token !== member.token)
    );
  }

  /** Stops and forgets the client for `url`; false when there was none. */
  remove(url: string): boolean {
    const member = this.member(url);
    if (!member) return false;
    this.members.delete(relayUrlKey(url));
    clearTimeout(member.idleTimer);
    member.client.stop();
    return true;
  }

  stopAll(): void {
    for (const m of this.members.values()) {
      clearTimeout(m.idleTimer);
      m.client.stop();
    }
  }

  private start(url: string, pinned: string | undefined, token: string | undefined, onDemand: boolean) {
    const client = new RelayClient({
      url,
      identity: this.deps.identity,
      ...(pinned ? { pinnedFingerprint: pinned } : {}),
      ...(token ? { token } : {}),
      // A flag cannot pin a relay this node does not save: say what can.
      ...(onDemand ? { pinHint: peerRelayPinHint } : {}),
      ...(this.opts.retryDelayMs ? { retryDelayMs: this.opts.retryDelayMs } : {}),
      logger: this.deps.log.child({ relay: url }),
    });
    const member: Member = { client, pinned, token, onDemand, uses: 0, idleTimer: undefined };
    client.on('state', (state) => this.deps.onState(url, state));
    client.on('error', (err) => this.deps.onError(url, err));
    client.on('incoming', (circuit) => {
      this.track(member, circuit);
      this.deps.onIncoming(circuit);
    });
    client.on('opened', (circuit) => this.track(member, circuit));
    this.members.set(relayUrlKey(url), member);
    client.start();
    if (onDemand) this.armIdle(member);
    return member;
  }

  /**
   * Keeps `url` while a link that moved off its circuit onto a splice through it runs (its circuit is
   * closed then, but the link still goes through this relay); the returned function lets go.
   */
  hold(url: string): () => void {
    const member = this.member(url);
    return member ? this.use(member) : () => undefined;
  }

  /** Counts a circuit while it is open; the last one closing starts an on-demand relay's idle time. */
  private track(member: Member, circuit: Circuit): void {
    if (circuit.closed) return; // its close event has fired already: nothing to count
    circuit.onClose(this.use(member));
  }

  /** Counts one use of `member` (a circuit or a splice) until the returned function is called. */
  private use(member: Member): () => void {
    member.uses += 1;
    clearTimeout(member.idleTimer);
    member.idleTimer = undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      member.uses -= 1;
      if (member.uses === 0 && member.onDemand) this.armIdle(member);
    };
  }

  private armIdle(member: Member): void {
    clearTimeout(member.idleTimer);
    member.idleTimer = setTimeout(() => {
      member.idleTimer = undefined;
      // Still ours, still on demand and still carrying nothing: a saved relay is never dropped.
      if (this.member(member.client.url) !== member || !member.onDemand || member.uses > 0) return;
      this.deps.log.info({ relay: member.client.url }, `dropping on-demand relay: idle ${this.idleMs} ms`);
      this.remove(member.client.url);
    }, this.idleMs);
    member.idleTimer.unref();
  }
}
