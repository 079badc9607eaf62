/**
 * The API's pushed events (contract.ts ApiEvents), fanned out to every subscribed client of every
 * transport. `status` carries the whole picture and is coalesced to one per STATUS_EVENT_INTERVAL_MS,
 * and keeps ticking while forwards have open connections so their byte counters move (and after a
 * connection that opened and closed between two ticks); each one has a higher `seq`, so a client can
 * tell a read older than it. The agent's changes go out as one `changed` just before the status that
 * shows them, naming what differs from the last one; `pending.added` is found by comparing pending lists.
 * `connections` (the live connection table) has a coalescer of its own: sent on subscribing, when one
 * opens or ends, and every interval while bytes move, without resending the whole status. The domains'
 * events are passed on as their contract pieces say (EventPolicy): names none of them.
 */
import {
  AUDIT_EVENT_INTERVAL_MS,
  CONNECTIONS_EVENT_INTERVAL_MS,
  STATUS_EVENT_INTERVAL_MS,
  type ApiEvents,
  type EventOptions,
  type EventPolicy,
  type ConnectionInfo,
  type ChangeDomain,
  type NoticeEvent,
  type PairingEvent,
  type PendingInfo,
  type StatusEvent,
} from '../../api/contract.js';
import type { DeviceJoinedEvent } from '../../api/contract-mine.js';
import type { Disposer } from '../../core/emitter.js';
import { DisposableStore } from '../../core/disposables.js';

/** Timers, injectable so the coalescing is tested with a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Runs `fire` at most once per `intervalMs` however often it is poked, never synchronously inside the
 * poke (the agent pokes in the middle of its own updates), and again every interval while `busy()`.
 */
export class Coalescer {
  private timer: unknown;
  private last = -Infinity;

  constructor(
    private readonly fire: () => void,
    private readonly busy: () => boolean,
    private readonly clock: Clock,
    private readonly intervalMs: number = STATUS_EVENT_INTERVAL_MS,
  ) {}

  poke(): void {
    if (this.timer !== undefined) return;
    this.schedule(Math.max(0, this.last + this.intervalMs - this.clock.now()));
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.last = this.clock.now();
      this.fire();
      if (this.busy()) this.schedule(this.intervalMs);
    }, ms);
  }
}

/** Where the events come from (architecture.md §Rules the code keeps): each returns a disposer. */
export interface EventSources {
  onChanged(listener: () => void): Disposer;
  onPairing(listener: (e: PairingEvent) => void): Disposer;
  /** Forward counters moved (a connection opened or closed): only the status event cares. */
  onActivity(listener: () => void): Disposer;
  /** The agent's one-line notices (notices.ts notice()). */
  onNotice(listener: (notice: NoticeEvent) => void): Disposer;
  /**
   * A saved setting changed (an option or a relay: the node state says which). Without this source
   * every `changed` names `settings`, since any change may have been one.
   */
  onSettingsChanged?(listener: () => void): Disposer;
  snapshot(): Omit<StatusEvent, 'seq'>;
  pending(): PendingInfo[];
  /** Some forward or proxy has open connections (its counters move without a `changed`). */
  busy(): boolean;
  /** A listener threw or a snapshot failed: logged, never thrown into the agent. */
  onError(err: unknown): void;
  /** The live connections (connections/connection-table.ts), for the `connections` event. */
  connections?: ConnectionsSource;
  /** Lines written to the audit log (audit/audit-writer.ts), for the `audit` event. */
  onAudit?(listener: (lines: number) => void): Disposer;
  /** A device joined the owner's devices here (ADR 0056), for the `device.joined` event. */
  onDeviceJoined?(listener: (e: DeviceJoinedEvent) => void): Disposer;
  /** The domains' events by name (links/domain.ts DomainEventSources), each a source as above. */
  domainEvents?: { readonly [event: string]: ((listener: (data: unknown) => void) => Disposer) | undefined };
  /** How each of the domains' events is followed (api/contract-registry.ts); none: sent to every client. */
  eventPolicy?(event: string): EventPolicy | undefined;
}

