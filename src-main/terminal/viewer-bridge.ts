/**
 * Relays terminal frames between one viewer (a ViewerChannel: the CLI's upgraded control socket, a web
 * UI WebSocket, an Electron port) and one agent-owned session (viewer-sessions.ts), and decides when
 * output counts as consumed — which is what the serving agent's PTY waits for (terminal-flow.ts):
 *
 * - a channel with `viewerAcks: false` (the CLI socket): output is consumed once the channel took it
 *   (a write below its high-water mark, or the drain after one above it);
 * - a channel with `viewerAcks: true` (the window): only when the viewer sends an ACK frame saying it
 *   has drawn the bytes, so a page that falls behind pauses the remote program.
 *
 * An acknowledging channel first gets a SESSION frame: the session's ID and the output offset of the
 * first byte that follows (the start of the replayed scrollback). ACK offsets from the viewer are in
 * that same numbering, so a viewer that re-attaches on a new channel simply starts over from the new
 * SESSION frame. Replayed scrollback was consumed when it arrived; only live bytes the viewer
 * acknowledges are passed on to the session's `consumed`. (The CLI gets no SESSION frame, as before.)
 */
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import type { ViewerChannel } from '../api/viewer-channel.js';
import type { ChangeSource, PeerDirectory, ReadonlyPeerEntry, PeerStreams } from '../links/ports.js';

/** What reaching a peer's terminal uses of the agent (architecture.md §Rules the code keeps). */
export type TerminalPeers = Pick<PeerDirectory, 'peerEntries'> &
  Partial<Pick<PeerDirectory, 'self'>> &
  Pick<PeerStreams, 'openStream'> &
  ChangeSource;
import {
  encodeDataFrames,
  encodeTerminalFrame,
  ERRNO_CODE,
  FEATURE_INPUT_RESUME,
  FEATURE_PIPES,
  FEATURE_PTY_MODES,
  FEATURE_TERMINAL_TYPE,
  fitText,
  TERMINAL_SERVICE,
  TerminalFrameDecoder,
  type OutputChannel,
  type TerminalFrame,
  type TerminalState,
} from '../protocol/terminal-frames.js';
import type { TerminalOpenArgs } from '../protocol/terminal-open-args.js';
import type { TerminalStreamOpener } from './terminal-client.js';
import type { DirectTty } from './direct-tty.js';
import { EOF_CHAR, endOfInput } from './end-of-input.js';
import { ESCAPE_HELP, EscapeFilter } from './term-escape.js';
import { DisposableStore } from '../core/disposables.js';

/**
 * How long the bridge waits after output it wrote on the CLI's terminal before telling the CLI how far
 * it got (DIRECT_WRITTEN), in ms: one note per burst, sent after the echo it follows, not in its way.
 */
export const DIRECT_WRITTEN_NOTE_MS = 20;

/** Longest a session's end waits for its output to reach the CLI's terminal, in ms. */
const DIRECT_FLUSH_MS = 1_000;

/** The CLI's terminal, opened by the agent (direct-tty.ts), and whether its `~` escapes apply. */
export interface DirectTerminal {
  tty: DirectTty;
  escapes: boolean;
}

/** What the bridge drives: the session's input, size and output flow (TerminalClient's methods). */
export interface BridgedSession {
  /** Input; false when the caller should wait for inputDrained(). */
  write(data: Buffer): boolean;
  /** The viewer's input ended (EOF frame). */
  endInput(): void;
  resize(cols: number, rows: number): void;
  /** `n` more live output bytes reached the viewer (see the header). */
  consumed(n: number): void;
  pauseOutput(): void;
  resumeOutput(): void;
}

