/**
 * A terminal on a device, from the browser (docs/protocol.md §Terminal service): a `terminal` stream
 * whose frames are src-main/protocol/terminal-frames.ts's (the codec the window already shares, ADR
 * 0015). Output is acknowledged as it is handed to the viewer, so the device keeps its program going.
 * When the link drops (a phone changes networks, the relay's socket is cut) the terminal resumes the
 * same session on a new link, from the last output byte received, and sends again the input the
 * device had not taken yet: nothing is lost or doubled either way.
 */
import {
  encodeTerminalFrame,
  TERMINAL_SERVICE,
  TerminalFrameDecoder,
  type ExitStatus,
} from '../../src-main/protocol/terminal-frames.js';
import type { BrowserNodeError } from './bytes.js';
import { concat } from './bytes.js';
import type { MuxStream } from './mux.js';
import { background } from '../../src-main/core/background.js';

/** Output acknowledged in steps of this many bytes (the protocol's 128 KiB). */
const ACK_STEP = 128 * 1024;
/** How long resuming is tried, in ms: the device keeps a lost session this long (terminalResumeMs). */
export const RESUME_FOR_MS = 60_000;
/** Pauses between resume attempts, in ms: short first (a blip), then steady. */
const RESUME_PAUSES_MS = [250, 1_000, 2_000];
/** Refusals no retry can change: the session or this browser's access is gone. */
const FINAL = new Set(['REMOVED', 'NOT_APPROVED', 'PERMISSION_DENIED', 'SESSION_GONE', 'BAD_REQUEST']);

/**
 * Output asked for again when a reloaded page takes a session up, before the last offset it kept, in
 * bytes (512 KiB): what the screen shows again. The device keeps the last 2 MiB (REPLAY_BUFFER_BYTES)
 * and pauses the program once 1 MiB is unacknowledged, and the kept offset is at least what was
 * acknowledged (`progress` is told at each ACK), so this much before it is always still held.
 */
export const TAKE_UP_REPLAY_BYTES = 512 * 1024;

export interface TerminalEvents {
  output(bytes: Uint8Array): void;
  /** The session ended: how the program exited, or why it is lost. */
  end(result: { exit?: ExitStatus; error?: string }): void;
  /** The link dropped and the terminal is resuming, or it resumed. */
  status?(state: 'reconnecting' | 'resumed', detail: string): void;
  /**
   * Where the session stands, for a page that keeps it across a reload (takeUp): its ID on the device
   * and the output received so far, told when the session is known and at each ACK, so it is never
   * behind what the device was told was taken.
   */
  progress?(where: { session: string; received: number }): void;
}

/** Opens a `terminal` stream with these OPEN arguments, on a link to the device (a new one if need be). */
export type OpenTerminalStream = (args: Record<string, unknown>) => Promise<MuxStream>;

export class BrowserTerminal {
  /** The session's ID on the device, from its first frame. */
  session: string | undefined;
  private stream: MuxStream | undefined;
  /** Output bytes received since the session began, and acknowledged. */
  private received = 0;
  private acked = 0;
  /** Input sent but not yet taken by the device, and the session's input offset of its first byte. */
  private unacked: Uint8Array = new Uint8Array(0);
  private unackedFrom = 0;
  /** The session's input offset where this stream's input count starts. */
  private streamInputFrom = 0;
  /** Whether the current stream's SESSION frame arrived (input waits for it on a resume). */
  private ready = false;
  /** No more resuming or input: the user closed it, or it finished. */
  private ended = false;
  /** `end` was told. */
  private finished = false;
  /**
   * Taken up by a reloaded page (takeUp): the input the session took before is not known here until
   * the device says it in SESSION; input is numbered from there.
   */
  private inputUnknown = false;
  private size: { cols: number; rows: number };
  /** The size the current stream was opened with: a resize made while it opened goes once it is ready. */
  private openedWith: { cols: number; rows: number };

  private constructor(
    private readonly openStream: OpenTerminalStream,
    size: { cols: number; rows: number },
    private readonly events: TerminalEvents,
  ) {
    this.size = { ...size };
    this.openedWith = { ...size };
  }

  /** Opens a new shell session. @throws (rejects) BrowserNodeError('STREAM_REJECTED') with the device's reason. */
  static async open(
    openStream: OpenTerminalStream,
    size: { cols: number; rows: number },
    events: TerminalEvents,
  ): Promise<BrowserTerminal> {
    const terminal = new BrowserTerminal(openStream, size, events);
    terminal.attach(await openStream({ v: 1, cols: size.cols, rows: size.rows }));
    return terminal;
  }

  /**
   * Takes session `session` up again on the device, from output byte `from`, after the page that had
   * it reloaded: resumes as after a dropped link (tried for RESUME_FOR_MS), and `status('resumed')`
   * says once it did; `end` says why not (the session is gone, the device refused). Input written
   * meanwhile is sent once it resumed.
   */
  static takeUp(
    openStream: OpenTerminalStream,
    where: { session: string; from: number },
    size: { cols: number; rows: number },
    events: TerminalEvents,
  ): BrowserTerminal {
    const terminal = new BrowserTerminal(openStream, size, events);
    terminal.session = where.session;
    terminal.received = terminal.acked = where.from;
    terminal.inputUnknown = true;
    terminal
      .resume(Date.now() + RESUME_FOR_MS)
      .catch((err: unknown) => terminal.finish({ error: String(err) }));
    return terminal;
  }

