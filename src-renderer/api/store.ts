/**
 * The window's one view of the agent: a single event subscription feeds an immutable snapshot that
 * views read with `useSyncExternalStore` (hooks.ts). Views never fetch on mount: N views would mean N
 * subscriptions and a refetch storm on every change. The agent's `status` event carries everything the
 * views list (peers, pending, forwards with their live counters), so it simply replaces the snapshot;
 * a full re-read happens only on (re)connecting and for settings, which that event does not carry.
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type {
  ForwardInfo,
  MethodParams,
  MethodResults,
  PendingInfo,
  ProxyInfo,
  SettingsResult,
  StatusEvent,
  StatusResult,
} from '../../src-main/api/contract.js';
import { messageOf, type ApiClient } from './client.js';
import { Listeners, type ConnectionState, type Disposer } from './transport.js';

export interface Snapshot {
  connection: ConnectionState;
  /** Null until the first successful read. */
  status: StatusResult | null;
  pending: PendingInfo[];
  forwards: ForwardInfo[];
  proxies: ProxyInfo[];
  /** Null until read; re-read after every change made through `saveSettings`. */
  settings: SettingsResult | null;
  /** Why the last full read failed (replaced by the next success). */
  loadError: string | null;
}

export class AgentStore {
  private snapshot: Snapshot;
  private readonly listeners = new Listeners<[]>();
  private readonly eventListeners = new Listeners<[string, unknown]>();
  private readonly disposers: Disposer[] = [];
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;

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
    };
    this.disposers.push(
      transport.onState((connection) => {
        this.set({ connection });
        if (connection.kind === 'connected') void this.refresh();
      }),
      client.onEvent((event, data) => this.onEvent(event, data)),
    );
    if (transport.state.kind === 'connected') void this.refresh();
  }

  /** For useSyncExternalStore: the same object until something changed. */
  get = (): Snapshot => this.snapshot;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  /** Events as they come (pairing steps, terminal sessions), for the few parts that follow a flow. */
  onAgentEvent(listener: (event: string, data: unknown) => void): Disposer {
    return this.eventListeners.add(listener);
  }

  private set(patch: Partial<Snapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.listeners.emit();
  }

  private onEvent(event: string, data: unknown): void {
    if (event === 'status' && isStatusEvent(data)) {
      const { status, pending, forwards, proxies } = data;
      this.set({ status, pending, forwards, proxies });
    } else if (event === 'changed') {
      // Settings are not in the status event; a change of name or relays arrives as `changed`.
      void this.refresh();
    }
    this.eventListeners.emit(event, data);
  }

  /**
   * Re-reads everything the views show. Calls made while one runs collapse into one more run, so a
   * burst of events costs two reads, not one per event.
   */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.load().finally(() => {
      this.refreshing = null;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    try {
      // Settings apart: a failure there must not blank the peers (and the reverse).
      const settings = this.client.call('settings.get', {}).then(
        (value) => this.set({ settings: value }),
        () => undefined,
      );
      const [status, pending, forwards, proxies] = await Promise.all([
        this.client.call('status', {}),
        this.client.call('pending.list', {}),
        this.client.call('forward.list', {}),
        this.client.call('proxy.list', {}),
      ]);
      this.set({ status, pending, forwards, proxies, loadError: null });
      await settings;
    } catch (err) {
      this.set({ loadError: messageOf(err) });
    }
  }

  /** Sets settings; on success the snapshot holds what the agent saved. Throws the agent's error. */
  async saveSettings(params: MethodParams<'settings.set'>): Promise<MethodResults['settings.set']> {
    const result = await this.client.call('settings.set', params);
    const { restartNeeded: _r, restartFor: _f, ...settings } = result;
    this.set({ settings });
    return result;
  }

  dispose(): void {
    for (const d of this.disposers) d();
    this.listeners.clear();
    this.eventListeners.clear();
  }
}

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