export class ViewerBridge {
  private readonly decoder = new TerminalFrameDecoder();
  private readonly disposables = new DisposableStore();
  /** Output offset of the first byte written on this channel (what the SESSION frame said). */
  private base = 0;
  /** DATA bytes written on the channel (replay + live), counted from `base`. */
  private sent = 0;
  /** Of those, the replayed ones (already consumed before this viewer came). */
  private replayed = 0;
  private acked = 0;
  /** Live bytes passed on to `session.consumed`. */
  private liveConsumed = 0;
  private waitingForDrain = false;
  private over = false;
  /** Set once the CLI stopped reading its terminal (DIRECT_READY): from then on the agent does. */
  private directActive = false;
  private directWritten = 0;
  private directLast = 0x0a;
  private directNote: NodeJS.Timeout | undefined;
  /** The last byte read from the CLI's input; on pipes, its end is typed as Ctrl-D (see endOfInput). */
  private lastTyped = 0x0a;
  /** One more Ctrl-D goes with the next output (a shell still starting drops the first). */
  private eofAgain = false;
  private readonly escapes: EscapeFilter | undefined;

  /** @param onGone the viewer left, or the bridge ended it: the session is detached (called once). */
  constructor(
    private readonly channel: ViewerChannel,
    private readonly session: BridgedSession,
    private readonly onGone: (bridge: ViewerBridge) => void,
    /** The CLI's terminal, when the agent could open it (ADR 0037). */
    private readonly direct?: DirectTerminal,
  ) {
    this.escapes = direct?.escapes ? new EscapeFilter() : undefined;
    this.disposables.add(
      channel.onData((bytes) => this.fromViewer(bytes)),
      channel.onDrain(() => this.drained()),
      channel.onClose(() => this.gone()),
    );
  }

  /**
   * Tells an acknowledging viewer which session this is and the offset its first DATA byte has; a
   * viewer without ACKs is told nothing. Call before replay().
   */
  begin(sessionId: string | undefined, offset: number): void {
    this.base = offset;
    if (this.channel.viewerAcks && sessionId !== undefined)
      this.channel.write(encodeTerminalFrame({ type: 'session', id: sessionId, offset }));
  }

  /** Sends what the viewer missed (scrollback) before anything live; counted as already consumed. */
  replay(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.write(bytes);
    this.replayed += bytes.length;
  }

  /** Starts the flow: the viewer's input is read, the session's output handed over. */
  start(): void {
    this.channel.resume();
    this.session.resumeOutput();
    if (this.direct) this.channel.write(encodeTerminalFrame({ type: 'direct-start' }));
  }

  /** One chunk of live output from the session (STDERR frames for a program's stderr). */
  output(chunk: Buffer, channel: OutputChannel = 'stdout'): void {
    if (this.over) return;
    if (this.eofAgain) {
      this.eofAgain = false;
      this.session.write(Buffer.of(EOF_CHAR));
    }
    const ok = this.write(chunk, channel);
    // Without viewer ACKs, a write the channel took below its high-water mark counts as delivered.
    if (!this.channel.viewerAcks && ok) this.consumeLive(this.sent - this.replayed);
    if (!ok && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.session.pauseOutput();
    }
  }

  status(state: TerminalState, detail: string): void {
    if (!this.over)
      this.channel.write(encodeTerminalFrame({ type: 'status', state, detail: fitText(detail) }));
  }

  /** The session ended (EXIT or ERROR frame), or another viewer took it over: last frame, then close. */
  end(frame: TerminalFrame): void {
    this.close(frame);
  }

  /**
   * The agent stops and hands the session over (viewer-sessions.ts handOver): the viewer's stream
   * closes without a last frame, as when the agent is killed, so the viewer takes the session up
   * again on the next run.
   */
  release(): void {
    this.close(undefined);
  }

  private close(frame: TerminalFrame | undefined): void {
    if (this.over) return;
    const tty = this.directActive ? this.direct?.tty : undefined;
    this.finish();
    const last = () => {
      if (frame) this.channel.write(encodeTerminalFrame(frame));
      this.channel.close();
    };
    if (!tty) return last();
    // What the CLI prints on its way out follows the program's last output on the terminal.
    this.noteWritten();
    const flushed = () => {
      tty.close();
      // A write that failed on the way out ends the CLI as that error would have: it goes first.
      const failure = tty.outputFailure();
      if (failure) this.channel.write(directFailedFrame(failure));
      last();
    };
    tty.flushed(DIRECT_FLUSH_MS).then(flushed, flushed);
  }

  /** The session accepts input again after write() returned false. */
  inputDrained(): void {
    if (this.over) return;
    this.channel.resume();
    if (this.directActive) this.direct?.tty.resumeInput();
  }

