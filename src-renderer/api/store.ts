/**
 * The window's one view of the agent: a single event subscription feeds an immutable snapshot that
 * views read with `useSyncExternalStore` (hooks.ts). Views never fetch on mount: N views would mean N
 * subscriptions and a refetch storm on every change. The agent's `status` event carries everything the
 * views list (peers, pending, forwards with their live counters), so it simply replaces those parts;
 * they are read only on (re)connecting. `changed` names what changed, and only what the status event
 * does not carry (settings) is read again. Pushes and reads are ordered by the agent's `seq`
 * (versions.ts), so an older answer never replaces a newer snapshot.
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type {
  ChangedEvent,
  ConnectionInfo,
  ConnectionsEvent,
  MethodParams,
  MethodResults,
  PendingInfo,
  SettingsResult,
  StatusEvent,
  StatusResult,
} from '../../src-main/api/contract.js';
import type { ForwardInfo, ProxyInfo } from '../../src-main/forwards/forwards-contract.js';
import { messageOf, type ApiClient } from './client.js';
import { Listeners, type ConnectionState, type Disposer } from './transport.js';
import { UNNUMBERED, Versions, type Part, type Ticket } from './versions.js';
import { inBackground } from '../../src-main/core/background.js';

export interface Snapshot {
  connection: ConnectionState;
  /** Null until the first successful read. */
  status: StatusResult | null;
  pending: PendingInfo[];
  forwards: ForwardInfo[];
  proxies: ProxyInfo[];
  /** Null until read; re-read when `changed` names settings, and set by `saveSettings`. */
  settings: SettingsResult | null;
  /** Why the last read of the status parts failed (replaced by the next success). */
  loadError: string | null;
  /**
   * The live connections, as the last `connections` event said (one comes on subscribing, so a
   * reconnect refreshes them; never read).
   */
  connections: ConnectionInfo[];
}

/** The parts a `status` event carries. */
type PushedPart = Exclude<Part, 'settings'>;
const PUSHED: readonly PushedPart[] = ['status', 'pending', 'forwards', 'proxies'];

/** What a read fetches: the pushed parts (four methods, together) and the settings. */
type Read = 'pushed' | 'settings';
const EVERYTHING: readonly Read[] = ['pushed', 'settings'];

export class AgentStore {
  private snapshot: Snapshot;
  private readonly listeners = new Listeners<[]>();
  private readonly eventListeners = new Listeners<[string, unknown]>();
  private readonly disposers: Disposer[] = [];
  private readonly versions = new Versions();
  private reading: Promise<void> | null = null;
  private readonly readAgain = new Set<Read>();

  constructor(private readonly client: ApiClient) {
    const transport = client.transport;
    this.snapshot = {
      connection: transport.state,
      status: null,
      pending: [],
      forwards: [],
      proxies: [],
      settings: null,
      loadError: null,
      connections: [],
    };
    this.disposers.push(
      transport.onState((connection) => {
        this.set({ connection });
        if (connection.kind !== 'connected') return;
        // A new subscription, maybe to a new agent: its numbers are the only ones that count.
        this.versions.reset();
        inBackground(this.refresh(), console, "reading the agent's state");
      }),
      client.onEvent((event, data) => this.onEvent(event, data)),
    );
    if (transport.state.kind === 'connected')
      inBackground(this.refresh(), console, "reading the agent's state");
  }

  /** For useSyncExternalStore: the same object until something changed. */
  get = (): Snapshot => this.snapshot;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  /** Events as they come (pairing steps, terminal sessions), for the few parts that follow a flow. */
  onAgentEvent(listener: (event: string, data: unknown) => void): Disposer {
    return this.eventListeners.add(listener);
  }

  private set(patch: Partial<Snapshot>): void {
    // Nothing new (a push older than what a read brought): same object, no render.
    if (Object.keys(patch).length === 0) return;
    this.snapshot = { ...this.snapshot, ...patch };
    this.listeners.emit();
  }

  private onEvent(event: string, data: unknown): void {
    if (event === 'status' && isStatusEvent(data)) this.onStatus(data);
    else if (event === 'changed') this.onChanged(data);
    else if (event === 'connections' && isConnectionsEvent(data)) this.set({ connections: data.connections });
    this.eventListeners.emit(event, data);
  }

