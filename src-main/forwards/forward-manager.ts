/**
 * The node's local listeners — TCP forwards, SOCKS5 and HTTP proxies (architecture.md §Forwards): saved
 * in the node state as `forwards`, started with the agent (a saved one whose port is taken shows state
 * `error` and a notice instead of stopping the agent, and retries on the backoff schedule of
 * retry-schedule.ts until the port is free, it is switched off or removed), stopped with it, and
 * removed with their port freed at once. Each counts connections and bytes. A run (forward-run.ts)
 * keeps only what runs; its record is read from the node state by name whenever it is needed.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { SavedForwards } from './saved-forwards.js';
import type { Notifier } from '../state/notices.js';
import type { PeerDirectory, ReadonlyPeerEntry } from '../links/ports.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { ForwardInfo, ForwardState, PeerListenerInfo, ProxyInfo } from './forwards-contract.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { ConnectError, type Dialer } from './dialer.js';
import type { FrontEndContext } from './front-end.js';
import { trackerFor } from './track-peer.js';
import { apiState, cancelRetry, localAddress, newRun, runStatus, type Run } from './forward-run.js';
import { handleHttpProxyConnection } from './http-proxy.js';
import { listenTcp, type TcpListener } from './listener.js';
import { realTimers, RETRY_MAX_S, RetrySchedule, type RetryTimers } from './retry-schedule.js';
import { proxyUrl } from './proxy-secret.js';
import { handleSocksConnection } from './socks-server.js';
import { handleTcpForwardConnection } from './tcp-forward.js';
import type { ReverseForwards } from './reverse-forwards.js';
import { DEFAULT_UDP_IDLE_MS } from './forward-bounds.js';
import { listenUdp, type UdpForwardContext } from './udp-forward.js';
import { udpStatus } from './udp-status.js';
import { background } from '../core/background.js';

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

/** A forward to add: `enabled` defaults to true, as in the saved settings. */
export type ForwardRecordInput = Omit<ForwardRecord, 'enabled'> & { enabled?: boolean };

/** What switching a forward on or off answers. */
export interface ToggleView {
  name: string;
  kind: ForwardRecord['kind'];
  state: ForwardState;
  local: string;
  error?: string;
}

export class ForwardManager {
  private readonly running = new Map<string, Run>();
  /**
   * `moved`: a connection opened or closed, so counters changed without anything else changing (not
   * an agent `changed`: that would be one CLI event per proxied connection). Drives the status event.
   */
  readonly activity = new Emitter<{ moved: [] }>();
  private stopped = false;

  constructor(
    private readonly deps: ForwardManagerDeps,
    private readonly dialer: Dialer,
    private readonly timers: RetryTimers = realTimers,
    /** Reverse forwards (`direction: 'reverse'`) run there; they share names, listing and switches. */
    private readonly reverse?: ReverseForwards,
    /** The ports this node listens on for its peers' reverse forwards (reverse-listen-service.ts). */
    private readonly peerListeners: () => PeerListenerInfo[] = () => [],
  ) {
    reverse?.activity.on('moved', () => this.activity.emit('moved'));
  }

  /** The saved record of a run. Runs and records come and go together, so it is always there. */
  private record(run: Run): ForwardRecord {
    const record = this.deps.saved.forward(run.name);
    if (!record) throw new ClawError('INTERNAL', `forward ${run.name} runs but is not saved`);
    return record;
  }

  /**
   * Starts every saved listener; one that cannot bind is kept in an error state with a notice, one the
   * user switched off stays `off`.
   */
  async restore(): Promise<void> {
    this.deps.saved.bindLegacyForwards();
    for (const record of this.deps.saved.list()) {
      if (isReverse(record)) {
        this.reverse?.restore(record);
        continue;
      }
      const run = newRun(record.name, { state: 'off' });
      this.running.set(record.name, run);
      if (!record.enabled) continue;
      try {
        const listener = await this.listen(run, record.listen);
        // Saved on port 0 by an older release: from now on it keeps the port it got.
        this.keepBoundPort(record.name, record.listen, listener);
      } catch (err) {
        if (isClawError(err, 'ADDRESS_IN_USE')) {
          this.startRetry(run);
          continue;
        }
        run.now = { state: 'failed', error: errorMessage(err) };
        this.deps.notices.notice(
          { kind: noun(record), message: `${noun(record)} ${record.name}: ${run.now.error}` },
          { forward: record.name },
        );
      }
    }
  }

