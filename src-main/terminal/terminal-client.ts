/**
 * The requesting agent's side of one terminal session. It keeps the session across a lost stream (a
 * path switch, a relay outage): when the stream dies it reports `reconnecting`, waits for the peer to
 * be reachable, and re-opens `terminal` with `{resume: id, offset: bytesReceived}`; the serving agent
 * replays its output from exactly that byte, so the viewer sees every byte once, in order.
 *
 * Output is handed to the viewer with 'data'; the viewer calls `consumed(n)` once it has passed bytes
 * on, which is what the ACKs sent to the serving agent count — so a viewer that falls behind stops the
 * remote program (terminal-flow.ts). `pauseOutput()` additionally stops reading the stream.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Emitter, type Disposer } from '../core/emitter.js';
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import {
  encodeDataFrames,
  encodeTerminalFrame,
  TERMINAL_PROTOCOL_VERSION,
  TerminalFrameDecoder,
  type ExitStatus,
  type OutputChannel,
  type TerminalFrame,
  type TerminalState,
} from '../protocol/terminal-frames.js';
import type { TerminalOpenArgs } from '../protocol/terminal-open-args.js';
import type { PathKind } from '../transport/link.js';
import { InputLedger } from './input-ledger.js';
import { ACK_STEP, INPUT_HIGH_WATER, RESUME_RETRY_MS } from './sessions/terminal-flow.js';
import { background } from '../core/background.js';

/** How long a newly opened stream may take to send its SESSION frame, in ms (15 s, like a mux OPEN). */
export const SESSION_FRAME_TIMEOUT_MS = 15_000;

/** How long hanging up waits for the stream to finish (its FIN to leave), in ms: see `close`. */
export const CLOSE_FLUSH_MS = 1_000;

export interface OpenedStream {
  stream: Duplex;
  path: PathKind;
  remote: string;
  /** Whether the peer was asked for `pty: false` (an older peer is not: viewer-bridge.ts argsForPeer); default: as requested. */
  pipes?: boolean;
  /**
   * Whether the peer counts the session's input over its streams (FEATURE_INPUT_RESUME), so a lost
   * stream's unacknowledged keys can be sent again on the next; default false (an older peer).
   */
  inputResume?: boolean;
}

/** How the client reaches its peer; the agent provides one (viewer-bridge.ts), tests provide others. */
/** What a viewer asks of a new session (the OPEN arguments of terminal-open-args.ts, without `v`). */
export interface NewSessionRequest {
  command?: string[] | undefined;
  cols: number;
  rows: number;
  term?: string | undefined;
  echo?: boolean | undefined;
  opost?: boolean | undefined;
  /** False: run the program on pipes, without a terminal (pipe-session.ts), where the peer can. */
  pty?: boolean | undefined;
}

export interface TerminalStreamOpener {
  /** The peer's name, for messages. */
  readonly peerName: string;
  /**
   * Opens a `terminal` stream on the peer's active path.
   * @throws ClawError('STREAM_REJECTED', the peer's reason) when the peer refuses; others when it is unreachable.
   */
  open(args: TerminalOpenArgs): Promise<OpenedStream>;
  /** Resolves once the peer has a path again, or after `maxMs`, whichever comes first. */
  whenReachable(maxMs: number): Promise<void>;
}

export interface TerminalClientOptions {
  /** How long to keep trying to resume after the stream is lost, in ms. */
  resumeMs: number;
  log?: Pick<Logger, 'info'>;
}

type Events = {
  data: [Buffer, OutputChannel];
  status: [TerminalState, string];
  exit: [ExitStatus];
  failed: [ClawError];
  /** Input may be written again after `write()` returned false. */
  drain: [];
};

interface Attachment {
  stream: Duplex;
  /** Set once the SESSION frame arrived: only then is this the session's stream. */
  ready: boolean;
  exitSeen: boolean;
  /** The peer counts input over streams (OpenedStream.inputResume). */
  inputResume: boolean;
  /** EOF went on this stream. */
  eofSent: boolean;
  dispose: () => void;
}

