/**
 * A terminal on a device, from the browser (docs/protocol.md §Terminal service): a `terminal` stream
 * whose frames are src-main/protocol/terminal-frames.ts's (the codec the window already shares, ADR
 * 0015). Output is acknowledged as it is handed to the viewer, so the device keeps its program going;
 * input is sent as DATA and RESIZE.
 */
import {
  encodeTerminalFrame,
  TERMINAL_SERVICE,
  TerminalFrameDecoder,
  type ExitStatus,
} from '../../src-main/protocol/terminal-frames.js';
import { BrowserNodeError } from './bytes.js';
import type { BrowserMux, MuxStream } from './mux.js';

/** Output acknowledged in steps of this many bytes (the protocol's 128 KiB). */
const ACK_STEP = 128 * 1024;

export interface TerminalEvents {
  output(bytes: Uint8Array): void;
  /** The session ended: how the program exited, or why the stream failed. */
  end(result: { exit?: ExitStatus; error?: string }): void;
}

export class BrowserTerminal {
  /** The session's ID on the device, from its first frame. */
  session: string | undefined;
  private received = 0;
  private acked = 0;
  private readonly decoder = new TerminalFrameDecoder();
  private ended = false;

  private constructor(
    private readonly stream: MuxStream,
    private readonly events: TerminalEvents,
  ) {
    stream.onData((bytes) => this.onBytes(bytes));
    stream.onEnd((error) => this.finish(error ? { error: error.message } : {}));
  }

  /** Opens a new shell session. @throws (rejects) BrowserNodeError('STREAM_REJECTED') with the device's reason. */
  static async open(
    mux: BrowserMux,
    size: { cols: number; rows: number },
    events: TerminalEvents,
  ): Promise<BrowserTerminal> {
    const stream = await mux.open(TERMINAL_SERVICE, { v: 1, cols: size.cols, rows: size.rows });
    return new BrowserTerminal(stream, events);
  }

  write(text: string | Uint8Array): void {
    const data = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    if (data.length > 0) this.stream.write(encodeTerminalFrame({ type: 'data', data }));
  }

  resize(cols: number, rows: number): void {
    this.stream.write(encodeTerminalFrame({ type: 'resize', cols, rows }));
  }

  /** Hangs the session up. */
  close(): void {
    this.stream.end();
  }

  private onBytes(bytes: Uint8Array): void {
    let frames;
    try {
      frames = this.decoder.push(bytes);
    } catch (err) {
      this.stream.reset(`bad terminal frame: ${(err as Error).message}`);
      return;
    }
    for (const frame of frames) {
      switch (frame.type) {
        case 'session':
          this.session = frame.id;
          this.received = this.acked = frame.offset;
          break;
        case 'data':
        case 'stderr':
          this.received += frame.data.length;
          this.events.output(frame.data);
          if (this.received - this.acked >= ACK_STEP) {
            this.acked = this.received;
            this.stream.write(encodeTerminalFrame({ type: 'ack', offset: this.received }));
          }
          break;
        case 'exit':
          this.finish({ exit: frame.status });
          this.stream.end();
          break;
        case 'error':
          this.finish({ error: frame.message });
          break;
        case 'ack':
          break;
        default:
          this.stream.reset(`unexpected terminal frame ${frame.type}`);
      }
    }
  }

  private finish(result: { exit?: ExitStatus; error?: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.events.end(
      result.exit || result.error
        ? result
        : { error: new BrowserNodeError('LINK_CLOSED', 'the terminal stream ended').message },
    );
  }
}