  /**
   * For a listener asked for on port 0, the address with the port it got, saved so that it keeps that
   * address across restarts (one that cannot be saved keeps running, and says so); undefined for one
   * with a port of its own.
   */
  private keepBoundPort(name: string, listen: string, listener: BoundListener): string | undefined {
    const wanted = parseHostPort(listen);
    if (wanted.port !== 0) return undefined;
    const bound = formatHostPort(wanted.host, parseHostPort(listener.address).port);
    if (!this.deps.saved.forward(name)) return bound; // not saved yet: add() saves it
    try {
      this.deps.saved.editForward(name, (f) => ({ ...f, listen: bound }));
    } catch (err) {
      const record = this.deps.saved.forward(name)!;
      this.deps.notices.notice(
        { kind: noun(record), message: `${noun(record)} ${name}: ${errorMessage(err)}` },
        { forward: name },
      );
    }
    return bound;
  }

  /**
   * The port was taken: one readable notice, then attempts on the backoff schedule until it binds
   * (another notice says so), or it is switched off, removed or the manager stops.
   */
  private startRetry(run: Run): void {
    cancelRetry(run);
    const record = this.record(run);
    const address = record.listen;
    const error = `address ${address} in use; retrying every ${RETRY_MAX_S} s at most`;
    const line = `${noun(record)} ${record.name}: ${address} is in use; retrying every ${RETRY_MAX_S} s at most`;
    this.deps.notices.notice({ kind: noun(record), message: line }, { forward: record.name });
    const retry: RetrySchedule = new RetrySchedule(
      async () => {
        if (!this.current(run, retry)) return true;
        let listener: BoundListener;
        try {
          listener = await this.listen(run, address, () => this.current(run, retry));
        } catch (err) {
          if (!this.current(run, retry)) return true;
          this.deps.log.debug({ forward: run.name }, errorMessage(err));
          return false;
        }
        this.deps.notices.notice({
          kind: noun(record),
          message: `${noun(record)} ${run.name}: listening on ${listener.address} now`,
        });
        this.deps.notices.changed();
        return true;
      },
      this.timers,
      // The listed error stays true until it binds (a countdown in it would go stale between status
      // events); `retryAt` says when the next attempt is.
      () => this.deps.notices.changed(),
    );
    run.now = { state: 'retrying', error, retry };
    retry.next();
  }

  /** True while `retry` is still the one this listener wants (not removed, off, stopped or bound). */
  private current(run: Run, retry: RetrySchedule): boolean {
    return (
      !this.stopped &&
      retry.active &&
      run.now.state === 'retrying' &&
      run.now.retry === retry &&
      this.running.get(run.name) === run
    );
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
    if (isReverse(input)) return this.addReverse({ ...input, enabled: input.enabled ?? true });
    const run = newRun(input.name, { state: 'off' });
    const listener = await this.listen(run, input.listen, () => true, input);
    // Port 0 picks a free port: that port is saved, so the forward keeps its address across restarts.
    // A default name comes from that port too (`http-38475`, not `http-0`).
    const bound = this.keepBoundPort(input.name, input.listen, listener);
    const port = bound === undefined ? undefined : parseHostPort(bound).port;
    const name = port !== undefined && nameForPort ? nameForPort(port) : input.name;
    const record: ForwardRecord = {
      ...input,
      name,
      listen: bound ?? input.listen,
      enabled: input.enabled ?? true,
    };
    if (this.running.has(name)) {
      // Another add with the same name won the race while we were binding.
      await listener.close();
      throw new ClawError('BAD_ARGUMENT', `a forward or proxy named '${name}' already exists`);
    }
    // Saved before it counts as added: a save that fails (a full disk, a read-only home) leaves
    // nothing running that the next start would not bring back.
    try {
      this.deps.saved.saveForward(record);
    } catch (err) {
      await listener.close();
      throw err;
    }
    run.name = name;
    this.running.set(name, run);
    this.deps.notices.changed();
    return name;
  }

