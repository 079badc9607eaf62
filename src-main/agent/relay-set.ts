/**
 * The relays this node uses (architecture.md §Relay): one RelayClient per URL, started, stopped, added and removed
 * while the agent runs. It owns the clients; the settings store owns what is saved, and the agent
 * decides what a relay's events mean (retry peers, accept circuits, tell the user).
 */
import type { Logger } from 'pino';
import type { Identity } from '../crypto/identity.js';
import type { Circuit } from '../transport/circuit.js';
import { RelayClient, type RelayClientState } from '../transport/relay-client.js';
import type { ClawError } from '../core/errors.js';

/** What the relay set needs from the agent (architecture.md §Rules the code keeps). */
export interface RelaySetHost {
  readonly identity: Identity;
  readonly log: Logger;
  onState(url: string, state: RelayClientState): void;
  onError(url: string, err: ClawError): void;
  onIncoming(circuit: Circuit): void;
}

export class RelaySet {
  private readonly clients = new Map<string, RelayClient>();

  constructor(private readonly host: RelaySetHost) {}

  has(url: string): boolean {
    return this.clients.has(url);
  }

  list(): RelayClient[] {
    return [...this.clients.values()];
  }

  /** Starts a client for `url` (nothing happens when there is one already). */
  add(url: string, pinnedFingerprint?: string, token?: string): void {
    if (this.clients.has(url)) return;
    const client = new RelayClient({
      url,
      identity: this.host.identity,
      ...(pinnedFingerprint ? { pinnedFingerprint } : {}),
      ...(token ? { token } : {}),
      logger: this.host.log.child({ relay: url }),
    });
    client.on('state', (state) => this.host.onState(url, state));
    client.on('error', (err) => this.host.onError(url, err));
    client.on('incoming', (circuit) => this.host.onIncoming(circuit));
    this.clients.set(url, client);
    client.start();
  }

  /** Stops and forgets the client for `url`; false when there was none. */
  remove(url: string): boolean {
    const client = this.clients.get(url);
    if (!client) return false;
    this.clients.delete(url);
    client.stop();
    return true;
  }

  stopAll(): void {
    for (const c of this.clients.values()) c.stop();
  }
}
