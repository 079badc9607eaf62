/**
 * A viewer on the far side of a ViewerChannel, in memory, for the agent-owned sessions' tests
 * (terminal/viewer-sessions.ts): records frames, and acknowledges output as the window does.
 */
import type { ViewerChannel } from '../../../src-main/api/viewer-channel.js';
import { Emitter } from '../../../src-main/core/emitter.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../src-main/protocol/terminal-frames.js';

/** A viewer on the far side of a ViewerChannel: records frames, may acknowledge output. */
export class MemoryViewer implements ViewerChannel {
  readonly frames: TerminalFrame[] = [];
  private readonly decoder = new TerminalFrameDecoder();
  private readonly events = new Emitter<{ data: [Uint8Array]; drain: []; close: [] }>();
  closed = false;
  /** Output offset after the last DATA byte received (from the SESSION frame on): what ACKs say. */
  received = 0;

  constructor(
    readonly viewerAcks: boolean,
    private readonly autoAck = true,
  ) {}

  /** Writes return false (the channel's buffer is "full") until drain(). */
  full = false;

  write(bytes: Uint8Array): boolean {
    for (const f of this.decoder.push(Buffer.from(bytes))) {
      this.frames.push(f);
      if (f.type === 'data') this.received += f.data.length;
      // ACKs count in the session's output numbering, from where this channel starts.
      if (f.type === 'session') this.received = f.offset;
    }
    if (this.viewerAcks && this.autoAck) queueMicrotask(() => this.ack());
    return !this.full;
  }
  drain(): void {
    this.full = false;
    this.events.emit('drain');
  }
  onData = (l: (b: Uint8Array) => void) => this.events.on('data', l);
  onDrain = (l: () => void) => this.events.on('drain', l);
  onClose = (l: () => void) => this.events.on('close', l);
  pause(): void {}
  resume(): void {}
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.emit('close');
  }

  /** The viewer has drawn everything so far. */
  ack(): void {
    if (!this.closed) this.send({ type: 'ack', offset: this.received });
  }
  send(frame: TerminalFrame): void {
    this.events.emit('data', encodeTerminalFrame(frame));
  }
  get text(): string {
    return Buffer.concat(
      this.frames.flatMap((f) => (f.type === 'data' ? [Buffer.from(f.data)] : [])),
    ).toString('utf8');
  }
  get last(): TerminalFrame | undefined {
    return this.frames.at(-1);
  }
}
