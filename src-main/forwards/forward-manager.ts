/**
 * The node's local listeners — TCP forwards, SOCKS5 and HTTP proxies (architecture.md §Forwards): saved in settings as
 * `forwards`, started with the agent (a saved one whose port is taken shows state `error` and a notice
 * instead of stopping the agent, and retries on the backoff schedule of retry-schedule.ts until the port
 * is free, it is switched off or removed), stopped with it, and removed with their port freed at once.
 * Each counts connections and bytes.
 */
import type { Socket } from 'node:net';
import type { LoggerPort, Notifier, PeerDirectory, PeerEntry } from '../agent/ports.js';
import type { SettingsPort } from '../agent/trust-store.js';

/**
 * What the forward manager uses of the agent (architecture.md §Rules the code keeps): its saved
 * `forwards`, a log, a notifier, and the peers (a forward is bound to its exit peer's fingerprint).
 */
export interface ForwardManagerHost extends LoggerPort, Notifier, Pick<PeerDirectory, 'peerEntries'> {
  readonly settings: SettingsPort;
}
import type { ForwardRecord } from '../agent/settings.js';
import type { ForwardInfo, ForwardState, ProxyInfo } from '../api/contract.js';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { hereHint } from '../core/hint.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { ConnectError, type Dialer } from './dialer.js';
import type { FrontEndContext } from './front-end.js';
import { handleHttpProxyConnection } from './http-proxy.js';
import { listenTcp, type TcpListener } from './listener.js';
import { realTimers, RETRY_MAX_S, RetrySchedule, type RetryTimers } from './retry-schedule.js';
import { handleSocksConnection } from './socks-server.js';
import { handleTcpForwardConnection } from './tcp-forward.js';

/** A forward to add: `enabled` defaults to true, as in the saved settings. */
export type ForwardRecordInput = Omit<ForwardRecord, 'enabled'> & { enabled?: boolean };

interface Counters {
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

export interface Running {
  record: ForwardRecord;
  listener: TcpListener | undefined;
  state: ForwardState;
  error: string | undefined;
  counters: Counters & { open: number };
  /**
   * Why the last connection failed or was cut, and when (ms), until a later one opens: a TCP forward's
   * client sees only a closed connection, so the forward's listing keeps saying why.
   */
  problem?: { message: string; at: number };
  /** While the port is taken: the schedule that binds it again. */
  retry?: RetrySchedule;
}

export class ForwardManager {
  private readonly running = new Map<string, Running>();
  /**
   * `moved`: a connection opened or closed, so counters changed without anything else changing (not
   * an agent `changed`: that would be one CLI event per proxied connection). Drives the status event.
   */
  readonly activity = new Emitter<{ moved: [] }>();
  private stopped = false;

  constructor(
    private readonly agent: ForwardManagerHost,
    private readonly dialer: Dialer,
    private readonly timers: RetryTimers = realTimers,
  ) {}

  /**
   * Starts every saved listener; one that cannot bind is kept in state `error` with a notice, one the
   * user switched off stays `off`.
   */
  async restore(): Promise<void> {
    this.bindLegacyForwards();
    for (const record of this.agent.settings.get().forwards) {
      const run = this.track(record);
      if (!record.enabled) {
        run.state = 'off';
        continue;
      }
      try {
        await this.listen(run);
        // Saved on port 0 by an older release: from now on it keeps the port it got.
        if (this.keepBoundPort(run) !== undefined) this.saveListen(run.record);
      } catch (err) {
        run.state = 'error';
        run.error = errorMessage(err);
        if (isClawError(err) && err.code === 'ADDRESS_IN_USE') {
          this.startRetry(run);
          continue;
        }
        const line = `${noun(record)} ${record.name}: ${run.error}`;
        this.agent.notice({ kind: noun(record), message: line }, { forward: record.name });
      }
    }
  }

