/**
 * Terminal sessions this node has open on its peers, owned by the agent rather than by a viewer: the
 * streaming methods `terminal.open` (a new session) and `terminal.attach` (a viewer comes back to one),
 * `terminal.list` and `terminal.close`.
 *
 * A session opened by a viewer that acknowledges output itself (the window: `viewerAcks: true`)
 * survives the viewer leaving (a reload, a closed tab): it keeps running, its output consumed into a
 * bounded scrollback, and `terminal.attach` replays that scrollback before live output. A session
 * opened from the CLI's control socket (`viewerAcks: false`) ends with the socket, as it always did.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { TerminalEvent, TerminalInfo, TerminalSessionState } from './terminal-contract.js';
import type { StreamUpgradeHandlers, UpgradedStream } from '../api/stream-upgrade.js';
import type { ViewerChannel } from '../api/viewer-channel.js';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { openDirectPipes } from './direct-pipes.js';
import { openDirectTty } from './direct-tty.js';
import { fitText, type ExitStatus } from '../protocol/terminal-frames.js';
import { ReplayBuffer } from './sessions/replay-buffer.js';
import { TerminalClient, type NewSessionRequest, type TerminalStreamOpener } from './terminal-client.js';
import type { HandedOverTerminal } from './terminal-handover.js';
import { ViewerBridge, type BridgedSession, type DirectTerminal } from './viewer-bridge.js';
import type { ConnectionHandle } from '../connections/connection-table.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import { describeCommand } from './sessions/listed-process.js';
import { isoTime } from '../core/iso-time.js';

/**
 * Output kept per session for a viewer that attaches (again), in bytes (256 KiB): a few screens of
 * history for a reloaded page; at most MAX_OWNED_SESSIONS × this in memory.
 */
export const SCROLLBACK_BYTES = 256 * 1024;
/** How long an ended session stays listed (so a reloaded page sees how it ended), in ms (10 min). */
export const ENDED_SESSION_KEEP_MS = 10 * 60 * 1000;
/** Sessions this node keeps open on its peers at once (running or recently ended). */
export const MAX_OWNED_SESSIONS = 64;

/** Timers the idle timeout runs on: the real ones (unref'd), or a test's fake clock. */
export interface IdleTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: IdleTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What the sessions need from the agent (architecture.md §Rules the code keeps). */
export interface ViewerSessionsDeps {
  /** Finds a peer by name or fingerprint and says how to reach it. @throws ClawError('PEER_NOT_FOUND') */
  opener(peer: string): { fingerprint: string; opener: TerminalStreamOpener };
  resumeMs(): number;
  /**
   * How long a session that outlives its viewer is kept with none attached, in ms (the setting
   * detachedTerminalIdleMs), read when the last viewer leaves; absent: kept until it ends.
   */
  detachedIdleMs?: (() => number) | undefined;
  /** Timers for that timeout; absent: the real ones. */
  timers?: IdleTimers | undefined;
  log: Pick<Logger, 'info'>;
  /**
   * Where each running session is listed (services/opened-connections.ts), which also ends it at once
   * when its peer is removed here; absent: not listed.
   */
  connections?: ConnectionsOpened | undefined;
}

class OwnedSession {
  readonly id = randomBytes(8).toString('hex');
  readonly scrollback: ReplayBuffer;
  state: TerminalSessionState = 'connected';
  exit: ExitStatus | undefined;
  message: string | undefined;
  /** Whether the session outlives its viewer; decided by the first viewer's channel. */
  keepAlive = false;
  viewer: ViewerBridge | undefined;
  /** Its row in the node's connection table while it runs. */
  listed: ConnectionHandle | undefined;
  /** Running while nobody views it (detachedIdleMs): hangs it up when it fires. */
  idleTimer: unknown;
  /** Settles once the session is taken up on its peer (after a restart), or failed to be. */
  takenUp: Promise<unknown> = Promise.resolve();