  /** Live bytes sent but not yet passed on as consumed: the session consumes them itself on detach. */
  get unconsumedLive(): number {
    return this.sent - this.replayed - this.liveConsumed;
  }

  private write(bytes: Buffer, channel: OutputChannel = 'stdout'): boolean {
    if (this.directActive && channel === 'stdout' && this.direct) {
      const ok = this.direct.tty.write(bytes);
      this.sent += bytes.length;
      this.directWritten += bytes.length;
      this.directLast = bytes[bytes.length - 1] ?? this.directLast;
      this.directNote ??= setTimeout(() => this.noteWritten(), DIRECT_WRITTEN_NOTE_MS);
      return ok;
    }
    const frames = encodeDataFrames(bytes, channel);
    let ok = true;
    for (const frame of frames) ok = this.channel.write(frame);
    this.sent += bytes.length;
    return ok;
  }

  private consumeLive(upTo: number): void {
    const n = upTo - this.liveConsumed;
    if (n <= 0) return;
    this.liveConsumed = upTo;
    this.session.consumed(n);
  }

  private drained(): void {
    if (this.over || !this.waitingForDrain) return;
    this.waitingForDrain = false;
    if (!this.channel.viewerAcks) this.consumeLive(this.sent - this.replayed);
    this.session.resumeOutput();
  }

  private fromViewer(bytes: Uint8Array): void {
    if (this.over) return;
    try {
      for (const frame of this.decoder.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)))
        this.take(frame);
    } catch (err) {
      const message = isClawError(err) ? err.message : errorMessage(err);
      this.end({ type: 'error', message: fitText(`bad terminal frame from the viewer: ${message}`) });
    }
  }

  /** Tells the CLI how much output the agent wrote on its terminal (its resume offset). */
  private noteWritten(): void {
    clearTimeout(this.directNote);
    this.directNote = undefined;
    this.channel.write(
      encodeTerminalFrame({ type: 'direct-written', offset: this.directWritten, last: this.directLast }),
    );
  }

  /** The CLI stopped reading its terminal: the agent reads the keys and writes the output there now. */
  private takeTerminal(): void {
    const tty = this.direct?.tty;
    if (!tty || this.directActive) throw new ClawError('PROTOCOL', 'unexpected DIRECT_READY frame');
    this.directActive = true;
    tty.onDrain(() => this.drained());
    tty.onInput((bytes) => this.fromTerminal(bytes));
    tty.onInputEnd(() => this.inputEnded());
    tty.onOutputError((err) => this.outputFailed(err));
    tty.resumeInput();
  }

  /**
   * The CLI's input pipe ended (ADR 0038): as the CLI does on pipes, its end reaches the program's
   * terminal as Ctrl-D (twice after a partial line: the first only hands that line over).
   */
  private inputEnded(): void {
    if (this.over) return;
    this.session.write(endOfInput(this.lastTyped));
    this.eofAgain = true;
  }

  /** Writing the CLI's output failed: it ends as on that error itself, and the session is hung up. */
  private outputFailed(err: NodeJS.ErrnoException): void {
    if (this.over) return;
    this.direct?.tty.pauseInput();
    this.channel.write(directFailedFrame(err));
  }

  /** Keys typed on the CLI's terminal, read by the agent. */
  private fromTerminal(bytes: Buffer): void {
    if (this.over || bytes.length === 0) return;
    this.lastTyped = bytes[bytes.length - 1]!;
    const typed = this.escapes ? this.escapes.push(bytes) : { send: bytes, actions: [] };
    if (typed.send.length > 0 && !this.session.write(typed.send)) this.direct?.tty.pauseInput();
    for (const action of typed.actions) {
      if (action === 'help') {
        this.direct?.tty.write(Buffer.from(`\r\n${ESCAPE_HELP}`));
        continue;
      }
      // `~.`: the CLI leaves and closes the socket, which hangs the session up as before. It learns
      // the last output byte first, so its note starts a line of its own when it must.
      this.direct?.tty.pauseInput();
      if (this.directNote) this.noteWritten();
      this.channel.write(encodeTerminalFrame({ type: 'direct-left' }));
      return;
    }
  }

  private take(frame: TerminalFrame): void {
    switch (frame.type) {
      case 'direct-ready':
        return this.takeTerminal();
      case 'data':
        if (!this.session.write(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength)))
          this.channel.pause();
        return;
      case 'resize':
        return this.session.resize(frame.cols, frame.rows);
      case 'eof':
        return this.session.endInput();
      case 'ack':
        if (!this.channel.viewerAcks) break;
        if (frame.offset < this.base + this.acked || frame.offset > this.base + this.sent) {
          throw new ClawError(
            'PROTOCOL',
            `ACK ${frame.offset} outside ${this.base + this.acked}..${this.base + this.sent}`,
          );
        }
        this.acked = frame.offset - this.base;
        return this.consumeLive(Math.max(0, this.acked - this.replayed));
      default:
        break;
    }
    throw new ClawError('PROTOCOL', `unexpected ${frame.type.toUpperCase()} frame from the viewer`);
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.directNote);
    if (!this.directActive) this.direct?.tty.close();
    this.disposables.dispose();
    this.onGone(this);
  }

  private gone(): void {
    this.finish();
    this.direct?.tty.close();
  }
}