  /**
   * The forward or proxy `name` among `kinds`; else why not, naming the command (`rm`, `enable` …) of
   * the kind it is when the name belongs to the other kind.
   */
  private find(name: string, kinds: readonly ForwardRecord['kind'][], command: string): Run {
    const run = this.running.get(name);
    const kind = run && this.record(run).kind;
    if (run && kind && kinds.includes(kind)) return run;
    const what =
      kinds.includes('tcp') && kinds.length > 1
        ? 'forward or proxy'
        : kinds.includes('tcp')
          ? 'forward'
          : 'proxy';
    const other = kind ? (kind === 'tcp' ? 'forward' : 'proxy') : undefined;
    if (other) {
      throw new ClawError(
        'BAD_ARGUMENT',
        ...commandArgs(`'${name}' is a ${other}, not a ${what}: use `, hereHint([other, command, name]), ''),
      );
    }
    const list = hereHint([what === 'proxy' ? 'proxy' : 'forward', 'list']);
    throw new ClawError(
      'BAD_ARGUMENT',
      ...(what === 'forward or proxy'
        ? commandArgs(`no ${what} named '${name}'; `, list, ' and `proxy list` show them')
        : commandArgs(`no ${what} named '${name}'; `, list, ' shows them')),
    );
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
    const run = this.find(name, kinds, 'rm');
    // Forgotten on disk first: if that fails, the forward is still there, running and listed.
    this.deps.saved.removeForward(name);
    this.running.delete(name);
    await this.unbind(run);
    this.deps.notices.changed();
  }

  /** Cancels a retry and closes a listener the run has; it is `off` after. */
  private async unbind(run: Run): Promise<void> {
    cancelRetry(run);
    const listener = run.now.state === 'listening' ? run.now.listener : undefined;
    run.now = { state: 'off' };
    await listener?.close();
  }

  /**
   * Switches a forward or proxy on or off. Off: its listener closes (connections reset), its port is
   * free, and it stays saved with `enabled: false`. On: it binds again, and is saved as on once bound.
   * Either way a save that fails leaves the forward as it was, running or not, as the next start
   * would have it.
   * @throws ClawError('BAD_ARGUMENT') when there is no such name; ClawError('ADDRESS_IN_USE') when
   *   switching on finds the port taken (it stays off then).
   */
  async setEnabled(
    name: string,
    enabled: boolean,
    kinds: readonly ForwardRecord['kind'][] = ['tcp', 'socks', 'http'],
  ): Promise<ToggleView> {
    if (this.reverse?.has(name) && kinds.includes('tcp')) return this.setReverseEnabled(name, enabled);
    const run = this.find(name, kinds, enabled ? 'enable' : 'disable');
    const saved = this.record(run);
    if (!enabled) {
      if (saved.enabled) this.deps.saved.editForward(name, (f) => ({ ...f, enabled: false }));
      await this.unbind(run);
    } else if (run.now.state !== 'listening') {
      // On failure the run keeps its state: off stays off, an error (and its retry) stays.
      const was = run.now;
      const listener = await this.listen(run, saved.listen);
      if (was.state === 'retrying') was.retry.cancel();
      try {
        if (!saved.enabled) this.deps.saved.editForward(name, (f) => ({ ...f, enabled: true }));
      } catch (err) {
        await this.unbind(run);
        throw err;
      }
      this.keepBoundPort(name, saved.listen, listener);
    } else if (!saved.enabled) {
      this.deps.saved.editForward(name, (f) => ({ ...f, enabled: true }));
    }
    this.deps.notices.changed();
    const record = this.record(run);
    const { now } = run;
    return {
      name,
      kind: record.kind,
      state: apiState(now),
      local: localAddress(run, record),
      ...(now.state === 'retrying' || now.state === 'failed' ? { error: now.error } : {}),
    };
  }

  /**
   * The dialer for `record`'s connections: its own exit peer is reached by fingerprint, under the name
   * that peer has now, and a peer that is gone is refused with why (a SOCKS client that names another
   * peer as its user name gets that peer, as it asked).
   */
  private dialerFor(record: ForwardRecordInput): Dialer {
    const { via, viaFingerprint } = record;
    if (via === undefined || viaFingerprint === undefined) return this.dialer;
    /** The name to dial `peer` by now, or why the bound peer cannot be dialed. */
    const peerNow = (peer: string): string => {
      if (peer !== via) return peer;
      const entry = this.boundPeer(record);
      if (entry) return entry.record.name;
      const what = record.kind === 'tcp' ? 'forward' : 'proxy';
      throw new ConnectError(
        'unknown-peer',
        `${via} (${viaFingerprint.slice(0, 8)}…), the peer this ${what} goes through, is no longer a peer here: pair it again, or remove the ${what} and add it via another peer`,
      );
    };
    const dialer = this.dialer;
    return {
      connect: async (peer, host, port, opts) => dialer.connect(peerNow(peer), host, port, opts),
      ...(dialer.connectUdp
        ? {
            connectUdp: async (peer: string, host: string, port: number, idleMs: number) =>
              dialer.connectUdp!(peerNow(peer), host, port, idleMs),
          }
        : {}),
    };
  }