  constructor(
    readonly peer: string,
    readonly peerName: string,
    readonly client: TerminalClient,
    /** What it runs, as the connection list says it. */
    readonly command: string,
    /** The peer's output offset the session starts at here (not 0 when taken up after a restart). */
    from = 0,
    readonly startedAt = isoTime(),
  ) {
    this.scrollback = new ReplayBuffer(SCROLLBACK_BYTES, from);
  }

  get ended(): boolean {
    return this.state === 'exited' || this.state === 'failed';
  }

  info(): TerminalInfo {
    return {
      id: this.id,
      peer: this.peer,
      peerName: this.peerName,
      state: this.state,
      path: this.ended || this.state === 'reconnecting' ? null : (this.client.path ?? null),
      ...(this.exit ? { exit: this.exit } : {}),
      ...(this.message !== undefined ? { message: this.message } : {}),
      attached: this.viewer !== undefined,
      startedAt: this.startedAt,
    };
  }
}

export class ViewerSessions {
  private readonly sessions = new Map<string, OwnedSession>();
  readonly events = new Emitter<{ terminal: [TerminalEvent] }>();
  private readonly timers: IdleTimers;
  /** Sessions being taken up by the peer's ID (`terminal.open` with `resume`), until they are listed. */
  private readonly resuming = new Map<string, Promise<OwnedSession>>();
  /** Set by handOver: the agent ends next, and its stop leaves the sessions to the next run. */
  private handedOver = false;

  constructor(private readonly deps: ViewerSessionsDeps) {
    this.timers = deps.timers ?? realTimers;
  }

  /** The streaming methods, for every transport (control socket, web UI, IPC). */
  readonly handlers: StreamUpgradeHandlers = {
    'terminal.open': (p) => this.open(p),
    'terminal.attach': (p) => this.attach(p),
  };

  list(): TerminalInfo[] {
    return [...this.sessions.values()].map((s) => s.info());
  }

  /**
   * Terminal `id` with the peer's ID for it (what a share names there: docs/adr/0123-shared-terminals.md).
   * @throws ClawError('BAD_ARGUMENT') when there is no such terminal here, or it has ended
   */
  remote(id: string): { info: TerminalInfo; session: string } {
    const s = this.find(id);
    if (s.ended || s.client.id === undefined)
      throw new ClawError(
        'BAD_ARGUMENT',
        `terminal '${id}' has ended; only a running terminal can be shared`,
      );
    return { info: s.info(), session: s.client.id };
  }

  /** Hangs up a session (its program gets the hang-up) or forgets an ended one. */
  close(id: string): { id: string } {
    this.hangUp(this.find(id), 'the terminal was closed');
    return { id };
  }

  /** Hangs up `s`, telling its viewer `reason` (`terminal.close`, `connections.close`). */
  private hangUp(s: OwnedSession, reason: string): void {
    this.stopIdle(s);
    s.viewer?.end({ type: 'error', message: fitText(reason) });
    s.client.close().catch(ignoreCloseFailure);
    this.forget(s);
  }

