/**
 * One terminal tab's connection: the stream channel, the frame codec and the flow control, kept out of
 * React and out of xterm so node:test can drive it with a FakeChannel. Output goes to a `Screen`
 * (xterm in the window) and is acknowledged only after the screen's write callback — the bytes have
 * been drawn — so a page that falls behind pauses the remote PTY instead of growing memory
 * (docs/web-ui.md, src-main/terminal/sessions/terminal-flow.ts).
 */
// The one terminal codec, shared with the agent (ADR 0015): the only code the page takes from src-main.
import {
  encodeDataFrames,
  encodeTerminalFrame,
  MAX_TERMINAL_DIMENSION,
  TerminalFrameDecoder,
  type ExitStatus,
} from '../../../src-main/protocol/terminal-frames.js';
import { Listeners, type Disposer, type StreamChannel } from '../../api/transport.js';

/** What the session writes to: xterm's `write(data, callback)` and `reset()`. */
export interface Screen {
  write(data: Uint8Array, drawn: () => void): void;
  /** Clears the screen before a replay that does not continue what it shows. */
  reset(): void;
  /** The terminal's size where the shell runs (a joined terminal's: the sharer's), as it is now. */
  sized?(cols: number, rows: number): void;
}

/**
 * Drawn-but-unacknowledged output at which an ACK goes out at once, in bytes (32 KiB): a quarter of the
 * agent's ACK_STEP, so the agent's 1 MiB high-water mark is never what limits a fast, healthy viewer.
 */
export const ACK_EVERY_BYTES = 32 * 1024;

/** Longest an ACK for a smaller amount waits, in ms (50): idle sessions trim the agent's replay soon. */
export const ACK_DELAY_MS = 50;

/**
 * Keys typed while the terminal is opening or reconnecting that are still sent, in bytes (64 KiB):
 * typing and a paste, not a flood — a command typed ahead, as ssh keeps what is typed while it
 * connects. With the stream attached, the node below keeps them until the device link is back (its
 * input ledger); with no stream (still opening, or the page lost it), this tab keeps them until one is.
 */
export const HELD_INPUT_BYTES = 64 * 1024;

const utf8 = new TextEncoder();

export type SessionPhase = 'connecting' | 'live' | 'reconnecting' | 'exited' | 'failed';

/** A phase in which a session takes no more input: its shell exited, or it failed or ended. */
export function isDeadPhase(phase: string): boolean {
  return phase === 'exited' || phase === 'failed';
}

export interface SessionState {
  phase: SessionPhase;
  /** One line: why reconnecting or failed, how it exited. */
  detail: string;
  exit: ExitStatus | null;
}

export class TerminalSession {
  private channel: StreamChannel | null = null;
  private decoder = new TerminalFrameDecoder();
  private disposers: Disposer[] = [];
  /** Absolute output offset of the next byte the agent sends (its session's count, from SESSION). */
  private received = 0;
  /**
   * The peer's ID for the session (from SESSION): with `offset`, what takes the session up again on an
   * agent that restarted and no longer knows this tab's session (terminal-tab.ts).
   */
  remoteId: string | null = null;

  /** Output bytes handed to the screen so far, in the peer's numbering: where a resume starts. */
  get offset(): number {
    return this.received;
  }
  /** Offset up to which the screen has drawn. */
  private drawn = 0;
  private acked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** Whether a SESSION frame said where the output stands: only then is `received` an offset. */
  private located = false;
  /**
   * What the SESSION frame of the stream being attached should say for the screen to be kept: the
   * offset asked for as `from`; null: clear it whatever comes (it shows something, at no known offset);
   * undefined: a first stream, nothing to clear.
   */
  private continuing: number | null | undefined;
  private readonly changes = new Listeners<[]>();
  /** Keys typed while no stream was attached, sent in order once one is. */
  private held: Uint8Array[] = [];
  /** Bytes typed since the terminal began opening or reconnecting (HELD_INPUT_BYTES bounds them). */
  private typedWhileAway = 0;
  state: SessionState = { phase: 'connecting', detail: '', exit: null };

  constructor(private readonly screen: Screen) {}

  onChange(listener: () => void): Disposer {
    return this.changes.add(listener);
  }

  private setState(phase: SessionPhase, detail: string, exit: ExitStatus | null = this.state.exit): void {
    if (!isAway(phase)) this.typedWhileAway = 0;
    if (phase === 'exited' || phase === 'failed') this.held = [];
    this.state = { phase, detail, exit };
    this.changes.emit();
  }

  /** Whether a stream ever opened: a session that never started failed to open, it did not end. */
  started = false;

  /**
   * The output offset the screen has been given everything up to, once known: what `terminal.attach`
   * asks for as `from` when this page's connection dropped, so the screen neither loses nor repeats.
   */
  get shownOffset(): number | undefined {
    return this.located ? this.received : undefined;
  }

  /**
   * Takes over a freshly opened (or re-attached) channel. `continuing`: for a re-attach, the `from` it
   * asked for (the screen is kept if the agent replays from there, cleared otherwise), or null to clear
   * the screen for the replay in any case.
   */
  attach(channel: StreamChannel, continuing?: number | null): void {
    this.detach();
    this.continuing = continuing;
    this.started = true;
    this.channel = channel;
    this.decoder = new TerminalFrameDecoder();
    this.disposers = [
      channel.onMessage((bytes) => this.onBytes(bytes)),
      channel.onClose((reason) => this.onClosed(reason)),
    ];
    // Keys typed while no stream was attached go first, before anything typed from now on.
    const held = this.held;
    this.held = [];
    for (const bytes of held) for (const frame of encodeDataFrames(bytes)) channel.send(frame);
    this.setState('live', '');
  }

