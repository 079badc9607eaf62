/**
 * One terminal session on the serving node: a PTY, the replay buffer of its output, and the `terminal`
 * stream currently attached to it, if any. The session outlives its stream: when the stream is lost it
 * waits for the client to resume (with the offset it has) for the resume window, then hangs up.
 *
 * Output flow: every PTY chunk goes into the replay buffer and, when a stream is attached, onto it as
 * DATA. The PTY is paused while the stream pushes back or while UNACKED_HIGH_WATER bytes are not
 * acknowledged by the client — so a slow viewer stops the program, and every byte a client can still
 * ask for is in the buffer.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ClawError, errorMessage } from '../../core/errors.js';
import {
  encodeDataFrames,
  encodeTerminalFrame,
  fitText,
  MAX_TERMINAL_DATA,
  TerminalFrameDecoder,
  type ExitStatus,
  type OutputChannel,
  type TerminalFrame,
} from '../../protocol/terminal-frames.js';
import type { Disposer } from '../../core/emitter.js';
import { ReplayBuffer } from './replay-buffer.js';
import { SessionWatchers, type TerminalSize } from './session-watchers.js';
import {
  CLOSE_GRACE_MS,
  INPUT_DRAIN_POLL_MS,
  INPUT_HIGH_WATER,
  UNACKED_HIGH_WATER,
  UNACKED_LOW_WATER,
} from './terminal-flow.js';

/** What a session runs: a program in a PTY (pty-session.ts) or on pipes (pipe-session.ts). */
export interface TerminalProcess {
  /** Output in order; `channel` is 'stderr' only for a program on pipes. */
  onData(listener: (chunk: Buffer, channel?: OutputChannel) => void): Disposer;
  /** Fires once, after the last output. */
  onExit(listener: (status: ExitStatus) => void): Disposer;
  write(data: Uint8Array): void;
  /** The client's input ended (EOF frame). */
  endInput(): void;
  /** Input written but not yet taken by the program's side. */
  readonly inputQueued: number;
  /** The terminal's size now (what its last resize set); undefined for a program on pipes. */
  readonly size: TerminalSize | undefined;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  hangup(): void;
}

export interface ServerSessionOptions {
  id: string;
  /** Fingerprint of the peer that opened the session: only it may resume it. */
  peer: string;
  pty: TerminalProcess;
  log: Pick<Logger, 'info' | 'warn'>;
  /** How long to wait for a resume after the stream is lost, in ms (read when the stream is lost). */
  resumeMs: () => number;
  /** The session is over (hung up, finished, or not resumed in time): forget it. */
  onGone: (session: ServerSession) => void;
  replayBytes?: number;
}

export class ServerSession {
  private readonly ring: ReplayBuffer;
  private acked = 0;
  private stream: Duplex | undefined;
  private detach: (() => void) | undefined;
  private exitStatus: ExitStatus | undefined;
  private streamBlocked = false;
  private ptyPaused = false;
  private expiry: NodeJS.Timeout | undefined;
  private inputPoll: NodeJS.Timeout | undefined;
  /** Input bytes received on the current stream, and how many of them were acknowledged. */
  private inputReceived = 0;
  private inputAcked = 0;
  /**
   * Input bytes taken from every stream since the session began: a resume that asks is told this, and
   * its client sends again only what came after (keys typed into a path that died on the way).
   */
  private inputTotal = 0;
  /** Paused because too much output is unacknowledged (hysteresis between the two water marks). */
  private ackHold = false;
  private gone = false;
  /**
   * Output ranges [start, end) that were stderr, oldest first, trimmed to what the replay buffer still
   * holds: a resume replays them as STDERR frames again. Empty for a PTY.
   */
  private stderrSpans: [number, number][] = [];
  /** Streams that watch the session besides its opener's (a shared terminal's viewers). */
  private readonly watchers: SessionWatchers;

  constructor(private readonly opts: ServerSessionOptions) {
    this.ring = new ReplayBuffer(opts.replayBytes);
    const ring = this.ring;
    this.watchers = new SessionWatchers(
      {
        get start() {
          return ring.start;
        },
        get end() {
          return ring.end;
        },
        capacity: ring.capacity,
        frames: (from, to) => this.framesOf(from, to),
      },
      (data) => opts.pty.write(data),
      () => opts.pty.size,
    );
    opts.pty.onData((chunk, channel) => this.onOutput(chunk, channel ?? 'stdout'));
    opts.pty.onExit((status) => this.onExit(status));
  }

  get id(): string {
    return this.opts.id;
  }
  get peer(): string {
    return this.opts.peer;
  }
  /** Output bytes produced so far. */
  get outputBytes(): number {
    return this.ring.end;
  }
  get attached(): boolean {
    return this.stream !== undefined;
  }