  /**
   * Ends every session; a viewer still attached is told `reason` first (not just a closed socket).
   * Resolves once the peers were told (TerminalClient.close).
   */
  async closeAll(reason?: string): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const s of this.sessions.values()) {
      this.stopIdle(s);
      if (this.handedOver) {
        // Handed over (terminal-handover.ts): the peer keeps the session for its resume window, and
        // the next run (or `term`, by the peer's ID) takes it up and logs its resume, as after a kill:
        // no end is logged. The viewer only loses its stream, which is not the session losing it.
        const viewer = s.viewer;
        s.viewer = undefined;
        s.listed = undefined;
        s.client.release();
        viewer?.release();
        continue;
      }
      s.listed?.end();
      if (reason !== undefined) s.viewer?.end({ type: 'error', message: fitText(reason) });
      closing.push(s.client.close());
    }
    this.sessions.clear();
    await Promise.all(closing);
  }

  /**
   * Ends a running session whose peer was removed here at once, rather than after trying to resume it
   * for the resume window: the viewer and the session list say why.
   */
  private peerGone(s: OwnedSession, reason: string): void {
    if (s.ended) return;
    s.state = 'failed';
    s.message = fitText(reason);
    s.viewer?.end({ type: 'error', message: s.message });
    s.client.close().catch(ignoreCloseFailure);
    this.ended(s);
  }

  private find(id: string): OwnedSession {
    const s = this.sessions.get(id);
    if (!s) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `no terminal session '${id}' here: \`clawbridge sessions\` lists them`,
      );
    }
    return s;
  }

  private async open({
    peer,
    resume,
    offset,
    ...request
  }: NewSessionRequest & { peer: string; resume?: string | undefined; offset?: number | undefined }): Promise<
    UpgradedStream<'terminal.open'>
  > {
    this.prune();
    const { fingerprint, opener } = this.deps.opener(peer);
    if (resume !== undefined) {
      // One taker per session: a second would resume it on the peer, each taking it from the other.
      const key = `${fingerprint}/${resume}`;
      const held = this.holding(fingerprint, resume);
      const pending = held ? Promise.resolve(held) : this.resuming.get(key);
      if (pending) return this.openHeld(await pending, offset ?? 0);
    }
    if (this.sessions.size >= MAX_OWNED_SESSIONS) {
      throw new ClawError('RELAY_LIMIT', `already ${MAX_OWNED_SESSIONS} terminals open; close one first`);
    }
    const client = new TerminalClient(opener, { resumeMs: this.deps.resumeMs(), log: this.deps.log });
    const command = describeCommand(request.command);
    let s: OwnedSession;
    if (resume !== undefined) {
      const key = `${fingerprint}/${resume}`;
      const resumed = client
        .resume(resume, offset ?? 0, { ...request, pipes: request.pty === false })
        .then(() =>
          this.add(new OwnedSession(fingerprint, opener.peerName, client, command, offset ?? 0), true),
        )
        .finally(() => this.resuming.delete(key));
      this.resuming.set(key, resumed);
      s = await resumed;
    } else {
      await client.start(request);
      s = this.add(new OwnedSession(fingerprint, opener.peerName, client, command), false);
    }
    return {
      result: {
        id: s.id,
        path: client.path!,
        remote: client.remote,
        pty: !client.pipes,
        session: client.id!,
      },
      attach: (channel) => this.connect(s, channel),
      cancel: () => this.close(s.id),
    };
  }

  /** Lists a session opened here and says so; `resumed`: taken up by the peer's ID. */
  private add(s: OwnedSession, resumed: boolean): OwnedSession {
    this.sessions.set(s.id, s);
    this.listConnection(s, resumed);
    this.wire(s);
    this.emit(s);
    return s;
  }

  /** The running session held here that is `session` on peer `fingerprint`, if any. */
  private holding(fingerprint: string, session: string): OwnedSession | undefined {
    for (const s of this.sessions.values())
      if (!s.ended && s.peer === fingerprint && s.client.id === session) return s;
    return undefined;
  }

  /**
   * `terminal.open` with `resume` for a session held here already (taken up from a hand-over, or by
   * another viewer): the viewer attaches to it, from `offset` while the scrollback holds it (from its
   * start otherwise: the viewer sees another offset than it has and starts over).
   */
  private async openHeld(s: OwnedSession, offset: number): Promise<UpgradedStream<'terminal.open'>> {
    await s.takenUp.catch(() => undefined);
    if (s.ended || this.sessions.get(s.id) !== s) {
      throw new ClawError('TERMINAL_LOST', s.message ?? `the terminal on ${s.peerName} ended`);
    }
    const from = offset >= s.scrollback.start && offset <= s.scrollback.end ? offset : s.scrollback.start;
    return {
      result: {
        id: s.id,
        path: s.client.path!,
        remote: s.client.remote,
        pty: !s.client.pipes,
        session: s.client.id!,
      },
      attach: (channel) => this.connect(s, channel, from),
      cancel: () => undefined,
    };
  }

  /** Lists `s` in the node's connection table; `resumed`: its start is in the log already. */
  private listConnection(s: OwnedSession, resumed: boolean): void {
    s.listed = this.deps.connections?.open({
      kind: 'terminal-opened',
      peer: { name: s.peerName, fingerprint: s.peer },
      from: 'this node',
      to: s.command,
      close: (reason) => this.hangUp(s, reason),
      ending: 'the session is hung up',
      peerGone: (reason) => this.peerGone(s, reason),
      // The path this node's stream took, not the peer's active one (a route shows as the route).
      ...(s.client.path ? { via: { path: s.client.path, address: s.client.remote } } : {}),
      // A session taken up again (`term` after its agent restarted): its start is in the log already.
      ...(resumed ? { resumed: true } : {}),
    });
  }

  /**
   * What the next run of the agent needs to take each running session up again (terminal-handover.ts):
   * the sessions that outlive their viewer (the window's), with the output they hold. The sessions go
   * on here; the caller ends this process next, without hanging them up.
   */
  handOver(): HandedOverTerminal[] {
    this.handedOver = true;
    const out: HandedOverTerminal[] = [];
    for (const s of this.sessions.values()) {
      const session = s.client.id;
      if (s.ended || !s.keepAlive || session === undefined) continue;
      const { cols, rows } = s.client.size;
      out.push({
        peer: s.peer,
        peerName: s.peerName,
        session,
        from: s.scrollback.start,
        scrollback: scrollbackSince(s.scrollback, s.scrollback.start),
        cols,
        rows,
        pipes: s.client.pipes,
        command: s.command,
        startedAt: s.startedAt,
      });
    }
    return out;
  }

  /**
   * Lists each terminal a previous run handed over again, with its output, and takes its session up on
   * the peer in the background (reconnecting until then; failed, saying why, when the peer no longer
   * has it or is gone from this node). A viewer may attach at once.
   */
  takeUp(terminals: readonly HandedOverTerminal[]): void {
    for (const t of terminals) {
      if (this.sessions.size >= MAX_OWNED_SESSIONS) return;
      // Taken up already (by a viewer, with `resume`): one taker per session.
      if (this.holding(t.peer, t.session)) continue;
      let opener: TerminalStreamOpener;
      try {
        opener = this.deps.opener(t.peer).opener;
      } catch (err) {
        this.deps.log.info(
          { peer: t.peerName, err: errorMessage(err) },
          'handed-over terminal not taken up: its peer is gone',
        );
        continue;
      }
      const client = new TerminalClient(opener, { resumeMs: this.deps.resumeMs(), log: this.deps.log });
      const s = new OwnedSession(t.peer, opener.peerName, client, t.command, t.from, t.startedAt);
      s.scrollback.append(t.scrollback);
      s.keepAlive = true;
      s.state = 'reconnecting';
      s.message = 'taking the session up again after the app restarted';
      this.sessions.set(s.id, s);
      this.wire(s);
      this.listConnection(s, true);
      this.emit(s);
      // Nobody draws the output until a viewer attaches: it goes to the scrollback.
      client.resumeOutput();
      this.startIdle(s);
      s.takenUp = client.resume(t.session, s.scrollback.end, { cols: t.cols, rows: t.rows, pipes: t.pipes });
      s.takenUp.then(
        () => {
          if (s.state !== 'reconnecting' || this.sessions.get(s.id) !== s) return;
          s.state = 'connected';
          s.message = undefined;
          this.emit(s);
        },
        (err: unknown) => {
          // A failure the client said itself ('failed') has ended the session already.
          if (s.ended || this.sessions.get(s.id) !== s) return;
          s.state = 'failed';
          s.message = fitText(errorMessage(err));
          s.viewer?.end({ type: 'error', message: s.message });
          this.ended(s);
        },
      );
    }
  }

  // async: an unknown id is a rejected promise, like every other refusal of a streaming method.
  private async attach(p: {
    id: string;
    cols: number;
    rows: number;
    from?: number | undefined;
  }): Promise<UpgradedStream<'terminal.attach'>> {
    await Promise.resolve();
    const s = this.find(p.id);
    const offset = replayStart(s.scrollback, p.from);
    return {
      result: {
        id: s.id,
        path: s.client.path ?? null,
        remote: s.client.remote,
        state: s.state,
        replayBytes: s.scrollback.end - offset,
        offset,
      },
      attach: (channel) => {
        if (!s.ended) s.client.resize(p.cols, p.rows);
        // Output that came while the reply was on its way is in the scrollback too: still from `offset`.
        this.connect(s, channel, offset);
      },
      cancel: () => undefined,
    };
  }

  /**
   * Puts a viewer on a session: a viewer already there is told and let go; scrollback from `from`,
   * then live.
   */
  private connect(s: OwnedSession, channel: ViewerChannel, from = s.scrollback.start): void {
    const previous = s.viewer;
    if (previous) {
      s.viewer = undefined; // so its end does not count as the session losing its viewer
      previous.end({ type: 'error', message: 'this terminal was opened in another window' });
      s.client.consumed(previous.unconsumedLive);
    }
    s.keepAlive ||= channel.viewerAcks;
    this.stopIdle(s);
    const bridge = new ViewerBridge(
      channel,
      countedInput(s.client, s.listed),
      (b) => this.detached(s, b),
      this.directTerminal(s, channel),
    );
    s.viewer = bridge;
    // The scrollback only grows at its end: `from` was held when asked, so it still is (or is its start).
    const start = Math.max(from, s.scrollback.start);
    bridge.begin(s.client.id, start);
    bridge.replay(scrollbackSince(s.scrollback, start));
    if (s.exit) return bridge.end({ type: 'exit', status: s.exit });
    if (s.state === 'failed') return bridge.end({ type: 'error', message: fitText(s.message ?? 'failed') });
    bridge.start();
  }

  /**
   * The CLI's terminal (ADR 0037) or pipes (ADR 0038), opened for direct I/O when the CLI offered them
   * and this is a terminal session; otherwise, or when they cannot be opened, the CLI does the I/O.
   */
  private directTerminal(s: OwnedSession, channel: ViewerChannel): DirectTerminal | undefined {
    const offered = channel.cliTerminal;
    if (!offered || s.client.pipes) return undefined;
    try {
      const tty = offered.output
        ? openDirectPipes(offered.path, offered.output)
        : openDirectTty(offered.path);
      return { tty, escapes: offered.escapes };
    } catch (err) {
      this.deps.log.info(
        { terminal: s.id, tty: offered.path, output: offered.output, err: errorMessage(err) },
        'direct terminal I/O not used',
      );
      return undefined;
    }
  }

  private detached(s: OwnedSession, bridge: ViewerBridge): void {
    if (s.viewer !== bridge) return;
    s.viewer = undefined;
    if (s.ended) return;
    if (!s.keepAlive) {
      s.client.close().catch(ignoreCloseFailure);
      this.forget(s);
      return;
    }
    // Nobody draws the output now: it goes to the scrollback only, so the remote program keeps going.
    s.client.consumed(bridge.unconsumedLive);
    s.client.resumeOutput();
    this.startIdle(s);
  }

  /**
   * A session nobody views is hung up after detachedIdleMs unless a viewer comes back first: a window
   * that never returns must not leave a shell open on the peer for ever. (The resume window is another
   * thing: how long a session waits for a lost path to its peer, viewer or not.)
   */
  private startIdle(s: OwnedSession): void {
    const ms = this.deps.detachedIdleMs?.();
    if (ms === undefined) return;
    this.stopIdle(s);
    s.idleTimer = this.timers.setTimeout(() => {
      s.idleTimer = undefined;
      if (s.viewer || s.ended || this.sessions.get(s.id) !== s) return;
      this.deps.log.info({ terminal: s.id, peer: s.peerName, idleMs: ms }, 'terminal hung up: no viewer');
      s.message = `hung up after ${describeIdle(ms)} with no window or term attached`;
      this.hangUp(s, s.message);
    }, ms);
  }

  private stopIdle(s: OwnedSession): void {
    if (s.idleTimer === undefined) return;
    this.timers.clearTimeout(s.idleTimer);
    s.idleTimer = undefined;
  }

  private wire(s: OwnedSession): void {
    const { client } = s;
    client.on('data', (chunk, channel) => {
      s.listed?.bytesIn(chunk.length);
      s.scrollback.append(chunk);
      if (s.viewer) s.viewer.output(chunk, channel);
      else client.consumed(chunk.length);
    });
    client.on('status', (state, detail) => {
      // The session carries on over a new stream (a path change): the audit log says on which link.
      if (state === 'resumed' && client.path)
        s.listed?.resumed({ path: client.path, address: client.remote });
      s.state = state === 'reconnecting' ? 'reconnecting' : 'connected';
      s.message = state === 'reconnecting' ? detail : undefined;
      s.viewer?.status(state, detail);
      this.emit(s);
    });
    client.on('exit', (status) => {
      s.state = 'exited';
      s.exit = status;
      s.viewer?.end({ type: 'exit', status });
      this.ended(s);
    });
    client.on('failed', (err) => {
      s.state = 'failed';
      s.message = err.message;
      s.viewer?.end({ type: 'error', message: fitText(err.message) });
      this.ended(s);
    });
    client.on('drain', () => s.viewer?.inputDrained());
  }

  private ended(s: OwnedSession): void {
    this.stopIdle(s);
    s.listed?.end();
    this.emit(s);
    if (!s.keepAlive) this.sessions.delete(s.id);
    else setTimeout(() => this.sessions.delete(s.id), ENDED_SESSION_KEEP_MS).unref();
  }

  /** Hung up from this side: gone from the list, and said so (a running session only). */
  private forget(s: OwnedSession): void {
    s.listed?.end();
    if (!this.sessions.delete(s.id) || s.ended) return;
    s.state = 'closed';
    this.emit(s);
  }

  /** Ended sessions make room for new ones first. */
  private prune(): void {
    if (this.sessions.size < MAX_OWNED_SESSIONS) return;
    for (const [id, s] of this.sessions) if (s.ended) this.sessions.delete(id);
  }

  private emit(s: OwnedSession): void {
    this.events.emit('terminal', {
      id: s.id,
      state: s.state,
      ...(s.exit ? { exit: s.exit } : {}),
      ...(s.message !== undefined ? { message: s.message } : {}),
    });
  }
}

