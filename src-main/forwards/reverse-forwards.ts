/**
 * This node's reverse forwards (like `ssh -R`; ADR 0018), as the client that asks peers to listen:
 * saved as TCP forwards with `direction: 'reverse'`, whose `listen` is an address on the peer `via` and
 * `remote` where its connections go as this node sees it. Each one that is on keeps one
 * `reverse-listen` stream open to its peer while the peer is online (the peer listens as long as the
 * stream lives) and asks again when the link comes back; a refusal (the port taken there, no
 * permission) is its state `error` with the peer's reason, asked again on the backoff schedule of
 * retry-schedule.ts. A reverse UDP forward (`protocol: 'udp'`; ADR 0019) asks the peer for a UDP
 * listener instead. The connections that then arrive are reverse-carrier.ts's, counted on the run
 * (reverse-run.ts), as a local forward's are on its run (forward-run.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { SavedForwards } from './saved-forwards.js';
import type { Notices } from '../state/notices.js';
import type { PeerDirectory, ReadonlyPeerEntry, PeerStreams } from '../links/ports.js';
import type { ServiceRegistry } from '../services/services.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { ForwardInfo, ForwardState } from './forwards-contract.js';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import type { MuxStream } from '../mux/stream.js';
import { readMessage } from './read-message.js';
import { RETRY_MAX_S, RetrySchedule, realTimers, type RetryTimers } from './retry-schedule.js';
import {
  decodeReverseAnswer,
  REVERSE_ANSWER_TIMEOUT_MS,
  REVERSE_CONNECT_SERVICE,
  REVERSE_LISTEN_SERVICE,
  type ReverseListenArgs,
} from './reverse-protocol.js';
import type { StreamResumes } from './stream-resumes.js';
import { zeroCounters } from './forward-run.js';
import { ReverseCarrier, type LocalReverseTarget } from './reverse-carrier.js';
import { peerSide, type ReverseRun } from './reverse-run.js';
import { udpStatus } from './udp-status.js';
import { isoTime } from '../core/iso-time.js';
import { DisposableStore } from '../core/disposables.js';

export interface ReverseForwardsDeps {
  readonly log: Logger;
  readonly notices: Pick<Notices, 'changed' | 'notice' | 'onChanged'>;
  readonly saved: Pick<SavedForwards, 'forward' | 'saveForward'>;
  readonly links: Pick<PeerDirectory, 'peerEntries'> & Pick<PeerStreams, 'openStream'>;
  readonly services: Pick<ServiceRegistry, 'register'>;
  /** What serves some reverse forwards' connections in this process instead of a dial (shares). */
  readonly local?: LocalReverseTarget | undefined;
}

/**
 * The `reverse-listen` arguments for a record (its `listen`, with `localhost` as 127.0.0.1; a UDP one
 * says so, with its idle time when not the default).
 */
export function listenArgs(record: ForwardRecord, id: string): ReverseListenArgs {
  const { host, port } = parseHostPort(record.listen, '127.0.0.1');
  return {
    v: 1,
    host: host.toLowerCase() === 'localhost' ? '127.0.0.1' : host,
    port,
    id,
    ...(record.protocol === 'udp'
      ? { protocol: 'udp' as const, ...(record.udpIdleMs !== undefined ? { idleMs: record.udpIdleMs } : {}) }
      : {}),
  };
}

export class ReverseForwards {
  private readonly runs = new Map<string, ReverseRun>();
  /** A connection opened or closed (the forward manager passes it on: forward-manager.ts `activity`). */
  readonly activity = new Emitter<{ moved: [] }>();
  private readonly disposables = new DisposableStore();
  /** Carries the connections that arrive for these forwards. */
  private readonly carrier: ReverseCarrier;
  private kickPending = false;
  private stopped = false;

  constructor(
    private readonly deps: ReverseForwardsDeps,
    private readonly timers: RetryTimers = realTimers,
    /** Halves of resumable streams (ADR 0023); absent: a connection's `resume` argument is ignored. */
    resumes?: StreamResumes,
  ) {
    this.carrier = new ReverseCarrier({
      log: deps.log,
      saved: deps.saved,
      local: deps.local,
      resumes,
      runById: (id) => [...this.runs.values()].find((r) => r.id === id),
      moved: () => this.activity.emit('moved'),
    });
    deps.services.register(REVERSE_CONNECT_SERVICE, {
      // Any peer may try; only an id of a reverse forward this node has to that very peer is served.
      permission: null,
      noun: 'reverse connections',
      admits: 'connection',
      kind: 'reverse',
      handle: (req, served) => this.carrier.serve(req, served),
    });
    // A link that comes up (or any other change) may let waiting forwards ask now: once per turn.
    this.disposables.add(
      deps.notices.onChanged(() => {
        if (this.kickPending || this.stopped) return;
        this.kickPending = true;
        setImmediate(() => {
          this.kickPending = false;
          for (const run of this.runs.values()) if (run.now.state === 'waiting') this.ask(run);
        });
      }),
    );
  }

