/**
 * The node's forwards, proxies and shares as one front (architecture.md §Forwards): saved in the node
 * state as `forwards`, started with the agent, stopped with it. Forwards and proxies share one namespace
 * and one set of commands; each goes to what runs it by its direction: local listeners to
 * local-forwards.ts, reverse forwards (and shares, which are reverse forwards) to reverse-forwards.ts.
 * Listing is forward-listing.ts's; a local run's connections are run-serving.ts's, its UDP flows
 * udp-run-context.ts's.
 */
import type { Logger } from 'pino';
import type { SavedForwards } from './saved-forwards.js';
import type { Notifier } from '../state/notices.js';
import type { PeerDirectory } from '../links/ports.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { ForwardInfo, PeerListenerInfo, ProxyInfo } from './forwards-contract.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import { Emitter } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import type { Dialer } from './dialer.js';
import { ForwardListing } from './forward-listing.js';
import { LocalForwards, type ForwardRecordInput, type ToggleView } from './local-forwards.js';
import { realTimers, type RetryTimers } from './retry-schedule.js';
import type { ReverseForwards } from './reverse-forwards.js';
import { RunServing } from './run-serving.js';
import { udpRunContext } from './udp-run-context.js';

export type { ForwardRecordInput, ToggleView } from './local-forwards.js';

/**
 * What the forward manager uses (architecture.md §Rules the code keeps): the saved forwards (its
 * domain's section of the settings), a log, a notifier, and the peers (a forward is bound to its exit peer's
 * fingerprint).
 */
export interface ForwardManagerDeps {
  readonly log: Logger;
  readonly notices: Notifier;
  /** The saved forwards and proxies: the forwards domain's section of the settings (saved-forwards.ts). */
  readonly saved: SavedForwards;
  readonly links: Pick<PeerDirectory, 'peerEntries'>;
  /**
   * Where each open connection is listed, and ended when its peer is removed here
   * (services/opened-connections.ts); absent: not listed.
   */
  readonly connections?: ConnectionsOpened | undefined;
}

export class ForwardManager {
  /**
   * `moved`: a connection opened or closed, so counters changed without anything else changing (not
   * an agent `changed`: that would be one CLI event per proxied connection). Drives the status event.
   */
  readonly activity = new Emitter<{ moved: [] }>();
  private readonly local: LocalForwards;
  private readonly listing: ForwardListing;
  private stopped = false;

  constructor(
    private readonly deps: ForwardManagerDeps,
    dialer: Dialer,
    timers: RetryTimers = realTimers,
    /** Reverse forwards (`direction: 'reverse'`) run there; they share names, listing and switches. */
    private readonly reverse?: ReverseForwards,
    /** The ports this node listens on for its peers' reverse forwards (reverse-listen-service.ts). */
    private readonly peerListeners: () => PeerListenerInfo[] = () => [],
  ) {
    const moved = () => this.activity.emit('moved');
    const serving = new RunServing({ ...deps, dialer, moved });
    this.local = new LocalForwards({
      log: deps.log,
      notices: deps.notices,
      saved: deps.saved,
      serving,
      timers,
      udpContext: (run, input) => udpRunContext(run, input, { ...deps, serving, moved }),
    });
    this.listing = new ForwardListing({ local: this.local, reverse, saved: deps.saved, links: deps.links });
    reverse?.activity.on('moved', moved);
  }

  /**
   * Starts every saved listener; one that cannot bind is kept in an error state with a notice, one the
   * user switched off stays `off`.
   */
  async restore(): Promise<void> {
    this.deps.saved.bindLegacyForwards();
    for (const record of this.deps.saved.list()) {
      if (isReverse(record)) this.reverse?.restore(record);
      else await this.local.restore(record);
    }
  }

  /**
   * Starts a new listener and saves it; returns its name (`nameForPort` names one added on port 0
   * after the port it got).
   * @throws ClawError('BAD_ARGUMENT') when the name is taken, ClawError('ADDRESS_IN_USE') when the port is.
   */
  async add(input: ForwardRecordInput, nameForPort?: (port: number) => string): Promise<string> {
    if (this.stopped) throw new ClawError('NO_AGENT', 'the agent is stopping; start it again first');
    if (this.names().has(input.name)) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `a forward or proxy named '${input.name}' already exists; pick another name (--name) or remove it first`,
      );
    }
    if (!isReverse(input)) return this.local.add(input, nameForPort);
    if (!this.reverse) throw new ClawError('INTERNAL', 'reverse forwards are not running');
    return this.reverse.add({ ...input, enabled: input.enabled ?? true });
  }

  /**
   * Stops a listener (resetting its connections), frees its port and forgets it.
   * @throws ClawError('BAD_ARGUMENT') when there is none of that kind by that name.
   */
  async remove(name: string, kinds: readonly ForwardRecord['kind'][]): Promise<void> {
    if (this.reverse?.has(name) && kinds.includes('tcp')) {
      this.deps.saved.removeForward(name);
      this.reverse.remove(name);
      this.deps.notices.changed();
      return;
    }
    await this.local.remove(name, kinds);
  }

  /**
   * Switches a forward or proxy on or off (local-forwards.ts setEnabled; a reverse one asks its peer
   * again, or ends its stream so the peer stops listening).
   * @throws ClawError('BAD_ARGUMENT') when there is no such name; ClawError('ADDRESS_IN_USE') when
   *   switching on finds the port taken (it stays off then).
   */
  async setEnabled(
    name: string,
    enabled: boolean,
    kinds: readonly ForwardRecord['kind'][] = ['tcp', 'socks', 'http'],
  ): Promise<ToggleView> {
    const reverse = this.reverse;
    if (!reverse?.has(name) || !kinds.includes('tcp')) return this.local.setEnabled(name, enabled, kinds);
    const saved = this.deps.saved.forward(name)!;
    if (saved.enabled !== enabled) this.deps.saved.editForward(name, (f) => ({ ...f, enabled }));
    reverse.setEnabled(name, enabled);
    return { name, kind: 'tcp', local: saved.remote ?? '', ...reverse.status(name) };
  }

  /** Connections open right now over all listeners (while any are, byte counters move). */
  openConnections(): number {
    return (this.reverse?.openConnections() ?? 0) + this.local.openConnections();
  }

  /** Names already in use (forwards and proxies share one namespace, so `rm NAME` is never ambiguous). */
  names(): Set<string> {
    return new Set([...this.local.names(), ...(this.reverse?.names() ?? [])]);
  }

  forwards(): ForwardInfo[] {
    return this.listing.forwards();
  }

  proxies(): ProxyInfo[] {
    return this.listing.proxies();
  }

  /** Shared folders (reverse forwards served by share/, ADR 0052): each saved record and its state. */
  shares(): { record: ForwardRecord; info: ForwardInfo }[] {
    return this.listing.shares();
  }

  /** The ports this node listens on for its peers now (`status`, `share list`). */
  listeningForPeers(): PeerListenerInfo[] {
    return this.peerListeners();
  }

  /** Closes every listener and its connections; the saved list stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.reverse?.stop();
    await this.local.stop();
  }
}

function isReverse(record: Pick<ForwardRecord, 'direction'>): boolean {
  return record.direction === 'reverse';
}