/** What the `connections` event reads: the list, when it changed, and whether bytes moved since last asked. */
export interface ConnectionsSource {
  list(): ConnectionInfo[];
  readonly events: { on(event: 'changed', listener: () => void): Disposer };
  takeMoved(): boolean;
}

type Listener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

/**
 * Each part a snapshot carries (the node's and the lists the domains add), in a form that compares with
 * `===`, to tell which ones changed.
 */
function digests(snapshot: Omit<StatusEvent, 'seq'>): Map<ChangeDomain, string> {
  const { status, pending, ...lists } = snapshot;
  return new Map<ChangeDomain, string>([
    ['peers', JSON.stringify(status.peers)],
    ['pending', JSON.stringify(pending)],
    ...Object.entries(lists).map(([key, list]) => [key as ChangeDomain, JSON.stringify(list)] as const),
    ['relays', JSON.stringify(status.relays)],
  ]);
}

/** Whether a subscription with `options` takes an event followed `when` (EventPolicy). */
function takes(options: EventOptions, when: NonNullable<EventPolicy['when']>): boolean {
  const chosen = (options as Record<string, string | undefined>)[when.option];
  return chosen === undefined ? when.byDefault === true : chosen === when.is;
}

export class ApiEventHub {
  /** Each listener, with the options it subscribed with. */
  private readonly listeners = new Map<Listener, EventOptions>();
  /**
   * The domains' events followed only while some listener takes them (an EventPolicy's `when`), while
   * they are: a program sending thousands of messages costs no per-message event nobody reads.
   */
  private readonly chosenSources = new Map<string, Disposer>();
  private readonly coalescer: Coalescer;
  /** The `connections` event: its own pace, so moving bytes do not resend the whole status. */
  private readonly connectionsCoalescer: Coalescer;
  /** The `audit` event: at most once a second, however busy the log. */
  private readonly auditCoalescer: Coalescer;
  /** Audit lines written since the last `audit` event. */
  private auditLines = 0;
  /** What start() follows, undone when the last listener leaves. */
  private sources = new DisposableStore();
  private knownPending = new Set<string>();
  /** The last status event's `seq`: never reset, so it keeps rising across subscriptions. */
  private seq = 0;
  private lastDigests = new Map<ChangeDomain, string>();
  /** The agent said something changed since the last status event. */
  private agentChanged = false;
  /** A setting changed since the last status event (only known with an onSettingsChanged source). */
  private settingsChanged = false;

  constructor(
    private readonly from: EventSources,
    clock: Clock = realClock,
  ) {
    this.coalescer = new Coalescer(
      () => this.safely(() => this.push()),
      () => this.listeners.size > 0 && from.busy(),
      clock,
    );
    this.connectionsCoalescer = new Coalescer(
      () => this.safely(() => this.pushConnections()),
      () => this.listeners.size > 0 && from.connections?.takeMoved() === true,
      clock,
      CONNECTIONS_EVENT_INTERVAL_MS,
    );
    this.auditCoalescer = new Coalescer(
      () => {
        const written = this.auditLines;
        this.auditLines = 0;
        if (written > 0) this.emit('audit', { written });
      },
      () => false,
      clock,
      AUDIT_EVENT_INTERVAL_MS,
    );
  }

  private pushConnections(): void {
    const source = this.from.connections;
    if (source) this.emit('connections', { connections: source.list() });
  }

  /** One status event, after the `changed` that names what differs from the last one, if the agent changed. */
  private push(): void {
    const snapshot = this.from.snapshot();
    const seq = ++this.seq;
    const now = digests(snapshot);
    if (this.agentChanged) {
      this.agentChanged = false;
      const domains = [...now].filter(([d, v]) => this.lastDigests.get(d) !== v).map(([d]) => d);
      // Settings are not in the snapshot: named when the node state said one changed, or, without
      // that source, always (any change may have been one: a `settings set` from the CLI).
      const settings = this.from.onSettingsChanged === undefined || this.settingsChanged;
      this.settingsChanged = false;
      this.emit('changed', { seq, domains: settings ? [...domains, 'settings'] : domains });
    }
    this.lastDigests = now;
    this.emit('status', { seq, ...snapshot });
  }