  has(name: string): boolean {
    return this.runs.has(name);
  }

  names(): string[] {
    return [...this.runs.keys()];
  }

  /** Starts a saved reverse forward (switched-off ones stay off). */
  restore(record: ForwardRecord): void {
    const run = this.newRun(record.name);
    if (record.enabled) this.ask(run);
  }

  /**
   * Adds one: asked of its peer at once when the peer is online (a refusal throws, and nothing is
   * saved), else saved to be asked when the peer comes online.
   */
  async add(record: ForwardRecord): Promise<string> {
    const run: ReverseRun = this.newRun(record.name, false);
    const entry = this.peerOf(record);
    if (entry?.links.active) {
      const generation = ++run.generation;
      const { stream, bound } = await this.request(entry, listenArgs(record, run.id), record);
      try {
        this.deps.saved.saveForward(record);
      } catch (err) {
        stream.destroy();
        throw err;
      }
      this.runs.set(record.name, run);
      this.listening(run, generation, stream, bound);
    } else {
      this.deps.saved.saveForward(record);
      this.runs.set(record.name, run);
      this.ask(run);
    }
    this.deps.notices.changed();
    return record.name;
  }

  /** Switches one on (asked again now) or off (its stream ends, so the peer stops listening). */
  setEnabled(name: string, enabled: boolean): void {
    const run = this.runs.get(name);
    if (!run) return;
    if (!enabled) this.halt(run);
    else if (run.now.state !== 'listening' && run.now.state !== 'asking') {
      this.halt(run);
      this.ask(run);
    }
    this.deps.notices.changed();
  }

  /** Forgets one (its record is removed by the caller); the peer stops listening. */
  remove(name: string): void {
    const run = this.runs.get(name);
    if (!run) return;
    this.halt(run);
    this.runs.delete(name);
  }

  stop(): void {
    this.stopped = true;
    this.disposables.dispose();
    for (const run of this.runs.values()) this.halt(run);
    this.runs.clear();
  }

  openConnections(): number {
    let n = 0;
    for (const r of this.runs.values()) n += r.counters.open;
    return n;
  }

  /** The API state and, for `error`, why. */
  status(name: string): { state: ForwardState; error?: string } {
    const now = this.runs.get(name)?.now ?? { state: 'off' };
    switch (now.state) {
      case 'off':
      case 'listening':
        return { state: now.state };
      case 'waiting':
        return { state: 'error', error: now.why };
      case 'asking':
        return { state: 'error', error: now.error ?? 'asking the peer to listen' };
      case 'retrying':
        return { state: 'error', error: now.error };
    }
  }

  /** `forward list`'s entry for one; `via` is the peer's name now. */
  info(record: ForwardRecord, via: string): ForwardInfo {
    const run = this.runs.get(record.name);
    const counters = run?.counters ?? zeroCounters();
    const now = run?.now;
    const retryAt = now?.state === 'retrying' ? now.retry.retryAt : undefined;
    return {
      name: record.name,
      direction: 'reverse',
      // This node's side first, as for a local forward: where connections end up here…
      local: record.remote ?? '',
      via,
      viaFingerprint: record.viaFingerprint ?? null,
      // …and the peer's side: where it listens (the bound address once it does).
      remote: now?.state === 'listening' ? now.bound : record.listen,
      ...this.status(record.name),
      open: counters.open,
      connections: counters.connections,
      bytesIn: counters.bytesIn,
      bytesOut: counters.bytesOut,
      ...(retryAt !== undefined ? { retryAt: isoTime(retryAt) } : {}),
      ...(run?.problem && now?.state === 'listening'
        ? { lastProblem: { message: run.problem.message, at: isoTime(run.problem.at) } }
        : {}),
      ...udpStatus({ counters }, record),
    };
  }

  private newRun(name: string, keep = true): ReverseRun {
    const run: ReverseRun = {
      name,
      id: randomBytes(8).toString('hex'),
      now: { state: 'off' },
      generation: 0,
      counters: zeroCounters(),
    };
    if (keep) this.runs.set(name, run);
    return run;
  }

  private peerOf(record: ForwardRecord): ReadonlyPeerEntry | undefined {
    const fp = record.viaFingerprint;
    return fp === undefined ? undefined : this.deps.links.peerEntries().find((e) => e.fingerprint === fp);
  }

  /** Ends whatever the run has under way; it is `off` after. */
  private halt(run: ReverseRun): void {
    run.generation++;
    const now = run.now;
    run.now = { state: 'off' };
    if (now.state === 'retrying') now.retry.cancel();
    if (now.state === 'listening') now.stream.destroy();
  }