  /** Connections open right now over all listeners (while any are, byte counters move). */
  openConnections(): number {
    let n = this.reverse?.openConnections() ?? 0;
    for (const r of this.running.values()) n += r.counters.open;
    return n;
  }

  /** Names already in use (forwards and proxies share one namespace, so `rm NAME` is never ambiguous). */
  names(): Set<string> {
    return new Set([...this.running.keys(), ...(this.reverse?.names() ?? [])]);
  }

  private withRecords(): { run: Run; record: ForwardRecord }[] {
    return [...this.running.values()].map((run) => ({ run, record: this.record(run) }));
  }

  forwards(): ForwardInfo[] {
    const local: ForwardInfo[] = this.withRecords()
      .filter(({ record }) => record.kind === 'tcp')
      .map(({ run, record }) => ({
        name: record.name,
        direction: 'local',
        local: localAddress(run, record),
        via: this.viaName(record) ?? '',
        viaFingerprint: record.viaFingerprint ?? null,
        remote: record.remote ?? '',
        ...runStatus(run),
        ...udpStatus(run, record),
      }));
    return local.concat(this.reverseInfos());
  }

  /** Reverse forwards as `forward list` shows them (after the local ones, in saved order); shares apart. */
  private reverseInfos(): ForwardInfo[] {
    return this.reverseEntries()
      .filter(({ record }) => record.share === undefined)
      .map(({ info }) => info);
  }

  /** Shared folders (reverse forwards served by share/, ADR 0052): each saved record and its state. */
  /** The ports this node listens on for its peers now (`status`, `share list`). */
  listeningForPeers(): PeerListenerInfo[] {
    return this.peerListeners();
  }

  shares(): { record: ForwardRecord; info: ForwardInfo }[] {
    return this.reverseEntries().filter(({ record }) => record.share !== undefined);
  }

  private reverseEntries(): { record: ForwardRecord; info: ForwardInfo }[] {
    const reverse = this.reverse;
    if (!reverse) return [];
    return this.deps.saved
      .list()
      .filter((f) => reverse.has(f.name))
      .map((record) => ({ record, info: reverse.info(record, this.viaName(record) ?? '') }));
  }

  private async addReverse(record: ForwardRecord): Promise<string> {
    if (!this.reverse) throw new ClawError('INTERNAL', 'reverse forwards are not running');
    const name = await this.reverse.add(record);
    return name;
  }

  private setReverseEnabled(name: string, enabled: boolean): ToggleView {
    const saved = this.deps.saved.forward(name)!;
    if (saved.enabled !== enabled) this.deps.saved.editForward(name, (f) => ({ ...f, enabled }));
    this.reverse!.setEnabled(name, enabled);
    const status = this.reverse!.status(name);
    return { name, kind: 'tcp', local: saved.remote ?? '', ...status };
  }

  proxies(): ProxyInfo[] {
    return this.withRecords()
      .filter(({ record }) => record.kind !== 'tcp')
      .map(({ run, record }) => {
        const kind = record.kind as 'socks' | 'http';
        const local = localAddress(run, record);
        const via = this.viaName(record);
        return {
          name: record.name,
          kind,
          local,
          via: via ?? null,
          viaFingerprint: record.viaFingerprint ?? null,
          secret: record.secret ?? null,
          url: proxyUrl(kind, local, via, record.secret),
          ...runStatus(run),
        };
      });
  }

  /** The peer `record` is bound to, while it is one (undefined: gone, or no fingerprint saved). */
  private boundPeer(record: Pick<ForwardRecord, 'viaFingerprint'>): ReadonlyPeerEntry | undefined {
    const fp = record.viaFingerprint;
    return fp === undefined ? undefined : this.deps.links.peerEntries().find((e) => e.fingerprint === fp);
  }

  /** The exit peer's name now (it may have been paired again under another name), else the saved one. */
  private viaName(record: ForwardRecord): string | undefined {
    return this.boundPeer(record)?.record.name ?? record.via;
  }