  /** Why a client that has `offset` output bytes cannot resume, or undefined when it can. */
  resumeProblem(offset: number): string | undefined {
    if (offset > this.ring.end) {
      return `the client claims ${offset} output bytes, but the session produced only ${this.ring.end}`;
    }
    if (offset < this.ring.start) {
      return `output from byte ${offset} is no longer in the replay buffer (it starts at ${this.ring.start})`;
    }
    return undefined;
  }

  /**
   * Puts `stream` in charge (replacing a stream that has not noticed it is dead yet): sends SESSION,
   * replays the output from `offset`, then the exit status if the process is already gone. With
   * `input`, SESSION also says how many input bytes the session has taken: the old stream is let go
   * first, so nothing it still carries is taken after that count was given.
   */
  attach(stream: Duplex, offset: number, { input = false }: { input?: boolean } = {}): void {
    if (!Number.isInteger(offset) || offset < this.ring.start || offset > this.ring.end)
      throw new ClawError('BAD_ARGUMENT', this.resumeProblem(offset) ?? 'bad resume offset');
    if (this.stream) {
      const old = this.stream;
      this.detach?.();
      old.destroy(new ClawError('STREAM_RESET', 'the session was resumed on another stream'));
    }
    clearTimeout(this.expiry);
    this.expiry = undefined;
    this.stream = stream;
    this.streamBlocked = false;
    this.inputReceived = 0;
    this.inputAcked = 0;
    this.acked = Math.max(this.acked, offset);
    this.detach = this.wire(stream);
    stream.write(
      encodeTerminalFrame({
        type: 'session',
        id: this.id,
        offset,
        ...(input ? { input: this.inputTotal } : {}),
      }),
    );
    for (const frame of this.framesOf(offset, this.ring.end)) this.send(frame);
    if (this.exitStatus) this.sendExit(this.exitStatus);
    this.updateFlow();
  }

  /** The opener's new size: the terminal takes it, and each watcher is told (ADR 0123 §Sizes). */
  resize(cols: number, rows: number): void {
    this.opts.pty.resize(cols, rows);
    this.watchers.resized();
  }

  /**
   * Adds a watcher (docs/adr/0123-shared-terminals.md): `stream` gets the screen the replay buffer
   * holds, then live output, and its DATA frames are input (its giver filters them); it never pauses
   * the program (session-watchers.ts).
   */
  watch(stream: Duplex): void {
    if (this.gone) {
      stream.end(encodeTerminalFrame({ type: 'error', message: 'the terminal has ended' }));
      return;
    }
    this.watchers.add(stream);
  }

  /**
   * Ends the session now: hangs up the program and forgets the session. An attached client is told
   * `reason` in an ERROR frame, then FIN, so it ends with that line instead of trying to resume.
   */
  close(reason: string): void {
    if (this.gone) return;
    const stream = this.stream;
    if (stream) {
      this.detach?.();
      this.stream = undefined;
      this.detach = undefined;
      stream.end(encodeTerminalFrame({ type: 'error', message: fitText(reason) }));
      // A client that never closes its side does not keep the stream forever.
      setTimeout(() => stream.destroy(), CLOSE_GRACE_MS).unref();
    }
    this.finish();
  }