  /** Asks the peer to listen now when it is online; else waits for it. */
  private ask(run: ReverseRun): void {
    if (this.stopped || run.now.state === 'listening' || run.now.state === 'asking') return;
    const record = this.deps.saved.forward(run.name);
    if (!record) return;
    const entry = this.peerOf(record);
    if (!entry?.links.active) {
      const why = entry
        ? `${entry.record.name} is not online; it listens again once ${entry.record.name} is back`
        : `${record.via ?? 'its peer'} is no longer a peer here`;
      if (run.now.state !== 'waiting' || run.now.why !== why) {
        if (run.now.state === 'retrying') run.now.retry.cancel();
        run.now = { state: 'waiting', why };
        this.deps.notices.changed();
      }
      return;
    }
    const retrying = run.now.state === 'retrying' ? run.now : undefined;
    const generation = ++run.generation;
    // A retry keeps saying why until the peer answers.
    run.now = { state: 'asking', ...(retrying ? { error: retrying.error } : {}) };
    this.request(entry, listenArgs(record, run.id), record).then(
      ({ stream, bound }) => {
        retrying?.retry.cancel();
        if (run.generation !== generation) return void stream.destroy();
        this.listening(run, generation, stream, bound);
        this.deps.notices.notice({
          kind: 'forward',
          message: `forward ${run.name}: ${entry.record.name} listens on ${bound} now`,
        });
        this.deps.notices.changed();
      },
      (err: unknown) => {
        if (run.generation !== generation) return;
        if (isClawError(err, 'PEER_OFFLINE')) {
          retrying?.retry.cancel();
          run.now = { state: 'off' };
          return this.ask(run);
        }
        this.retryLater(run, errorMessage(err), retrying?.retry);
      },
    );
  }

  /**
   * The peer refused or the stream was lost while it is online: state `error` with why, asked again
   * on the backoff schedule (a notice the first time).
   */
  private retryLater(run: ReverseRun, why: string, retry?: RetrySchedule): void {
    const error = `${why}; asking again every ${RETRY_MAX_S} s at most`;
    if (!retry) {
      this.deps.notices.notice({ kind: 'forward', message: `forward ${run.name}: ${error}` });
      retry = new RetrySchedule(
        () => {
          if (run.now.state !== 'retrying' || run.now.retry !== retry) return Promise.resolve(true);
          this.ask(run);
          // ask() schedules the next attempt itself when this one fails.
          return Promise.resolve(true);
        },
        this.timers,
        () => this.deps.notices.changed(),
      );
    }
    run.now = { state: 'retrying', error, retry };
    retry.next();
    this.deps.notices.changed();
  }

  private listening(run: ReverseRun, generation: number, stream: MuxStream, bound: string): void {
    run.now = { state: 'listening', stream, bound };
    run.problem = undefined;
    this.deps.log.info({ forward: run.name, remote: bound }, 'reverse listener up');
    stream.on('error', () => undefined);
    stream.resume();
    stream.once('close', () => {
      if (run.generation !== generation || run.now.state !== 'listening' || run.now.stream !== stream) return;
      run.now = { state: 'off' };
      this.deps.log.info({ forward: run.name }, 'reverse listener lost');
      const saved = this.deps.saved.forward(run.name);
      const entry = saved && this.peerOf(saved);
      // The link went: wait for it. Still online (the peer dropped it, or the path changed): again soon.
      if (entry?.links.active) this.retryLater(run, `${entry.record.name} stopped listening`);
      else this.ask(run);
      this.deps.notices.changed();
    });
  }

  /**
   * Opens `reverse-listen` and reads the peer's answer.
   * @throws ClawError with the peer's refusal as one line
   */
  private async request(
    entry: ReadonlyPeerEntry,
    args: ReverseListenArgs,
    record: ForwardRecord,
  ): Promise<{ stream: MuxStream; bound: string }> {
    let stream: MuxStream;
    try {
      stream = (await this.deps.links.openStream(entry, REVERSE_LISTEN_SERVICE, args)).stream;
    } catch (err) {
      // The peer's reason is one line of plain text: said as it is, after who refused what.
      if (!isClawError(err, 'STREAM_REJECTED')) throw err;
      throw new ClawError(
        'CONNECT_FAILED',
        `${entry.record.name} refused to listen on ${peerSide(record)}: ${errorMessage(err)}`,
      );
    }
    const ignore = () => undefined;
    stream.on('error', ignore);
    try {
      const answer = await readMessage(
        stream,
        decodeReverseAnswer,
        REVERSE_ANSWER_TIMEOUT_MS,
        'reverse-listen answer',
      );
      return { stream, bound: answer.bound };
    } catch (err) {
      stream.destroy();
      throw new ClawError(
        'CONNECT_FAILED',
        `${entry.record.name} did not listen on ${peerSide(record)}: ${errorMessage(err)}`,
      );
    } finally {
      stream.off('error', ignore);
    }
  }
}