export class TerminalClient {
  private readonly events = new Emitter<Events>();
  private sessionId: string | undefined;
  /** Output bytes received (the resume offset); counted when decoded, so queued frames count too. */
  private received = 0;
  private consumedBytes = 0;
  private ackSent = 0;
  /** The hang-up under way (close): every caller waits for the same one. */
  private closing: Promise<void> | undefined;
  /** Input waiting to be sent, and sent but not yet acknowledged (input-ledger.ts). */
  private readonly input = new InputLedger();
  private inputWaiting = false;
  /** Sent input the last resume could not hand over again (said in its `resumed` status). */
  private inputGivenUp = 0;
  /** The viewer's input ended: EOF is sent after the last input, and again on a resumed stream. */
  private inputEnded = false;
  /** The session runs on pipes (no PTY) on the peer. */
  private onPipes = false;
  private cur: Attachment | undefined;
  /** Decoded frames the viewer has not taken yet (it paused); kept across a resume, in order. */
  private inbox: TerminalFrame[] = [];
  /** Starts paused: nothing goes to the viewer before it is attached. */
  private outputPaused = true;
  private over = false;
  /** Let go without a hang-up (release): a resume that completes after it must not hang up either. */
  private released = false;
  private cols = 80;
  private rows = 24;
  path: PathKind | undefined;
  remote = '';