/** DIRECT_FAILED for a write error: its errno code, or EIO when it has none the frame can carry. */
function directFailedFrame(err: NodeJS.ErrnoException): Uint8Array {
  const code = typeof err.code === 'string' && ERRNO_CODE.test(err.code) ? err.code : 'EIO';
  return encodeTerminalFrame({ type: 'direct-failed', code });
}

/** Resolves once `fingerprint` has a live path (or is no longer a peer), or after `maxMs`. */
function whenReachable(
  agent: ChangeSource,
  find: () => ReadonlyPeerEntry | undefined,
  maxMs: number,
): Promise<void> {
  const ready = () => {
    const entry = find();
    return !entry || entry.links.active !== undefined;
  };
  if (ready()) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      dispose();
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, maxMs));
    const dispose = agent.onChanged(() => {
      if (ready()) finish();
    });
  });
}

/**
 * OPEN arguments as the peer takes them: `term`, `echo`, `opost` and `pty` (and a resume's `input`)
 * only for a peer whose hello lists their feature (older nodes refuse arguments they do not know, and
 * would refuse the whole terminal). Without `pty: false` the session gets a PTY, set up by
 * `echo`/`opost` for pipes. Pure.
 */
export function argsForPeer(
  args: TerminalOpenArgs,
  features: readonly string[] | undefined,
): TerminalOpenArgs {
  if ('resume' in args) {
    if (args.input === undefined || features?.includes(FEATURE_INPUT_RESUME) === true) return args;
    const { input: _input, ...older } = args;
    return older;
  }
  const { term, echo, opost, pty, ...rest } = args;
  const takesTerm = features?.includes(FEATURE_TERMINAL_TYPE) === true;
  const takesModes = features?.includes(FEATURE_PTY_MODES) === true;
  const takesPipes = features?.includes(FEATURE_PIPES) === true;
  return {
    ...rest,
    ...(takesPipes && pty !== undefined ? { pty } : {}),
    ...(takesTerm && term !== undefined ? { term } : {}),
    ...(takesModes && echo !== undefined ? { echo } : {}),
    ...(takesModes && opost !== undefined ? { opost } : {}),
  };
}

/** An opener that reaches the peer `entry` through the agent's links, whichever path is up. */
export function agentOpener(agent: TerminalPeers, entry: ReadonlyPeerEntry): TerminalStreamOpener {
  const fingerprint = entry.record.fingerprint;
  const find = () => agent.peerEntries().find((e) => e.record.fingerprint === fingerprint);
  return {
    peerName: entry.record.name,
    open: async (args) => {
      const current = find();
      if (!current) throw new ClawError('PEER_NOT_FOUND', `${entry.record.name} is no longer a peer`);
      const sent = argsForPeer(args, current.features);
      const opened = await agent.openStream(current, TERMINAL_SERVICE, sent);
      return {
        ...opened,
        pipes: 'pty' in sent && sent.pty === false,
        inputResume: current.features?.includes(FEATURE_INPUT_RESUME) === true,
      };
    },
    whenReachable: (maxMs) => whenReachable(agent, find, maxMs),
  };
}