  write(text: string | Uint8Array): void {
    const data = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    if (data.length === 0 || this.ended) return;
    this.unacked = concat(this.unacked, data);
    if (this.stream && this.ready) this.stream.write(encodeTerminalFrame({ type: 'data', data }));
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    if (this.stream && this.ready) this.stream.write(encodeTerminalFrame({ type: 'resize', cols, rows }));
  }

  /** Hangs the session up. */
  close(): void {
    this.ended = true;
    this.stream?.end();
  }

  private attach(stream: MuxStream): void {
    this.stream = stream;
    this.ready = false;
    const decoder = new TerminalFrameDecoder();
    stream.onData((bytes) => {
      if (this.stream === stream) this.onBytes(stream, decoder, bytes);
    });
    stream.onEnd((error) => {
      if (this.stream === stream) this.lost(error);
    });
  }

  private onBytes(stream: MuxStream, decoder: TerminalFrameDecoder, bytes: Uint8Array): void {
    let frames;
    try {
      frames = decoder.push(bytes);
    } catch (err) {
      stream.reset(`bad terminal frame: ${(err as Error).message}`);
      return;
    }
    for (const frame of frames) {
      switch (frame.type) {
        case 'session':
          this.onSession(stream, frame.id, frame.offset, frame.input);
          break;
        case 'data':
        case 'stderr':
          this.received += frame.data.length;
          this.events.output(frame.data);
          if (this.received - this.acked >= ACK_STEP) {
            this.acked = this.received;
            this.events.progress?.({ session: this.session!, received: this.received });
            stream.write(encodeTerminalFrame({ type: 'ack', offset: this.received }));
          }
          break;
        case 'ack':
          // Input this stream carried that the device has written to the program.
          this.taken(this.streamInputFrom + frame.offset);
          break;
        case 'exit':
          this.finish({ exit: frame.status });
          stream.end();
          break;
        case 'error':
          this.finish({ error: frame.message });
          break;
        default:
          stream.reset(`unexpected terminal frame ${frame.type}`);
      }
    }
  }

  /** The stream's first frame: a new session, or the resumed one with how much input it has taken. */
  private onSession(stream: MuxStream, id: string, offset: number, input: number | undefined): void {
    if (this.session !== undefined && id !== this.session) {
      stream.reset('the device resumed another session');
      return;
    }
    this.session = id;
    if (offset !== this.received) {
      stream.reset(`the device resumed at output byte ${offset}, not ${this.received}`);
      return;
    }
    // Taken up after a reload: what is written from now on follows what the session already took.
    if (this.inputUnknown && input !== undefined) this.unackedFrom = input;
    this.inputUnknown = false;
    // What the session took over all its streams; without it (an older device) all unacknowledged input is sent again.
    if (input !== undefined) this.taken(input);
    this.streamInputFrom = this.unackedFrom;
    this.ready = true;
    this.events.progress?.({ session: id, received: this.received });
    // The window was resized while this stream opened (a reloaded page fits its tab then).
    const { cols, rows } = this.size;
    if (cols !== this.openedWith.cols || rows !== this.openedWith.rows)
      stream.write(encodeTerminalFrame({ type: 'resize', cols, rows }));
    if (this.unacked.length > 0) stream.write(encodeTerminalFrame({ type: 'data', data: this.unacked }));
  }

  /** The device has taken input up to the session offset `upTo`: that much need never be sent again. */
  private taken(upTo: number): void {
    const drop = Math.min(Math.max(0, upTo - this.unackedFrom), this.unacked.length);
    this.unacked = this.unacked.subarray(drop);
    this.unackedFrom += drop;
  }

  private lost(error: BrowserNodeError | undefined): void {
    this.stream = undefined;
    if (this.ended) return;
    if (
      !error ||
      this.session === undefined ||
      error.code !== 'LINK_CLOSED' ||
      FINAL.has(error.refusal ?? '')
    ) {
      this.finish({ error: error?.message ?? 'the terminal stream ended' });
      return;
    }
    this.events.status?.('reconnecting', error.message);
    // resume ends the terminal itself when it cannot; a throw past that (a bug) ends it too.
    background(this.resume(Date.now() + RESUME_FOR_MS), (err) =>
      this.finish({ error: err instanceof Error ? err.message : String(err) }),
    );
  }

  private async resume(deadline: number): Promise<void> {
    for (let attempt = 0; !this.ended; attempt++) {
      try {
        const size = { ...this.size };
        const stream = await this.openStream({
          v: 1,
          resume: this.session,
          offset: this.received,
          ...size,
          input: true,
        });
        this.openedWith = size;
        if (this.ended) return stream.end();
        this.attach(stream);
        this.events.status?.('resumed', 'the terminal resumed on the same session');
        return;
      } catch (err) {
        const e = err as BrowserNodeError;
        if (FINAL.has(e.refusal ?? '') || Date.now() >= deadline) {
          this.finish({ error: e.message });
          return;
        }
        const pause = RESUME_PAUSES_MS[Math.min(attempt, RESUME_PAUSES_MS.length - 1)]!;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  private finish(result: { exit?: ExitStatus; error?: string }): void {
    if (this.finished) return;
    this.finished = true;
    this.ended = true;
    this.events.end(result);
  }
}

export { TERMINAL_SERVICE };