/** An idle time in words: whole hours or minutes (the setting's bounds make it at least 1 min). */
function describeIdle(ms: number): string {
  const hours = ms / 3_600_000;
  if (Number.isInteger(hours)) return `${hours} h`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * Where a re-attaching viewer's replay starts: `from` (what it has shown already) while the scrollback
 * still holds it, so it gets exactly what it missed; the oldest byte held when it is older (the viewer
 * sees another offset than it asked and starts over); the whole scrollback when not given.
 * @throws ClawError('BAD_ARGUMENT') for an offset past the session's output: no viewer was shown it
 */
export function replayStart(
  scrollback: Pick<ReplayBuffer, 'start' | 'end'>,
  from: number | undefined,
): number {
  if (from === undefined) return scrollback.start;
  if (from > scrollback.end) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `offset ${from} is past this terminal's output (${scrollback.end} bytes so far)`,
    );
  }
  return Math.max(from, scrollback.start);
}

/** `session` with the viewer's input counted on `listed` (bytes from this node to the program). */
function countedInput(session: BridgedSession, listed: ConnectionHandle | undefined): BridgedSession {
  if (!listed) return session;
  return {
    write: (data) => {
      listed.bytesOut(data.length);
      return session.write(data);
    },
    endInput: () => session.endInput(),
    resize: (cols, rows) => session.resize(cols, rows),
    consumed: (n) => session.consumed(n),
    pauseOutput: () => session.pauseOutput(),
    resumeOutput: () => session.resumeOutput(),
  };
}

/** The output kept from `from` on (nothing when it is no longer kept), as the Buffer the bridge writes. */
function scrollbackSince(scrollback: ReplayBuffer, from: number): Buffer {
  const bytes = scrollback.since(from);
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0);
}

/** A session this node forgets: a close that failed (its link already gone) leaves nothing to end. */
function ignoreCloseFailure(): void {}