  /**
   * For a listener asked for on port 0, the port it got becomes its address (returned), so that it
   * keeps that address across restarts; undefined for one with a port of its own.
   */
  private keepBoundPort(run: Running): number | undefined {
    const wanted = parseHostPort(run.record.listen);
    if (!run.listener || wanted.port !== 0) return undefined;
    const { port } = parseHostPort(run.listener.address);
    run.record.listen = formatHostPort(wanted.host, port);
    return port;
  }

  /** Saves a listener's address; one that cannot be saved keeps running, and says so. */
  private saveListen(record: ForwardRecord): void {
    try {
      this.agent.settings.update((s) => ({
        ...s,
        forwards: s.forwards.map((f) => (f.name === record.name ? { ...f, listen: record.listen } : f)),
      }));
    } catch (err) {
      this.agent.notice(
        { kind: noun(record), message: `${noun(record)} ${record.name}: ${errorMessage(err)}` },
        { forward: record.name },
      );
    }
  }

  /**
   * The port was taken: one readable notice, then attempts on the backoff schedule until it binds
   * (another notice says so), or it is switched off, removed or the manager stops.
   */
  private startRetry(run: Running): void {
    run.retry?.cancel();
    const address = run.record.listen;
    const line = `${noun(run.record)} ${run.record.name}: ${address} is in use; retrying every ${RETRY_MAX_S} s at most`;
    this.agent.notice({ kind: noun(run.record), message: line }, { forward: run.record.name });
    const retry = new RetrySchedule(
      async () => {
        if (!this.current(run, retry)) return true;
        try {
          await this.listen(run, () => this.current(run, retry));
        } catch (err) {
          if (!this.current(run, retry)) return true;
          this.agent.log.debug({ forward: run.record.name }, errorMessage(err));
          return false;
        }
        if (!this.current(run, retry)) return true;
        run.retry = undefined;
        this.agent.notice({
          kind: noun(run.record),
          message: `${noun(run.record)} ${run.record.name}: listening on ${run.listener?.address ?? address} now`,
        });
        this.agent.changed();
        return true;
      },
      this.timers,
      () => {
        // The listed error stays true until it binds (a countdown in it would go stale between
        // status events); `retryAt` says when the next attempt is.
        run.state = 'error';
        run.error = `address ${address} in use; retrying every ${RETRY_MAX_S} s at most`;
        this.agent.changed();
      },
    );
    run.retry = retry;
    retry.next();
  }

  /** True while `retry` is still the one this listener wants (not removed, off, stopped or bound). */
  private current(run: Running, retry: RetrySchedule): boolean {
    return (
      !this.stopped &&
      retry.active &&
      run.retry === retry &&
      run.record.enabled &&
      this.running.get(run.record.name) === run
    );
  }