  /** Adds a listener; the first one starts listening to the agent. Each new one soon gets a `status`. */
  subscribe(listener: Listener, options: EventOptions = {}): Disposer {
    if (this.listeners.size === 0) this.start();
    this.listeners.set(listener, options);
    this.followChosen();
    this.coalescer.poke();
    if (this.from.connections) this.connectionsCoalescer.poke();
    return () => {
      if (!this.listeners.delete(listener)) return;
      this.followChosen();
      if (this.listeners.size > 0) return;
      this.sources.dispose();
      this.coalescer.stop();
      this.connectionsCoalescer.stop();
      this.auditCoalescer.stop();
      this.auditLines = 0;
    };
  }

  private start(): void {
    this.knownPending = new Set(this.from.pending().map((p) => p.id));
    this.sources = new DisposableStore();
    this.sources.add(
      this.from.onChanged(() => {
        this.agentChanged = true;
        this.coalescer.poke();
        this.safely(() => this.checkPending());
      }),
      this.from.onPairing((e) => this.emit('pairing', e)),
      this.from.onActivity(() => this.coalescer.poke()),
      this.from.onNotice((notice) => this.emit('notice', notice)),
      ...(this.from.connections
        ? [this.from.connections.events.on('changed', () => this.connectionsCoalescer.poke())]
        : []),
      ...(this.from.onAudit
        ? [
            this.from.onAudit((lines) => {
              this.auditLines += lines;
              this.auditCoalescer.poke();
            }),
          ]
        : []),
      ...(this.from.onDeviceJoined ? [this.from.onDeviceJoined((e) => this.emit('device.joined', e))] : []),
      ...this.followDomainEvents(),
      ...(this.from.onSettingsChanged
        ? [
            this.from.onSettingsChanged(() => {
              this.settingsChanged = true;
              this.agentChanged = true;
              this.coalescer.poke();
            }),
          ]
        : []),
    );
  }

  private checkPending(): void {
    const list = this.from.pending();
    const added = list.filter((p) => !this.knownPending.has(p.id));
    this.knownPending = new Set(list.map((p) => p.id));
    for (const p of added) this.emit('pending.added', p);
  }

  private emit<E extends keyof ApiEvents>(
    event: E,
    data: ApiEvents[E],
    when?: NonNullable<EventPolicy['when']>,
  ): void {
    for (const [l, options] of [...this.listeners]) {
      if (when === undefined || takes(options, when)) this.safely(() => l(event, data));
    }
  }

  /** The domains' events every listener takes, followed from the first listener to the last. */
  private followDomainEvents(): Disposer[] {
    return Object.entries(this.from.domainEvents ?? {}).flatMap(([event, source]) => {
      const policy = this.from.eventPolicy?.(event);
      if (!source || policy?.when) return [];
      return [
        source((data) => {
          this.emit(event as keyof ApiEvents, data as never);
          if (policy?.status) this.coalescer.poke();
        }),
      ];
    });
  }

  /** Follows each of the domains' chosen events while some listener takes it, and no longer. */
  private followChosen(): void {
    for (const [event, source] of Object.entries(this.from.domainEvents ?? {})) {
      const when = this.from.eventPolicy?.(event)?.when;
      if (!source || !when) continue;
      const wanted = [...this.listeners.values()].some((options) => takes(options, when));
      const following = this.chosenSources.get(event);
      if (wanted && !following) {
        this.chosenSources.set(
          event,
          source((data) => this.emit(event as keyof ApiEvents, data as never, when)),
        );
      } else if (!wanted && following) {
        following();
        this.chosenSources.delete(event);
      }
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.from.onError(err);
    }
  }
}
