/**
 * This node's local listeners — TCP and UDP forwards, SOCKS5 and HTTP proxies — as runs (forward-run.ts):
 * bound on start, add and switch-on; a saved one whose port is taken shows state `error` and a notice
 * and retries on the backoff schedule of retry-schedule.ts until the port is free, it is switched off
 * or removed; closed with their port freed on remove, switch-off and stop. A run keeps only what runs;
 * its record is read from the saved forwards by name whenever it is needed. Its connections are
 * run-serving.ts's, its UDP flows udp-run-context.ts's.
 */
import type { Logger } from 'pino';
import type { SavedForwards } from './saved-forwards.js';
import type { Notifier } from '../state/notices.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { ForwardState } from './forwards-contract.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { apiState, cancelRetry, localAddress, newRun, type Run } from './forward-run.js';
import { listenTcp, type TcpListener } from './listener.js';
import { RETRY_MAX_S, RetrySchedule, type RetryTimers } from './retry-schedule.js';
import { forwardNoun as noun, type RunServing, type ServedRecord } from './run-serving.js';
import { listenUdp, type UdpForwardContext } from './udp-forward.js';

/** A forward to add: `enabled` defaults to true, as in the saved settings. */
export type ForwardRecordInput = ServedRecord;

/** What switching a forward on or off answers. */
export interface ToggleView {
  name: string;
  kind: ForwardRecord['kind'];
  state: ForwardState;
  local: string;
  error?: string;
}

/** A bound listener of either protocol, as a run keeps it. */
type BoundListener = Pick<TcpListener, 'address' | 'close'>;

/** What the local runs use. */
export interface LocalForwardsDeps {
  readonly log: Logger;
  readonly notices: Notifier;
  readonly saved: SavedForwards;
  /** Serves each run's accepted connections. */
  readonly serving: Pick<RunServing, 'accept'>;
  /** The context a UDP run's listener serves its flows with. */
  udpContext(run: Run, input: ForwardRecordInput): UdpForwardContext;
  readonly timers: RetryTimers;
}

export class LocalForwards {
  private readonly running = new Map<string, Run>();
  private stopped = false;

  constructor(private readonly deps: LocalForwardsDeps) {}

  has(name: string): boolean {
    return this.running.has(name);
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  /** Connections (and UDP flows) open now over every local listener. */
  openConnections(): number {
    let n = 0;
    for (const r of this.running.values()) n += r.counters.open;
    return n;
  }

  /** Every run with its saved record, in the order they were started. */
  withRecords(): { run: Run; record: ForwardRecord }[] {
    return [...this.running.values()].map((run) => ({ run, record: this.record(run) }));
  }

  /** The saved record of a run. Runs and records come and go together, so it is always there. */
  private record(run: Run): ForwardRecord {
    const record = this.deps.saved.forward(run.name);
    if (!record) throw new ClawError('INTERNAL', `forward ${run.name} runs but is not saved`);
    return record;
  }

  /**
   * Starts a saved listener; one that cannot bind is kept in an error state with a notice, one the
   * user switched off stays `off`.
   */
  async restore(record: ForwardRecord): Promise<void> {
    const run = newRun(record.name, { state: 'off' });
    this.running.set(record.name, run);
    if (!record.enabled) return;
    try {
      const listener = await this.listen(run, record.listen);
      // Saved on port 0 by an older release: from now on it keeps the port it got.
      this.keepBoundPort(record.name, record.listen, listener);
    } catch (err) {
      if (isClawError(err, 'ADDRESS_IN_USE')) return this.startRetry(run);
      run.now = { state: 'failed', error: errorMessage(err) };
      this.deps.notices.notice(
        { kind: noun(record), message: `${noun(record)} ${record.name}: ${run.now.error}` },
        { forward: record.name },
      );
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
   * (another notice says so), or it is switched off, removed or the runs stop.
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
      this.deps.timers,
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
   * after the port it got). The caller checked that the name is free.
   * @throws ClawError('BAD_ARGUMENT') when the name was taken meanwhile, ClawError('ADDRESS_IN_USE') when the port is.
   */
  async add(input: ForwardRecordInput, nameForPort?: (port: number) => string): Promise<string> {
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
    kinds: readonly ForwardRecord['kind'][],
  ): Promise<ToggleView> {
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

  /** Closes every listener and its connections; the saved list stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
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
        ? await listenUdp(host, port, this.deps.udpContext(run, record))
        : await listenTcp(host, port, (socket) => this.deps.serving.accept(run, socket));
    if (!stillWanted()) {
      await listener.close();
      return listener;
    }
    run.now = { state: 'listening', listener };
    run.problem = undefined; // a listener that starts again has had no connection yet
    this.deps.log.info({ forward: run.name, local: listener.address }, 'listener up');
    return listener;
  }
}
