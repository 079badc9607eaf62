/**
 * The relays this node uses (architecture.md §Relay): the saved ones, its own relay's (not saved), and
 * those reached on demand to meet a peer at its home relay. Saved relays are node state, written only by
 * node-state.ts; this part follows the store's `relay` changes as Syncthing's services follow
 * `cfg.Subscribe` (a relay saved is connected, a removed one closed, one whose pin or token changed
 * reconnected), so nobody writes the store and the clients twice. It keeps the clients running and says
 * when one connects or brings a circuit.
 */
import type { Logger } from 'pino';
import { errorMessage, hintOf } from '../core/errors.js';
import { Emitter } from '../core/emitter.js';
import type { Identity } from '../crypto/identity.js';
import type { Circuit } from '../transport/circuit.js';
import type { RelayClient } from '../transport/relay-client.js';
import type { NodeStateReader } from '../state/node-state.js';
import type { Notifier } from '../state/notices.js';
import { RelaySet, relayIdleMsFrom } from './relay-set.js';
import type { RelaySetting } from '../state/settings.js';
import type { StateChange } from '../state/state-changes.js';

export interface RelaysDeps {
  identity: Identity;
  log: Logger;
  /** Read for the saved relays, and followed: this part never writes it. */
  state: Pick<NodeStateReader, 'get' | 'subscribe'>;
  notices: Notifier;
  /**
   * How long a relay used only on demand (a peer's home relay) may carry nothing before it is dropped,
   * in ms; default: the CLAWBRIDGE_RELAY_IDLE_MS environment variable, else ON_DEMAND_RELAY_IDLE_MS.
   */
  idleMs?: number;
}

/** The notice when a relay that was down is connected again: `relay wss://r.example back after 20.3 s`. */
export function relayBackLine(url: string, outageMs: number): string {
  return `relay ${url} back after ${(Math.round(outageMs / 100) / 10).toFixed(1)} s`;
}

export class Relays {
  /** `connected`: a relay is (back) up, so links over it can be dialed now; `incoming`: a circuit. */
  readonly events = new Emitter<{ connected: [string]; removed: [string]; incoming: [Circuit] }>();
  private readonly set: RelaySet;
  /** This node's own relay while it runs (own-relay.ts): joined, never saved. */
  private internal: { url: string; fingerprint: string } | undefined;
  private unfollow: (() => void) | undefined;

  constructor(private readonly deps: RelaysDeps) {
    this.set = new RelaySet(
      {
        identity: deps.identity,
        log: deps.log,
        onState: (url, state) => {
          deps.log.info({ relay: url, state }, 'relay state');
          if (state === 'connected') {
            // Said as a notice, like the outage was: whoever saw "unreachable" learns it is over.
            const outageMs = this.set.client(url)?.lastOutageMs;
            if (outageMs !== undefined && !this.set.isOnDemand(url)) {
              deps.notices.notice({ kind: 'relay', message: relayBackLine(url, outageMs) }, { relay: url });
            }
            this.events.emit('connected', url);
          }
          deps.notices.changed();
        },
        onError: (url, err) => {
          // Warnings name only relays the user added: a peer's home relay, used on demand, is the
          // peer's business, and what it does to reaching that peer is in the peer's state.
          if (this.set.isOnDemand(url)) deps.log.info({ relay: url, onDemand: true }, err.message);
          else
            deps.notices.notice({ kind: 'relay', message: err.message, hint: hintOf(err) }, { relay: url });
          deps.notices.changed();
        },
        onIncoming: (circuit) => this.events.emit('incoming', circuit),
      },
      { idleMs: deps.idleMs ?? relayIdleMsFrom(process.env) },
    );
  }

  /**
   * Starts a client for every saved relay, and follows the store's relay changes from now on (until
   * stop).
   */
  start(): void {
    this.unfollow?.();
    this.unfollow = this.deps.state.subscribe((change) => {
      if (change.kind === 'relay') this.follow(change);
    });
    this.join();
  }

  stop(): void {
    this.unfollow?.();
    this.unfollow = undefined;
    this.set.stopAll();
  }

  clients(): RelayClient[] {
    return this.set.list();
  }

  /** The relays saved in settings, first = the one invites and hellos name. */
  saved(): readonly RelaySetting[] {
    return this.deps.state.get().relays;
  }

  /** Joins this node's own relay (not saved: it exists only while this agent runs). */
  useInternal(url: string, fingerprint: string): void {
    this.internal = { url, fingerprint };
    this.set.add(url, fingerprint);
  }

  /** Starts what should run and does not: the saved relays and the own one (running ones are kept). */
  private join(): void {
    for (const relay of this.saved()) this.set.add(relay.url, relay.fingerprint, relay.token);
    if (this.internal) this.set.add(this.internal.url, this.internal.fingerprint);
  }

  /**
   * One saved relay added, removed or changed (its pin, its token, the spelling of its URL). Called
   * inside the store's write: a failure is told as a notice, never thrown back at the writer.
   */
  private follow(change: Extract<StateChange, { kind: 'relay' }>): void {
    const { before, after } = change;
    try {
      // Changed: the client restarts with what is saved now (a new pin or token is a new connection).
      if (before) this.set.remove(before.url);
      if (after) this.set.add(after.url, after.fingerprint, after.token);
      else {
        // A relay saved under two URLs ran under one of them (relay-set.ts): the other takes over.
        this.join();
        this.events.emit('removed', before!.url);
      }
    } catch (err) {
      const url = (after ?? before)!.url;
      this.deps.log.warn({ relay: url }, `cannot follow the saved relays: ${errorMessage(err)}`);
      this.deps.notices.notice(
        { kind: 'relay', message: `relay ${url}: ${errorMessage(err)}`, hint: hintOf(err) },
        { relay: url },
      );
    }
    this.deps.notices.changed();
  }

  /**
   * A relay this node is not on, reached on demand and dropped when idle (docs/relay-protocol.md §Home
   * relays).
   */
  acquire(url: string, fingerprint?: string, token?: string): RelayClient {
    return this.set.acquire(url, fingerprint, token);
  }

  /** True when this node uses `url` only on demand (to reach a peer's home relay), not as a saved relay. */
  isOnDemand(url: string): boolean {
    return this.set.isOnDemand(url);
  }

  /** Keeps the relay `url` while a link spliced through it runs; returns the release. */
  hold(url: string): () => void {
    return this.set.hold(url);
  }

  /** The set the path dialers open circuits through. */
  get dialer(): RelaySet {
    return this.set;
  }
}
