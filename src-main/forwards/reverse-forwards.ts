/**
 * This node's reverse forwards (like `ssh -R`; ADR 0018): saved as TCP forwards with
 * `direction: 'reverse'`, whose `listen` is an address on the peer `via` and `remote` where its
 * connections go as this node sees it. Each one that is on keeps one `reverse-listen` stream open to
 * its peer while the peer is online (the peer listens as long as the stream lives) and asks again when
 * the link comes back; a refusal (the port taken there, no permission) is its state `error` with the
 * peer's reason, asked again on the backoff schedule of retry-schedule.ts. Connections arrive as
 * `reverse-connect` streams; only an id of one of this node's listening reverse forwards to that very
 * peer is served. Counters are kept here, as a local forward's are in forward-manager.ts.
 *
 * A reverse UDP forward (`protocol: 'udp'`; ADR 0019) asks the peer for a UDP listener instead; each
 * `reverse-connect` stream is then one client flow there, served here by the udp-connect exit
 * (`serveUdpConnect`) towards the forward's target, with this forward's counters.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { SavedForwards } from './saved-forwards.js';
import type { Notices } from '../state/notices.js';
import type { PeerDirectory, ReadonlyPeerEntry, PeerStreams } from '../links/ports.js';
import type {
  ConnectionAdmission,
  ServedConnection,
  ServiceRegistry,
  ServiceRequest,
} from '../services/services.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { ConnectionKind } from '../api/contract.js';
import type { ForwardInfo, ForwardState } from './forwards-contract.js';
import { describeZodError } from '../core/zod-error.js';
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
  reverseConnectArgsSchema,
  type ReverseListenArgs,
} from './reverse-protocol.js';
import { splice } from './splice.js';
import type { StreamResumes } from './stream-resumes.js';
import { classifyDialError, dial } from './tcp-connect-service.js';
import { zeroCounters, type Counters } from './forward-run.js';
import { ExitConnections } from './exit-connections.js';
import { serveUdpConnect, type UdpExitWatch } from './udp-connect-service.js';
import { UDP_CONNECT_SERVICE, UDP_CONNECT_VERSION } from './udp-connect-protocol.js';
import { DEFAULT_UDP_IDLE_MS } from './forward-bounds.js';
import { MAX_UDP_FLOWS_PER_FORWARD } from './udp-forward.js';
import { udpStatus } from './udp-status.js';
import { isoTime } from '../core/iso-time.js';
import { DisposableStore } from '../core/disposables.js';

/**
 * TCP connections one reverse forward carries here at once, counted from before the dial (docs/security.md):
 * each is a socket to the forward's target, and the peer that listens decides how many it opens. Its
 * own listener for the forward admits as many (reverse-listen-service.ts), so a peer within it never
 * meets this cap; beyond it a `reverse-connect` is refused with why, and the target is not dialed.
 * Half of a local forward's listener cap: to the target here, all of them come from the one peer, as
 * from one source (listener.ts MAX_FORWARD_CONNECTIONS_PER_SOURCE).
 */
export const MAX_REVERSE_CONNECTIONS_PER_FORWARD = 512;

/**
 * - `off`: switched off by the user;
 * - `waiting`: its peer is not online (or no longer a peer); asked again when a link comes up;
 * - `asking`: a `reverse-listen` request is under way;
 * - `listening`: the peer listens on `bound` while `stream` is open;
 * - `retrying`: the peer refused (`error` is its reason) or dropped it; asked again by `retry`.
 */
export type ReverseState =
  | { state: 'off' }
  | { state: 'waiting'; why: string }
  | { state: 'asking'; error?: string }
  | { state: 'listening'; stream: MuxStream; bound: string }
  | { state: 'retrying'; error: string; retry: RetrySchedule };