  /** Closes every listener and its connections; the saved list stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.reverse?.stop();
    await Promise.all([...this.running.values()].map((r) => this.unbind(r)));
    this.running.clear();
  }

  /**
   * Binds `run` on `listen` and puts it in `listening`; `stillWanted` (for retries) is asked after
   * binding, and a false answer unbinds and throws nothing (the run is left as it is).
   */
  private async listen(
    run: Run,
    listen: string,
    stillWanted: () => boolean = () => true,
    input?: ForwardRecordInput,
  ): Promise<BoundListener> {
    const { host, port } = parseHostPort(listen, '127.0.0.1');
    const record = input ?? this.deps.saved.forward(run.name);
    const listener =
      record?.protocol === 'udp'
        ? await listenUdp(host, port, this.udpContext(run, record))
        : await listenTcp(host, port, (socket) => this.accept(run, socket));
    if (!stillWanted()) {
      await listener.close();
      return listener;
    }
    run.now = { state: 'listening', listener };
    run.problem = undefined; // a listener that starts again has had no connection yet
    this.deps.log.info({ forward: run.name, local: listener.address }, 'listener up');
    return listener;
  }

  private accept(run: Run, socket: Socket): void {
    run.counters.connections++;
    run.counters.open++;
    this.activity.emit('moved');
    socket.once('close', () => {
      run.counters.open--;
      this.activity.emit('moved');
    });
    // The record as saved now: a SOCKS proxy whose exit peer was renamed dials it by its new name.
    const record = this.deps.saved.forward(run.name);
    if (!record) return void socket.destroy();
    const ctx = this.frontEndContext(run, record);
    const { secret } = record;
    // Each handler says its failures itself; a throw past that (a bug) ends this connection only.
    const served = (handling: Promise<void>) =>
      background(handling, (err) => {
        this.deps.log.warn({ forward: run.name }, `connection failed: ${errorMessage(err)}`);
        socket.destroy();
      });
    if (record.kind === 'socks') served(handleSocksConnection(socket, { ...ctx, via: record.via, secret }));
    else if (record.kind === 'http')
      served(handleHttpProxyConnection(socket, { ...ctx, via: record.via ?? '', secret }));
    else {
      const remote = parseHostPort(record.remote ?? '');
      served(handleTcpForwardConnection(socket, { ...ctx, via: record.via ?? '', ...remote }));
    }
  }

  /** What a front end reports to: the run's counters and problem, this manager's notices. */
  private frontEndContext(run: Run, record: ForwardRecordInput): FrontEndContext {
    return {
      name: record.name,
      noun: noun(record),
      dialer: this.dialerFor(record),
      log: this.deps.log,
      counters: {
        bytesIn: (n) => (run.counters.bytesIn += n),
        bytesOut: (n) => (run.counters.bytesOut += n),
      },
      problem: (message, fields, quiet) => {
        run.problem = { message, at: Date.now() };
        if (!quiet)
          this.deps.notices.notice(
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
      track: trackerFor(this.deps.connections, this.deps.links),
    };
  }

  /**
   * A UDP forward's flows: each opens through the exit peer as the saved record has it then (bound by
   * fingerprint, as a TCP connection is), and counts on the run.
   */
  private udpContext(run: Run, input: ForwardRecordInput): UdpForwardContext {
    const ctx = this.frontEndContext(run, input);
    const remote = parseHostPort(input.remote ?? '');
    const via = input.via ?? '';
    const idleMs = input.udpIdleMs ?? DEFAULT_UDP_IDLE_MS;
    const c = run.counters;
    return {
      ...ctx,
      via,
      target: formatHostPort(remote.host, remote.port),
      idleMs,
      track: trackerFor(this.deps.connections, this.deps.links),
      open: () => {
        const record = this.deps.saved.forward(run.name) ?? input;
        const dial = this.dialerFor(record);
        if (!dial.connectUdp) {
          return Promise.reject(new ConnectError('general', 'this node cannot forward UDP'));
        }
        return dial.connectUdp(via, remote.host, remote.port, idleMs);
      },
      counters: {
        datagramIn: (n) => {
          c.datagramsIn++;
          c.bytesIn += n;
        },
        datagramOut: (n) => {
          c.datagramsOut++;
          c.bytesOut += n;
        },
        dropped: () => c.dropped++,
        flow: (open) => {
          if (open) c.connections++;
          c.open += open ? 1 : -1;
          this.activity.emit('moved');
        },
      },
    };
  }
}

function isReverse(record: Pick<ForwardRecord, 'direction'>): boolean {
  return record.direction === 'reverse';
}

/** A bound listener of either protocol, as a run keeps it. */
type BoundListener = Pick<TcpListener, 'address' | 'close'>;

function noun(record: ForwardRecordInput): 'forward' | 'proxy' {
  return record.kind === 'tcp' ? 'forward' : 'proxy';
}