  private wire(stream: Duplex): () => void {
    const decoder = new TerminalFrameDecoder();
    const onData = (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) this.onFrame(frame);
      } catch (err) {
        this.opts.log.warn({ session: this.id }, `terminal client broke the protocol: ${errorMessage(err)}`);
        this.close(`protocol error: ${errorMessage(err)}`);
      }
    };
    const onDrain = () => {
      this.streamBlocked = false;
      this.updateFlow();
    };
    // The client's FIN: it hung up, or it has read the exit status. Either way the session is over.
    const onEnd = () => {
      if (this.stream === stream && !stream.writableEnded) stream.end();
      this.finish();
    };
    const onLost = (err?: Error) => {
      if (this.stream !== stream) return;
      this.detach?.();
      this.stream = undefined;
      this.detach = undefined;
      this.streamBlocked = false;
      if (this.gone) return;
      const ms = this.opts.resumeMs();
      this.opts.log.info(
        { session: this.id, reason: err?.message },
        `terminal stream lost; waiting ${ms} ms for a resume`,
      );
      this.expiry = setTimeout(() => {
        this.opts.log.info({ session: this.id }, 'terminal session not resumed in time; hanging up');
        this.finish();
      }, ms);
      this.updateFlow();
    };
    const onClose = () => onLost();
    stream.on('data', onData);
    stream.on('drain', onDrain);
    stream.on('end', onEnd);
    stream.on('error', onLost);
    stream.on('close', onClose);
    return () => {
      stream.off('data', onData);
      stream.off('drain', onDrain);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.off('error', onLost);
      // A stream must keep an 'error' listener for good: an unhandled one crashes the agent.
      stream.on('error', () => undefined);
    };
  }

  private onFrame(frame: TerminalFrame): void {
    switch (frame.type) {
      case 'data':
        this.inputReceived += frame.data.length;
        this.inputTotal += frame.data.length;
        if (this.inputReceived - this.inputAcked > INPUT_HIGH_WATER + MAX_TERMINAL_DATA) {
          throw new ClawError(
            'PROTOCOL',
            `over ${INPUT_HIGH_WATER} bytes of input sent without waiting for an ACK`,
          );
        }
        this.opts.pty.write(frame.data);
        return this.ackInput();
      case 'resize':
        return this.resize(frame.cols, frame.rows);
      case 'eof':
        return this.opts.pty.endInput();
      case 'ack':
        if (frame.offset > this.ring.end) {
          throw new ClawError(
            'PROTOCOL',
            `ACK for byte ${frame.offset}, but only ${this.ring.end} were sent`,
          );
        }
        this.acked = Math.max(this.acked, frame.offset);
        return this.updateFlow();
      default:
        throw new ClawError('PROTOCOL', `unexpected ${frame.type.toUpperCase()} frame from the client`);
    }
  }

  /**
   * Acknowledges input once node-pty has handed it to the PTY, polling because node-pty does not say
   * when its queue drains. The client sends at most INPUT_HIGH_WATER unacknowledged bytes, so the stream
   * is never paused for input — a paused stream would also hold back the output ACKs behind it, and a
   * program blocked on output would never read its input again.
   */
  private ackInput(): void {
    const done = this.inputReceived - this.opts.pty.inputQueued;
    if (done > this.inputAcked && this.stream) {
      this.inputAcked = done;
      this.stream.write(encodeTerminalFrame({ type: 'ack', offset: done }));
    }
    if (this.inputAcked < this.inputReceived && !this.gone && this.stream) {
      this.inputPoll ??= setTimeout(() => {
        this.inputPoll = undefined;
        this.ackInput();
      }, INPUT_DRAIN_POLL_MS);
    }
  }

  private onOutput(chunk: Buffer, channel: OutputChannel): void {
    if (channel === 'stderr') {
      const last = this.stderrSpans.at(-1);
      if (last && last[1] === this.ring.end) last[1] += chunk.length;
      else this.stderrSpans.push([this.ring.end, this.ring.end + chunk.length]);
    }
    this.ring.append(chunk);
    while (this.stderrSpans.length > 0 && this.stderrSpans[0]![1] <= this.ring.start)
      this.stderrSpans.shift();
    if (this.stream) for (const frame of encodeDataFrames(chunk, channel)) this.send(frame);
    this.watchers.output(this.stream !== undefined);
    this.updateFlow();
  }

  /**
   * The output from `from` to `to`, both within the replay buffer, as DATA frames and STDERR frames
   * where it was stderr: what a resume replays and what a watcher is written.
   */
  private framesOf(from: number, to: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const add = (x: number, y: number, channel: OutputChannel) => {
      for (const part of this.ring.parts(x, y) ?? []) out.push(...encodeDataFrames(part, channel));
    };
    let at = from;
    for (const [s, e] of this.stderrSpans) {
      if (e <= at) continue;
      if (s >= to) break;
      add(at, Math.max(s, at), 'stdout');
      add(Math.max(s, at), Math.min(e, to), 'stderr');
      at = Math.min(e, to);
    }
    add(at, to, 'stdout');
    return out;
  }

  private onExit(status: ExitStatus): void {
    this.exitStatus = status;
    this.opts.log.info({ session: this.id, ...status }, 'terminal process exited');
    if (this.stream) this.sendExit(status);
    this.watchers.exit(status);
  }

  private sendExit(status: ExitStatus): void {
    this.stream?.write(encodeTerminalFrame({ type: 'exit', status }));
    this.stream?.end();
  }

  private send(frame: Uint8Array): void {
    if (this.stream && !this.stream.write(frame)) this.streamBlocked = true;
  }

  private updateFlow(): void {
    const unacked = this.ring.end - this.acked;
    if (unacked >= UNACKED_HIGH_WATER) this.ackHold = true;
    else if (unacked <= UNACKED_LOW_WATER) this.ackHold = false;
    const pause = this.ackHold || this.streamBlocked;
    if (pause === this.ptyPaused) return;
    this.ptyPaused = pause;
    if (pause) this.opts.pty.pause();
    else this.opts.pty.resume();
  }

  private finish(): void {
    if (this.gone) return;
    this.gone = true;
    clearTimeout(this.expiry);
    clearTimeout(this.inputPoll);
    if (!this.exitStatus) this.opts.pty.hangup();
    this.watchers.closeAll('the shared terminal has ended');
    this.opts.onGone(this);
  }
}