  private onBytes(bytes: Uint8Array): void {
    let frames;
    try {
      frames = this.decoder.push(bytes);
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
      return;
    }
    for (const frame of frames) {
      switch (frame.type) {
        // A program on pipes (a session the CLI opened, taken over here): its stderr is drawn like the rest.
        case 'data':
        case 'stderr': {
          this.received += frame.data.length;
          const end = this.received;
          this.screen.write(frame.data, () => this.onDrawn(end));
          break;
        }
        case 'session':
          // A replay that does not start where the screen stopped would draw some output twice (or
          // after a gap): start from a clean screen then. Only now, once the agent said where it starts.
          if (this.continuing !== undefined && this.continuing !== frame.offset) this.screen.reset();
          this.continuing = undefined;
          // Where this stream starts in the session's output: ACKs count from there.
          this.received = this.drawn = this.acked = frame.offset;
          this.remoteId = frame.id;
          this.located = true;
          break;
        case 'status':
          this.setState(frame.state === 'reconnecting' ? 'reconnecting' : 'live', frame.detail);
          break;
        case 'exit':
          this.setState('exited', describe(frame.status), frame.status);
          break;
        case 'error':
          this.fail(frame.message);
          break;
        case 'resize':
          this.screen.sized?.(frame.cols, frame.rows);
          break;
        default:
          break;
      }
    }
  }

  private onDrawn(end: number): void {
    if (end <= this.drawn) return;
    this.drawn = end;
    if (this.drawn - this.acked >= ACK_EVERY_BYTES) this.sendAck();
    else this.ackTimer ??= setTimeout(() => this.sendAck(), ACK_DELAY_MS);
  }

  private sendAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.drawn <= this.acked || !this.channel) return;
    this.acked = this.drawn;
    this.channel.send(encodeTerminalFrame({ type: 'ack', offset: this.acked }));
  }

  private onClosed(reason: string | null): void {
    this.detach();
    if (this.state.phase === 'exited' || this.state.phase === 'failed') return;
    // The page lost its stream (agent restart, network): the session may still live in the agent.
    this.setState('reconnecting', reason ?? 'the connection to the agent closed');
  }

  private fail(message: string): void {
    this.setState('failed', message);
    this.channel?.close();
    this.detach();
  }

  /**
   * Typed or pasted text (xterm's onData), or raw bytes (onBinary). While opening or reconnecting, up
   * to HELD_INPUT_BYTES of it is still taken (see there); past that it is not sent, and the state says so.
   */
  input(data: string | Uint8Array): void {
    const { phase, detail } = this.state;
    if (data.length === 0 || (phase !== 'live' && !isAway(phase))) return;
    const bytes = typeof data === 'string' ? utf8.encode(data) : data;
    if (isAway(phase)) {
      if (this.typedWhileAway + bytes.length > HELD_INPUT_BYTES) {
        if (!detail.endsWith(NOT_SENT)) this.setState(phase, `${detail} ${NOT_SENT}`.trim());
        return;
      }
      this.typedWhileAway += bytes.length;
      if (!this.channel) return void this.held.push(bytes);
    }
    if (!this.channel) return;
    for (const frame of encodeDataFrames(bytes)) this.channel.send(frame);
  }

  resize(cols: number, rows: number): void {
    if (!this.channel || cols < 1 || rows < 1) return;
    // The wire refuses sizes past MAX_TERMINAL_DIMENSION; a window that large gets the largest there is.
    const fit = (n: number) => Math.min(Math.floor(n), MAX_TERMINAL_DIMENSION);
    this.channel.send(encodeTerminalFrame({ type: 'resize', cols: fit(cols), rows: fit(rows) }));
  }

  /** True while a program runs there: closing the tab would end it, so ask first. */
  get live(): boolean {
    return (
      this.state.phase === 'live' || this.state.phase === 'reconnecting' || this.state.phase === 'connecting'
    );
  }

  /** A channel is attached (false while reconnecting after the page lost its stream). */
  get attached(): boolean {
    return this.channel !== null;
  }

  /** Marks a session that could not be (re)opened. */
  failed(message: string): void {
    this.setState('failed', message);
  }

  private detach(): void {
    for (const d of this.disposers) d();
    this.disposers = [];
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.channel = null;
  }

  close(): void {
    const channel = this.channel;
    this.detach();
    channel?.close();
    this.changes.clear();
  }
}

/** Phases with no live stream to the program yet: keys typed meanwhile are held (HELD_INPUT_BYTES). */
function isAway(phase: SessionPhase): phase is 'connecting' | 'reconnecting' {
  return phase === 'connecting' || phase === 'reconnecting';
}

/** Said once keys typed while opening or reconnecting pass HELD_INPUT_BYTES. */
const NOT_SENT = `(keys past ${HELD_INPUT_BYTES / 1024} KiB typed meanwhile were not sent)`;

function describe(status: ExitStatus): string {
  return 'code' in status ? `exited with code ${status.code}` : `killed by ${status.signal}`;
}