  constructor(
    private readonly opener: TerminalStreamOpener,
    private readonly opts: TerminalClientOptions,
  ) {}

  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): Disposer {
    return this.events.on(event, listener);
  }

  /** The session ID, once the peer has sent it. */
  get id(): string | undefined {
    return this.sessionId;
  }

  /** Whether the session runs on pipes, without a terminal (known once started). */
  get pipes(): boolean {
    return this.onPipes;
  }

  /** The window size last asked for (a take-up after a restart asks for it again). */
  get size(): { cols: number; rows: number } {
    return { cols: this.cols, rows: this.rows };
  }

  /** Output bytes received from the peer so far. */
  get bytesReceived(): number {
    return this.received;
  }

  /**
   * Opens a new session (the peer's shell, or `command`; `term`: the viewer's terminal type; `echo`,
   * `opost` false: the viewer's input, output is a pipe).
   * @throws ClawError('STREAM_REJECTED', reason) when the peer refuses (e.g. permission denied).
   */
  async start(req: NewSessionRequest): Promise<void> {
    this.cols = req.cols;
    this.rows = req.rows;
    await this.connect({
      v: TERMINAL_PROTOCOL_VERSION,
      ...(req.command ? { command: req.command } : {}),
      cols: req.cols,
      rows: req.rows,
      ...(req.term ? { term: req.term } : {}),
      ...(req.echo === false ? { echo: false } : {}),
      ...(req.opost === false ? { opost: false } : {}),
      ...(req.pty === false ? { pty: false } : {}),
    });
  }

  /**
   * Takes up session `id` on the peer, opened before by this node's agent in an earlier run (it was
   * killed and restarted: docs/protocol.md §Resuming after the local agent restarted), from output byte
   * `offset` — what the viewer has. The peer finds the session by this node's identity and the ID.
   * Waits for the peer to be reachable, trying for the resume window as after a lost stream.
   * @throws ClawError('TERMINAL_LOST') when the peer no longer has the session or cannot be reached.
   */
  async resume(
    id: string,
    offset: number,
    req: { cols: number; rows: number; pipes: boolean },
  ): Promise<void> {
    this.sessionId = id;
    this.received = this.consumedBytes = this.ackSent = offset;
    // What the previous run of this agent sent is not here: the peer's count becomes the start.
    this.input.startOver();
    this.cols = req.cols;
    this.rows = req.rows;
    this.onPipes = req.pipes;
    const failed = new Promise<never>((_, reject) => {
      const off = this.on('failed', (err) => (off(), reject(err)));
    });
    failed.catch(() => undefined);
    await Promise.race([this.reconnect('the agent restarted'), failed]);
    if (!this.cur) throw new ClawError('TERMINAL_LOST', `the terminal on ${this.opener.peerName} was closed`);
  }

  /**
   * Input for the remote program. Returns false when the caller should wait for 'drain': no stream
   * now (it is being resumed), INPUT_HIGH_WATER bytes unacknowledged, or the stream pushes back.
   */
  write(data: Buffer): boolean {
    if (this.over || data.length === 0) return true;
    this.input.enqueue(data);
    this.sendInput();
    if (this.inputOpen()) return true;
    this.inputWaiting = true;
    return false;
  }

  /** The viewer's input ended: the program's stdin is closed after what was written (pipes; Ctrl-D on a PTY). */
  endInput(): void {
    if (this.over || this.inputEnded) return;
    this.inputEnded = true;
    this.sendInput();
  }

  /** Sends waiting input on the current stream while the input window allows, then EOF once all went. */
  private sendInput(): void {
    const att = this.cur;
    if (!att || this.over) return;
    for (let chunk = this.input.next(INPUT_HIGH_WATER); chunk; chunk = this.input.next(INPUT_HIGH_WATER)) {
      for (const frame of encodeDataFrames(chunk)) att.stream.write(frame);
    }
    if (this.inputEnded && !att.eofSent && this.input.waiting === 0) {
      att.eofSent = true;
      att.stream.write(encodeTerminalFrame({ type: 'eof' }));
    }
  }

  /** True when more input may come now (see write). */
  private inputOpen(): boolean {
    return (
      this.cur !== undefined &&
      !this.cur.stream.writableNeedDrain &&
      this.input.waiting === 0 &&
      this.input.inFlight < INPUT_HIGH_WATER
    );
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    this.cur?.stream.write(encodeTerminalFrame({ type: 'resize', cols, rows }));
  }

  /** The viewer has passed on `n` more output bytes: acknowledge them in ACK_STEP steps. */
  consumed(n: number): void {
    this.consumedBytes += n;
    if (this.cur && this.consumedBytes - this.ackSent >= ACK_STEP) {
      this.ackSent = this.consumedBytes;
      this.cur.stream.write(encodeTerminalFrame({ type: 'ack', offset: this.ackSent }));
    }
  }

  /** Stops handing out output (the viewer is full); the stream is no longer read. */
  pauseOutput(): void {
    this.outputPaused = true;
    this.cur?.stream.pause();
  }

  resumeOutput(): void {
    this.outputPaused = false;
    this.pump();
  }

  /** The viewer is gone: hang up (FIN), so the peer ends the session instead of keeping it for a resume. */
  /**
   * Hangs the session up (the stream's FIN tells the peer). Resolves once the stream is done, or after
   * CLOSE_FLUSH_MS: an agent that stops waits that long for its FINs to leave before closing its links,
   * or the peer would take the lost link for a path switch and keep the program for the resume window.
   */
  close(): Promise<void> {
    this.closing ??= this.hangUp();
    return this.closing;
  }

  /**
   * Lets the session go without hanging it up (the agent stops and hands it over): the stream is
   * reset, which the peer takes for a lost stream and keeps the session for its resume window.
   */
  release(): void {
    if (this.over) return;
    this.over = true;
    this.released = true;
    const att = this.cur;
    this.cur = undefined;
    att?.dispose();
    att?.stream.destroy();
  }

  private hangUp(): Promise<void> {
    const stream = this.cur?.stream;
    const wasOver = this.over;
    this.over = true;
    if (!stream || stream.destroyed) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_FLUSH_MS);
      timer.unref();
      stream.once('close', () => (clearTimeout(timer), resolve()));
    });
    if (!wasOver) {
      stream.end();
      stream.resume();
    }
    return done;
  }

  private async connect(args: TerminalOpenArgs): Promise<void> {
    const opened = await this.opener.open(args);
    if (this.over) {
      opened.stream.destroy();
      throw new ClawError('TERMINAL_LOST', 'the terminal was closed while it was connecting');
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle(
          new ClawError('TIMEOUT', `${this.opener.peerName} did not start the terminal session in time`),
        );
      }, SESSION_FRAME_TIMEOUT_MS);
      // Runs in the middle of decoding, right at the SESSION frame: so 'resumed' comes before the replay.
      const settle = (err?: Error) => {
        clearTimeout(timer);
        if (!err) {
          this.path = opened.path;
          this.remote = opened.remote;
          if (!('resume' in args)) this.onPipes = opened.pipes ?? args.pty === false;
          if ('resume' in args) {
            const given = this.inputGivenUp;
            // Said in the log too: "resuming" alone reads as a resume that never finished.
            this.opts.log?.info(
              {
                peer: this.opener.peerName,
                session: this.sessionId,
                path: opened.path,
                remote: opened.remote,
                inputToSend: this.input.waiting,
                inputGivenUp: given,
              },
              'terminal stream resumed',
            );
            const note = given > 0 ? `; ${lostKeys(given)} typed may not have arrived` : '';
            this.events.emit('status', 'resumed', `via ${opened.path} ${opened.remote}${note}`);
          }
          return resolve();
        }
        att.dispose();
        opened.stream.destroy();
        reject(err);
      };
      const att = this.wire(opened.stream, opened.inputResume === true, settle);
    });
  }

  /** Listens to a new stream; `settle` hears about its SESSION frame (or its failure before one). */
  private wire(stream: Duplex, inputResume: boolean, settle: (err?: Error) => void): Attachment {
    const decoder = new TerminalFrameDecoder();
    const att: Attachment = {
      stream,
      ready: false,
      exitSeen: false,
      inputResume,
      eofSent: false,
      dispose: () => undefined,
    };
    const onData = (chunk: Buffer) => {
      if (this.over && att.ready) return;
      let frames: TerminalFrame[];
      try {
        frames = decoder.push(chunk);
        for (const frame of frames) this.take(att, frame, settle);
      } catch (err) {
        const e = isClawError(err) ? err : new ClawError('PROTOCOL', errorMessage(err));
        if (!att.ready) return settle(e);
        return this.fail(
          new ClawError('PROTOCOL', `${this.opener.peerName} broke the terminal protocol: ${e.message}`),
        );
      }
      this.pump();
    };
    const onGone = (err?: Error) => {
      if (!att.ready)
        return settle(err ?? new ClawError('STREAM_RESET', 'the terminal stream closed before it started'));
      if (!att.exitSeen) this.lost(att, err?.message ?? 'the stream closed');
    };
    const onEnd = () =>
      onGone(new ClawError('PROTOCOL', `${this.opener.peerName} closed the terminal without an exit status`));
    const onClose = () => onGone();
    const onDrain = () => this.maybeDrain();
    stream.on('data', onData);
    stream.on('error', onGone);
    stream.on('end', onEnd);
    stream.on('close', onClose);
    stream.on('drain', onDrain);
    att.dispose = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.off('drain', onDrain);
      stream.off('error', onGone);
      stream.on('error', () => undefined);
    };
    return att;
  }

  /** One decoded frame: SESSION and ACK are handled at once, everything else waits for the viewer. */
  private take(att: Attachment, frame: TerminalFrame, settle: (err?: Error) => void): void {
    if (!att.ready) {
      if (frame.type !== 'session')
        throw new ClawError('PROTOCOL', `expected SESSION, got ${frame.type.toUpperCase()}`);
      const expected = this.sessionId === undefined ? 0 : this.received;
      if ((this.sessionId !== undefined && frame.id !== this.sessionId) || frame.offset !== expected) {
        throw new ClawError(
          'PROTOCOL',
          `resumed the wrong session or offset (${frame.offset}, expected ${expected})`,
        );
      }
      // A resume: the input the session did not take goes again, first on the new stream.
      const given = this.sessionId === undefined ? 0 : this.input.resumed(frame.input);
      if (given > 0 && this.onPipes) {
        // The peer cannot say which of it arrived: a hole in piped input would go unnoticed.
        throw new ClawError('TERMINAL_LOST', this.lostWhileSending('the stream was lost'));
      }
      this.inputGivenUp = given;
      this.sessionId = frame.id;
      att.ready = true;
      this.cur = att;
      this.ackSent = Math.max(this.ackSent, frame.offset);
      settle();
      this.sendInput();
      return;
    }
    switch (frame.type) {
      case 'ack':
        if (!this.input.ack(frame.offset))
          throw new ClawError('PROTOCOL', 'ACK for input that was never sent');
        this.sendInput();
        return this.maybeDrain();
      case 'data':
      case 'stderr':
        this.received += frame.data.length;
        break;
      case 'exit':
        att.exitSeen = true;
        break;
      case 'error':
        break;
      default:
        throw new ClawError('PROTOCOL', `unexpected ${frame.type.toUpperCase()} frame`);
    }
    this.inbox.push(frame);
  }

  /** Hands queued frames to the viewer while it is not paused; reads the stream only when all are out. */
  private pump(): void {
    while (!this.outputPaused && !this.over && this.inbox.length > 0) {
      const frame = this.inbox.shift()!;
      if (frame.type === 'data' || frame.type === 'stderr') {
        this.events.emit(
          'data',
          Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength),
          frame.type === 'stderr' ? 'stderr' : 'stdout',
        );
      } else if (frame.type === 'exit') {
        this.over = true;
        this.cur?.stream.end();
        this.events.emit('exit', frame.status);
      } else if (frame.type === 'error') {
        this.fail(new ClawError('TERMINAL_LOST', frame.message));
      }
    }
    if (!this.cur) return;
    // Once over, read on to the peer's FIN (frames are dropped) so the stream can finish.
    if (!this.over && (this.outputPaused || this.inbox.length > 0)) this.cur.stream.pause();
    else this.cur.stream.resume();
  }

  private maybeDrain(): void {
    if (!this.inputWaiting || !this.inputOpen()) return;
    this.inputWaiting = false;
    this.events.emit('drain');
  }

  private lost(att: Attachment, reason: string): void {
    if (this.cur !== att || this.over) return;
    const unacked = this.input.inFlight;
    if (this.onPipes && !att.inputResume && (unacked > 0 || this.input.waiting > 0)) {
      // Input in flight may or may not have reached the program, and this peer cannot say which: end
      // the session rather than let piped data arrive with a hole in it.
      return this.fail(new ClawError('TERMINAL_LOST', this.lostWhileSending(reason)));
    }
    att.dispose();
    this.cur = undefined;
    att.stream.destroy();
    this.opts.log?.info(
      { peer: this.opener.peerName, session: this.sessionId, reason, unacked },
      'terminal stream lost; resuming',
    );
    // A peer that counts input takes the unacknowledged keys again on the resumed stream
    // (input-ledger.ts); an older one may have lost them, and the user is told so rather than let
    // keys vanish unnoticed.
    const lostInput =
      unacked > 0 && !att.inputResume ? `; ${lostKeys(unacked)} typed may not have arrived` : '';
    this.events.emit('status', 'reconnecting', reason + lostInput);
    // reconnect ends the terminal itself when it cannot resume; a throw past that (a bug) does too.
    background(this.reconnect(reason), (err) =>
      this.fail(new ClawError('TERMINAL_LOST', errorMessage(err), { cause: err })),
    );
  }

  private lostWhileSending(reason: string): string {
    return `lost the connection to ${this.opener.peerName} while sending input (${reason}); the input may be incomplete, so the remote program is hung up`;
  }

  private async reconnect(reason: string): Promise<void> {
    const deadline = Date.now() + this.opts.resumeMs;
    let last = reason;
    while (!this.over && Date.now() < deadline) {
      await this.opener.whenReachable(deadline - Date.now());
      if (this.over) return;
      try {
        await this.connect({
          v: TERMINAL_PROTOCOL_VERSION,
          resume: this.sessionId!,
          offset: this.received,
          cols: this.cols,
          rows: this.rows,
          // The session's input count in SESSION (dropped for a peer that does not know it).
          input: true,
        });
        if (this.over) {
          // The viewer left while the resume was under way: hang up the resumed stream too; let it
          // go without a hang-up when the session was released (handed over) meanwhile.
          if (this.released) this.cur?.stream.destroy();
          else this.cur?.stream.end();
          return;
        }
        this.maybeDrain();
        this.pump();
        return;
      } catch (err) {
        if (this.over) return;
        // Piped input with a hole in it (take): the session ends as the reason says.
        if (isClawError(err, 'TERMINAL_LOST')) return this.fail(err);
        if (refusalOf(err) === 'SESSION_GONE') {
          // The peer's reason already says, in one sentence naming it, that the session is gone; the
          // window puts "The session ended:" before it and the CLI "clawbridge:", so add nothing.
          return this.fail(new ClawError('TERMINAL_LOST', errorMessage(err), { cause: err }));
        }
        if (
          isClawError(err, 'PEER_NOT_FOUND') ||
          isClawError(err, 'STREAM_REJECTED') ||
          isClawError(err, 'PROTOCOL') ||
          isClawError(err, 'BAD_FRAME')
        ) {
          return this.fail(
            new ClawError(
              'TERMINAL_LOST',
              `could not resume the terminal on ${this.opener.peerName}: ${errorMessage(err)}`,
              { cause: err },
            ),
          );
        }
        last = errorMessage(err);
        await new Promise((r) =>
          setTimeout(r, Math.max(0, Math.min(RESUME_RETRY_MS, deadline - Date.now()))),
        );
      }
    }
    if (this.over) return;
    const ms = this.opts.resumeMs;
    const span = ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
    this.fail(
      new ClawError(
        'TERMINAL_LOST',
        `lost the terminal on ${this.opener.peerName}: it could not be reached for ${span} (${last})`,
      ),
    );
  }

  private fail(err: ClawError): void {
    if (this.over) return;
    this.over = true;
    if (this.cur) {
      this.cur.dispose();
      this.cur.stream.destroy(err);
      this.cur = undefined;
    }
    this.events.emit('failed', err);
  }
}

/** "the last byte" / "the last N bytes", for input that may not have arrived. */
function lostKeys(n: number): string {
  return `the last ${n === 1 ? 'byte' : `${n} bytes`}`;
}