  /**
   * Starts a new listener and saves it; returns its name (`nameForPort` names one added on port 0
   * after the port it got).
   * @throws ClawError('BAD_ARGUMENT') when the name is taken, ClawError('ADDRESS_IN_USE') when the port is.
   */
  async add(input: ForwardRecordInput, nameForPort?: (port: number) => string): Promise<string> {
    const record: ForwardRecord = { ...input, enabled: input.enabled ?? true };
    if (this.stopped) throw new ClawError('NO_AGENT', 'the agent is stopping; start it again first');
    if (this.running.has(record.name)) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `a forward or proxy named '${record.name}' already exists; pick another name (--name) or remove it first`,
      );
    }
    const run: Running = { record, listener: undefined, state: 'error', error: undefined, counters: zero() };
    await this.listen(run);
    // Port 0 picks a free port: that port is saved, so the forward keeps its address across restarts.
    // A default name comes from that port too (`http-38475`, not `http-0`).
    const port = this.keepBoundPort(run);
    if (port !== undefined && nameForPort) record.name = nameForPort(port);
    if (this.running.has(record.name)) {
      // Another add with the same name won the race while we were binding.
      await run.listener?.close();
      throw new ClawError('BAD_ARGUMENT', `a forward or proxy named '${record.name}' already exists`);
    }
    // Saved before it counts as added: a save that fails (a full disk, a read-only home) leaves
    // nothing running that the next start would not bring back.
    try {
      this.agent.settings.update((s) => ({
        ...s,
        forwards: [...s.forwards.filter((f) => f.name !== record.name), record],
      }));
    } catch (err) {
      await run.listener?.close();
      throw err;
    }
    this.running.set(record.name, run);
    this.agent.changed();
    return record.name;
  }

  /**
   * The forward or proxy `name` among `kinds`; else why not, naming the command (`rm`, `enable` …) of
   * the kind it is when the name belongs to the other kind.
   */
  private find(name: string, kinds: readonly ForwardRecord['kind'][], command: string): Running {
    const run = this.running.get(name);
    if (run && kinds.includes(run.record.kind)) return run;
    const what =
      kinds.includes('tcp') && kinds.length > 1
        ? 'forward or proxy'
        : kinds.includes('tcp')
          ? 'forward'
          : 'proxy';
    const other = run ? (run.record.kind === 'tcp' ? 'forward' : 'proxy') : undefined;
    const lists =
      what === 'forward or proxy'
        ? 'the names are in forward list and proxy list'
        : `list the ${what === 'forward' ? 'forwards' : 'proxies'} to see their names`;
    throw new ClawError(
      'BAD_ARGUMENT',
      other
        ? `'${name}' is a ${other}, not a ${what}: use the ${other} command`
        : `no ${what} named '${name}'; ${lists}`,
      { hint: hereHint(other ? [other, command, name] : [what === 'proxy' ? 'proxy' : 'forward', 'list']) },
    );
  }

  /**
   * Stops a listener (resetting its connections), frees its port and forgets it.
   * @throws ClawError('BAD_ARGUMENT') when there is none of that kind by that name.
   */
  async remove(name: string, kinds: readonly ForwardRecord['kind'][]): Promise<void> {
    const run = this.find(name, kinds, 'rm');
    // Forgotten on disk first: if that fails, the forward is still there, running and listed.
    this.agent.settings.update((s) => ({ ...s, forwards: s.forwards.filter((f) => f.name !== name) }));
    this.running.delete(name);
    run.retry?.cancel();
    run.retry = undefined;
    await run.listener?.close();
    this.agent.changed();
  }

  /**
   * Switches a forward or proxy on or off. Off: its listener closes (connections reset), its port is
   * free, and it stays saved with `enabled: false`. On: it binds again.
   * @throws ClawError('BAD_ARGUMENT') when there is no such name; ClawError('ADDRESS_IN_USE') when
   *   switching on finds the port taken (it stays off then).
   */
  async setEnabled(
    name: string,
    enabled: boolean,
    kinds: readonly ForwardRecord['kind'][] = ['tcp', 'socks', 'http'],
  ): Promise<Running> {
    const run = this.find(name, kinds, enabled ? 'enable' : 'disable');
    // Switching off is saved first; switching on once the port is bound. Either way a save that
    // fails leaves the forward as it was, running or not, as the next start would have it.
    if (!enabled && run.record.enabled) this.saveEnabled(name, false);
    if (enabled && run.state !== 'listening') {
      try {
        await this.listen(run);
      } catch (err) {
        if (!run.record.enabled) run.state = 'off';
        throw err;
      }
      if (this.keepBoundPort(run) !== undefined) this.saveListen(run.record);
      run.retry?.cancel();
      run.retry = undefined;
    } else if (!enabled && run.state !== 'off') {
      run.retry?.cancel();
      run.retry = undefined;
      const listener = run.listener;
      run.listener = undefined;
      run.state = 'off';
      run.error = undefined;
      await listener?.close();
    }
    if (enabled && !run.record.enabled) {
      try {
        this.saveEnabled(name, true);
      } catch (err) {
        const listener = run.listener;
        run.listener = undefined;
        run.state = 'off';
        await listener?.close();
        throw err;
      }
    }
    run.record = { ...run.record, enabled };
    this.agent.changed();
    return run;
  }

  private saveEnabled(name: string, enabled: boolean): void {
    this.agent.settings.update((s) => ({
      ...s,
      forwards: s.forwards.map((f) => (f.name === name ? { ...f, enabled } : f)),
    }));
  }

  /**
   * The peer with `fingerprint` is now called `after`: forwards and proxies bound to it follow (a
   * record from before fingerprints were saved is matched by its old name `before`).
   */
  renameVia(fingerprint: string, before: string, after: string): void {
    const follow = (f: ForwardRecord): ForwardRecord =>
      f.viaFingerprint === fingerprint || (f.viaFingerprint === undefined && f.via === before)
        ? { ...f, via: after, viaFingerprint: fingerprint }
        : f;
    for (const run of this.running.values()) run.record = follow(run.record);
    this.agent.settings.update((s) => ({ ...s, forwards: s.forwards.map(follow) }));
  }

  /**
   * Saved forwards from before exit peers were saved by fingerprint are bound to the peer that holds
   * their `via` name now, once, so a peer paired later under that name can never take them over.
   */
  private bindLegacyForwards(): void {
    // The saved peers: this runs before the agent starts tracking them.
    const byName = new Map(this.agent.settings.get().peers.map((p) => [p.name, p.fingerprint]));
    const bind = (f: ForwardRecord): ForwardRecord => {
      const fingerprint =
        f.via !== undefined && f.viaFingerprint === undefined ? byName.get(f.via) : undefined;
      return fingerprint ? { ...f, viaFingerprint: fingerprint } : f;
    };
    if (!this.agent.settings.get().forwards.some((f) => bind(f) !== f)) return;
    this.agent.settings.update((s) => ({ ...s, forwards: s.forwards.map(bind) }));
  }

  /**
   * The dialer for `record`'s connections: its own exit peer is reached by fingerprint, under the name
   * that peer has now, and a peer that is gone is refused with why (a SOCKS client that names another
   * peer as its user name gets that peer, as it asked).
   */
  private dialerFor(record: ForwardRecord): Dialer {
    const { via, viaFingerprint } = record;
    if (via === undefined || viaFingerprint === undefined) return this.dialer;
    return {
      connect: (peer, host, port) => {
        if (peer !== via) return this.dialer.connect(peer, host, port);
        const entry = this.boundPeer(record);
        if (!entry) {
          const what = record.kind === 'tcp' ? 'forward' : 'proxy';
          return Promise.reject(
            new ConnectError(
              'unknown-peer',
              `${via} (${viaFingerprint.slice(0, 8)}…), the peer this ${what} goes through, is no longer a peer here: pair it again, or remove the ${what} and add it via another peer`,
            ),
          );
        }
        return this.dialer.connect(entry.record.name, host, port);
      },
    };
  }

  /** Connections open right now over all listeners (while any are, byte counters move). */
  openConnections(): number {
    let n = 0;
    for (const r of this.running.values()) n += r.counters.open;
    return n;
  }

  /** Names already in use (forwards and proxies share one namespace, so `rm NAME` is never ambiguous). */
  names(): Set<string> {
    return new Set(this.running.keys());
  }

  forwards(): ForwardInfo[] {
    return [...this.running.values()]
      .filter((r) => r.record.kind === 'tcp')
      .map((r) => ({
        name: r.record.name,
        local: r.listener?.address ?? r.record.listen,
        via: this.viaName(r.record) ?? '',
        viaFingerprint: r.record.viaFingerprint ?? null,
        remote: r.record.remote ?? '',
        ...status(r),
      }));
  }

  proxies(): ProxyInfo[] {
    return [...this.running.values()]
      .filter((r) => r.record.kind !== 'tcp')
      .map((r) => ({
        name: r.record.name,
        kind: r.record.kind as 'socks' | 'http',
        local: r.listener?.address ?? r.record.listen,
        via: this.viaName(r.record) ?? null,
        viaFingerprint: r.record.viaFingerprint ?? null,
        ...status(r),
      }));
  }

  /** The peer `record` is bound to, while it is one (undefined: gone, or no fingerprint saved). */
  private boundPeer(record: ForwardRecord): PeerEntry | undefined {
    const fp = record.viaFingerprint;
    return fp === undefined ? undefined : this.agent.peerEntries().find((e) => e.record.fingerprint === fp);
  }

  /** The exit peer's name now (it may have been paired again under another name), else the saved one. */
  private viaName(record: ForwardRecord): string | undefined {
    return this.boundPeer(record)?.record.name ?? record.via;
  }

  /** Closes every listener and its connections; the saved list stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const r of this.running.values()) r.retry?.cancel();
    await Promise.all([...this.running.values()].map((r) => r.listener?.close() ?? Promise.resolve()));
    this.running.clear();
  }

  private track(record: ForwardRecord): Running {
    const run: Running = { record, listener: undefined, state: 'error', error: undefined, counters: zero() };
    this.running.set(record.name, run);
    return run;
  }

  /** Binds `run`; `stillWanted` (for retries) is asked after binding, and a false answer unbinds. */
  private async listen(run: Running, stillWanted: () => boolean = () => true): Promise<void> {
    const { host, port } = parseHostPort(run.record.listen, '127.0.0.1');
    const listener = await listenTcp(host, port, (socket) => this.accept(run, socket));
    if (!stillWanted()) {
      await listener.close();
      return;
    }
    run.listener = listener;
    run.state = 'listening';
    run.error = undefined;
    run.problem = undefined; // a listener that starts again has had no connection yet
    this.agent.log.info(
      { forward: run.record.name, local: run.listener.address },
      `${run.record.kind} listener up`,
    );
  }

  private accept(run: Running, socket: Socket): void {
    run.counters.connections++;
    run.counters.open++;
    this.activity.emit('moved');
    socket.once('close', () => {
      run.counters.open--;
      this.activity.emit('moved');
    });
    const { record } = run;
    const ctx: FrontEndContext = {
      name: record.name,
      noun: noun(record),
      dialer: this.dialerFor(record),
      log: this.agent.log,
      counters: {
        bytesIn: (n) => (run.counters.bytesIn += n),
        bytesOut: (n) => (run.counters.bytesOut += n),
      },
      problem: (message, fields, quiet) => {
        run.problem = { message, at: Date.now() };
        if (!quiet)
          this.agent.notice(
            { kind: noun(record), message: `${noun(record)} ${record.name}: ${message}` },
            fields,
          );
        this.activity.emit('moved');
      },
      opened: () => {
        if (run.problem === undefined) return;
        run.problem = undefined;
        this.activity.emit('moved');
      },
    };
    if (record.kind === 'socks') void handleSocksConnection(socket, { ...ctx, via: record.via });
    else if (record.kind === 'http')
      void handleHttpProxyConnection(socket, { ...ctx, via: record.via ?? '' });
    else {
      const remote = parseHostPort(record.remote ?? '');
      void handleTcpForwardConnection(socket, { ...ctx, via: record.via ?? '', ...remote });
    }
  }
}

function noun(record: ForwardRecord): 'forward' | 'proxy' {
  return record.kind === 'tcp' ? 'forward' : 'proxy';
}

function zero(): Counters & { open: number } {
  return { connections: 0, bytesIn: 0, bytesOut: 0, open: 0 };
}

function status(r: Running): {
  state: ForwardState;
  open: number;
  error?: string;
  retryAt?: string;
  lastProblem?: { message: string; at: string };
} & Counters {
  const { open, connections, bytesIn, bytesOut } = r.counters;
  const retryAt = r.state === 'error' ? r.retry?.retryAt : undefined;
  return {
    state: r.state,
    open,
    connections,
    bytesIn,
    bytesOut,
    ...(r.state === 'error' && r.error ? { error: r.error } : {}),
    ...(retryAt !== undefined ? { retryAt: new Date(retryAt).toISOString() } : {}),
    // Only while it listens: switched off or unable to listen, its state says more.
    ...(r.problem && r.state === 'listening'
      ? { lastProblem: { message: r.problem.message, at: new Date(r.problem.at).toISOString() } }
      : {}),
  };
}