  private onStatus(data: StatusEvent): void {
    // An agent of an older release sends no `seq`: its pushes replace what is held, as they always did.
    const seq = isSeq(data.seq) ? data.seq : UNNUMBERED;
    if (seq !== UNNUMBERED) this.versions.saw(seq);
    this.set(newer(data, (part) => this.versions.acceptPush(part, seq)));
  }

  private onChanged(data: unknown): void {
    const changed = (typeof data === 'object' && data !== null ? data : {}) as Partial<ChangedEvent>;
    if (isSeq(changed.seq)) this.versions.saw(changed.seq);
    // An agent of an older release does not say what changed: everything is read again.
    if (!Array.isArray(changed.domains)) return void this.read(EVERYTHING);
    // The rest is in the status event that follows at once; settings (with the relays' state) are not.
    if (changed.domains.includes('settings') || changed.domains.includes('relays'))
      inBackground(this.read(['settings']), console, 'reading the settings');
  }

  /** Re-reads everything the views show (on connecting); see `read`. */
  refresh(): Promise<void> {
    return this.read(EVERYTHING);
  }

  /**
   * Reads `what`. Calls made while a read runs collapse into one more run with all they asked for, so
   * a burst of events costs two reads of each method, not one per event.
   */
  private read(what: readonly Read[]): Promise<void> {
    if (this.reading) {
      for (const r of what) this.readAgain.add(r);
      return this.reading;
    }
    this.reading = this.load(new Set(what)).finally(() => {
      this.reading = null;
      if (this.readAgain.size === 0) return;
      const again = [...this.readAgain];
      this.readAgain.clear();
      inBackground(this.read(again), console, "reading the agent's state again");
    });
    return this.reading;
  }

  private async load(what: ReadonlySet<Read>): Promise<void> {
    const ticket = this.versions.ticket();
    // Settings apart: a failure there must not blank the peers (and the reverse).
    const settings = what.has('settings')
      ? this.client.call('settings.get', {}).then(
          (value) => this.takeSettings(value, ticket),
          () => undefined,
        )
      : undefined;
    if (what.has('pushed')) {
      try {
        const [status, pending, forwards, proxies] = await Promise.all([
          this.client.call('status', {}),
          this.client.call('pending.list', {}),
          this.client.call('forward.list', {}),
          this.client.call('proxy.list', {}),
        ]);
        const fresh = newer({ status, pending, forwards, proxies }, (p) =>
          this.versions.acceptRead(p, ticket),
        );
        this.set({ ...fresh, loadError: null });
      } catch (err) {
        this.set({ loadError: messageOf(err) });
      }
    }
    await settings;
  }

  private takeSettings(settings: SettingsResult, ticket: Ticket): void {
    if (this.versions.acceptRead('settings', ticket)) this.set({ settings });
  }

  /** Sets settings; on success the snapshot holds what the agent saved. Throws the agent's error. */
  async saveSettings(params: MethodParams<'settings.set'>): Promise<MethodResults['settings.set']> {
    const ticket = this.versions.ticket();
    const result = await this.client.call('settings.set', params);
    const { restartNeeded: _r, restartFor: _f, ...settings } = result;
    this.takeSettings(settings, ticket);
    return result;
  }

  dispose(): void {
    for (const d of this.disposers) d();
    this.listeners.clear();
    this.eventListeners.clear();
  }
}

/** The parts of `values` that `accepted` lets in (each is asked once, and records what it let in). */
function newer(
  values: Pick<Snapshot, PushedPart>,
  accepted: (part: PushedPart) => boolean,
): Partial<Snapshot> {
  const patch: Partial<Snapshot> = {};
  for (const part of PUSHED) if (accepted(part)) Object.assign(patch, { [part]: values[part] });
  return patch;
}

function isSeq(seq: unknown): seq is number {
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0;
}

/** The parts the store takes; `seq` is checked apart (an older agent sends none). */
function isStatusEvent(data: unknown): data is StatusEvent {
  const d = data as Partial<StatusEvent> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.status?.fingerprint === 'string' &&
    Array.isArray(d.pending) &&
    Array.isArray(d.forwards) &&
    Array.isArray(d.proxies)
  );
}

function isConnectionsEvent(data: unknown): data is ConnectionsEvent {
  return typeof data === 'object' && data !== null && Array.isArray((data as ConnectionsEvent).connections);
}