export interface ReverseRun {
  name: string;
  /** Names this forward on the wire (a fresh one per agent run; never saved). */
  readonly id: string;
  now: ReverseState;
  /** Bumped by every change of plan, so an answer to an older request is dropped. */
  generation: number;
  readonly counters: Counters;
  problem?: { message: string; at: number };
  /** A reverse UDP forward's flows open here now (each a socket), held to its cap per forward. */
  flows?: ExitConnections;
  /** A reverse TCP forward's connections being dialed or open here now (MAX_REVERSE_CONNECTIONS_PER_FORWARD). */
  carried?: number;
}

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
 * Serves the connections of some reverse forwards here, in this process, instead of dialing their
 * `remote` (a shared folder's file server, src-main/share/; ADR 0052): the peer listens and each
 * connection comes back as usual, then goes to `serve` rather than to a socket.
 */
export interface LocalReverseTarget {
  /** What its connections are in `connections`. */
  readonly kind: ConnectionKind;
  /** Where `record`'s connections go, as `connections` lists it, when they are served here; else undefined. */
  describe(record: ForwardRecord): string | undefined;
  /**
   * At the cap of connections one reverse forward carries (MAX_REVERSE_CONNECTIONS_PER_FORWARD), ends
   * one of `record`'s that costs nobody anything yet (a share's connection still waiting for a
   * request) so a new one can be served; false when none may be ended, and the new one is refused.
   */
  makeRoom?(record: ForwardRecord): boolean;
  /**
   * Serves one connection: `stream` carries the client's bytes; resolves once it closed, with how it
   * went in a few words for its summary in the audit log (`3 requests`), if it says. `received`
   * counts bytes from the peer's client, `sent` bytes back to it.
   */
  serve(
    record: ForwardRecord,
    stream: Duplex,
    connection: ServedConnection,
    count: { received(n: number): void; sent(n: number): void },
  ): Promise<string | undefined>;
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

/** How the peer's side of a record is named in what the user reads: `127.0.0.1:53 (UDP)` for UDP. */
function peerSide(record: ForwardRecord): string {
  return record.protocol === 'udp' ? `${record.listen} (UDP)` : record.listen;
}

export class ReverseForwards {
  private readonly runs = new Map<string, ReverseRun>();
  /** A connection opened or closed (the forward manager passes it on: forward-manager.ts `activity`). */
  readonly activity = new Emitter<{ moved: [] }>();
  private readonly disposables = new DisposableStore();
  private kickPending = false;
  private stopped = false;

  constructor(
    private readonly deps: ReverseForwardsDeps,
    private readonly timers: RetryTimers = realTimers,
    /** Halves of resumable streams (ADR 0023); absent: a connection's `resume` argument is ignored. */
    private readonly resumes?: StreamResumes,
  ) {
    deps.services.register(REVERSE_CONNECT_SERVICE, {
      // Any peer may try; only an id of a reverse forward this node has to that very peer is served.
      permission: null,
      noun: 'reverse connections',
      admits: 'connection',
      kind: 'reverse',
      handle: (req, served) => this.serveConnect(req, served),
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

  /** One connection the peer accepted on a reverse forward's listener: connect it to the target here. */
  private async serveConnect(req: ServiceRequest, served: ConnectionAdmission): Promise<void> {
    const parsed = reverseConnectArgsSchema().safeParse(req.args);
    if (!parsed.success) {
      return req.reject('BAD_REQUEST', `bad reverse-connect arguments: ${describeZodError(parsed.error)}`);
    }
    const run = [...this.runs.values()].find((r) => r.id === parsed.data.id);
    const record = run && this.deps.saved.forward(run.name);
    if (!run || !record || run.now.state !== 'listening' || record.viaFingerprint !== req.peer.fingerprint) {
      return req.reject(
        'PERMISSION_DENIED',
        `no reverse forward here listens on ${req.peer.name} under that id`,
      );
    }
    if (record.protocol === 'udp') return this.serveFlow(run, record, req, served);
    const resumeId = this.resumes ? parsed.data.resume : undefined;
    if (resumeId !== undefined && this.resumes?.has(req.peer.fingerprint, resumeId)) {
      return req.reject('BAD_REQUEST', 'bad reverse-connect arguments: that resume ID is already in use');
    }
    // Checked and counted in this same turn, before the dial: a burst cannot all pass the check first.
    // A connection served here may take the place of one that is only waiting (a share's slow client):
    // that one is ended now, and leaves the count once its stream has closed, a moment later.
    const local = this.deps.local;
    if (
      (run.carried ?? 0) >= MAX_REVERSE_CONNECTIONS_PER_FORWARD &&
      !(local?.describe(record) !== undefined && local.makeRoom?.(record))
    ) {
      const why = `${MAX_REVERSE_CONNECTIONS_PER_FORWARD} connections open already, the most one reverse forward carries; more are refused until some close`;
      run.problem = { message: why, at: Date.now() };
      this.activity.emit('moved');
      return req.reject('TOO_MANY_STREAMS', why);
    }
    run.carried = (run.carried ?? 0) + 1;
    try {
      const here = this.deps.local?.describe(record);
      if (here !== undefined) await this.carryHere(run, record, req, served, resumeId, here);
      else await this.carry(run, record, req, served, resumeId);
    } finally {
      run.carried--;
    }
  }

  /**
   * One connection of a reverse forward served in this process (a share), its place under the cap
   * taken: accept, then hand the stream to the local target until it closes.
   */
  private async carryHere(
    run: ReverseRun,
    record: ForwardRecord,
    req: ServiceRequest,
    served: ConnectionAdmission,
    resumeId: string | undefined,
    to: string,
  ): Promise<void> {
    const local = this.deps.local!;
    let stream: Duplex | undefined;
    let connection: ServedConnection;
    const peer = served.peer;
    try {
      const accepted = served.accept({
        kind: local.kind,
        from: `${peer.name} ${record.listen}`,
        to,
        close: (reason, refusal) =>
          stream?.destroy(new ClawError('STREAM_RESET', reason, refusal ? { refusal } : undefined)),
      });
      connection = accepted.connection;
      stream =
        resumeId !== undefined && this.resumes
          ? this.resumes.adopt(peer.fingerprint, resumeId, accepted.stream)
          : accepted.stream;
    } catch {
      return;
    }
    const { counters } = run;
    counters.connections++;
    counters.open++;
    run.problem = undefined;
    this.activity.emit('moved');
    // Counted as a dialed one's (carry): the run's `bytesIn` and the listing's out are what the peer's
    // clients sent towards here; the answers going back, the other two.
    let how: string | undefined;
    try {
      how = await local.serve(record, stream, connection, {
        received: (n) => {
          counters.bytesIn += n;
          connection.bytesOut(n);
        },
        sent: (n) => {
          counters.bytesOut += n;
          connection.bytesIn(n);
        },
      });
    } finally {
      connection.end(how);
      counters.open--;
      this.activity.emit('moved');
    }
  }

  /** One TCP connection of a reverse forward, its place under the cap taken: dial, accept, splice. */
  private async carry(
    run: ReverseRun,
    record: ForwardRecord,
    req: ServiceRequest,
    served: ConnectionAdmission,
    resumeId: string | undefined,
  ): Promise<void> {
    const target = parseHostPort(record.remote ?? '');
    const abort = new AbortController();
    let socket;
    try {
      socket = await dial(target.host, target.port, {
        limits: undefined,
        signal: abort.signal,
        notAllowed: '',
      });
    } catch (err) {
      const why = `cannot reach ${record.remote}: ${classifyDialError(err).message}`;
      run.problem = { message: why, at: Date.now() };
      this.activity.emit('moved');
      return req.reject('SERVICE_FAILED', why);
    }
    let stream: Duplex | undefined;
    let connection: ServedConnection;
    const peer = served.peer;
    try {
      // Listed while it lasts (`connections`): from the peer's listener to the target here; cut, both
      // the target's socket and the peer's stream go.
      const accepted = served.accept({
        from: `${peer.name} ${record.listen}`,
        to: record.remote ?? '',
        close: (reason, refusal) => {
          stream?.destroy(new ClawError('STREAM_RESET', reason, refusal ? { refusal } : undefined));
          if (!socket.destroyed) socket.resetAndDestroy();
        },
      });
      connection = accepted.connection;
      // A resumable stream survives its link (ADR 0023): the peer re-attaches it on its next link.
      stream =
        resumeId !== undefined && this.resumes
          ? this.resumes.adopt(peer.fingerprint, resumeId, accepted.stream)
          : accepted.stream;
    } catch {
      socket.destroy();
      return;
    }
    const { counters } = run;
    counters.connections++;
    counters.open++;
    run.problem = undefined;
    this.activity.emit('moved');
    // Bytes out (listed from → to): from the peer's side (its clients) to the target here; in: the answers.
    await splice(socket, stream, {
      bytesIn: (n) => {
        counters.bytesIn += n;
        connection.bytesOut(n);
      },
      bytesOut: (n) => {
        counters.bytesOut += n;
        connection.bytesIn(n);
      },
    });
    connection.end();
    counters.open--;
    this.activity.emit('moved');
  }

  /**
   * One client flow of a reverse UDP forward (the peer's listener opened it): served by the udp-connect
   * exit towards the forward's target, with no destination limits (the target is this node's own
   * choice) and at most MAX_UDP_FLOWS_PER_FORWARD flows, counted on the forward and listed while open.
   */
  private serveFlow(
    run: ReverseRun,
    record: ForwardRecord,
    req: ServiceRequest,
    served: ConnectionAdmission,
  ): Promise<void> {
    const target = parseHostPort(record.remote ?? '');
    const { counters } = run;
    run.flows ??= new ExitConnections();
    const watch: UdpExitWatch = {
      opened: () => {
        counters.connections++;
        counters.open++;
        run.problem = undefined;
        this.activity.emit('moved');
        return {
          // In: a datagram from the peer's clients, towards the target here; out: a reply going back.
          counters: {
            received: (n) => {
              counters.datagramsIn++;
              counters.bytesIn += n;
            },
            sent: (n) => {
              counters.datagramsOut++;
              counters.bytesOut += n;
            },
            dropped: () => counters.dropped++,
          },
          end: () => {
            counters.open--;
            this.activity.emit('moved');
          },
        };
      },
      failed: (why) => {
        run.problem = { message: why, at: Date.now() };
        this.activity.emit('moved');
      },
    };
    // The peer's request names only the forward; what the exit is asked is this node's own record.
    const request: ServiceRequest = {
      service: UDP_CONNECT_SERVICE,
      args: {
        v: UDP_CONNECT_VERSION,
        host: target.host,
        port: target.port,
        idleMs: record.udpIdleMs ?? DEFAULT_UDP_IDLE_MS,
      },
      peer: req.peer,
      reject: (code, reason) => req.reject(code, reason),
      signal: req.signal,
    };
    return serveUdpConnect(
      {
        name: `forward ${run.name}`,
        log: this.deps.log,
        limitsFor: () => undefined,
        open: run.flows,
        maxFlows: MAX_UDP_FLOWS_PER_FORWARD,
        watch,
        // Listed as the reverse flow it is, from where the peer listens; the target is this node's
        // own choice, so no limits apply (the peer's removal ends it all the same).
        listAs: { kind: 'reverse-udp', from: `${req.peer.name} ${peerSide(record)}` },
        recheck: null,
      },
      request,
      served,
    );
  }
}
