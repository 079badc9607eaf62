/**
 * Where read-only is enforced (docs/adr/0123-shared-terminals.md): between a viewer's stream and the
 * session it watches, in the agent of the node where the shell runs. The gate is the stream the
 * session's watcher writes to (output goes to the viewer as it is, whole frames) and reads from:
 * only the viewer's DATA frames, and only while `mayWrite()` says so at that frame — a switch applies
 * to the next key. Input is acknowledged here either way, so the viewer's client never stalls on
 * input its viewer may not give; RESIZE, EOF and ACK from a viewer go nowhere (sizes follow the
 * sharer: the session tells the viewer the sharer's size instead, a RESIZE passed on like output; a
 * viewer cannot end the shell's input). A viewer that does not read makes the session's
 * writes wait here, which its watcher's bound sees (session-watchers.ts).
 */
import { Duplex } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import { encodeTerminalFrame, fitText, TerminalFrameDecoder } from '../../protocol/terminal-frames.js';

export class ViewGate extends Duplex {
  private readonly decoder = new TerminalFrameDecoder();
  /** Input bytes the viewer sent, typed or not: what the gate acknowledges. */
  private received = 0;

  constructor(
    private readonly viewer: Duplex,
    private readonly mayWrite: () => boolean,
  ) {
    super({ allowHalfOpen: false });
    viewer.on('data', (chunk: Buffer) => this.fromViewer(chunk));
    viewer.on('end', () => this.push(null));
    viewer.on('error', () => undefined);
    viewer.on('close', () => this.destroy());
  }

  /** Ends the viewer's stream now with `reason` (revoked, unshared, the session ended). */
  endWith(reason: string): void {
    if (!this.viewer.writableEnded)
      this.viewer.end(encodeTerminalFrame({ type: 'error', message: fitText(reason) }));
    this.destroy();
  }

  override _read(): void {
    this.viewer.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.viewer.write(chunk)) return done();
    this.viewer.once('drain', () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.viewer.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (!this.viewer.destroyed && !this.viewer.writableEnded) this.viewer.destroy();
    done(err);
  }

  private fromViewer(chunk: Buffer): void {
    let typed = 0;
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.type !== 'data') continue;
        this.received += frame.data.length;
        typed += frame.data.length;
        if (this.mayWrite() && !this.push(encodeTerminalFrame(frame))) this.viewer.pause();
      }
    } catch (err) {
      return this.endWith(`protocol error: ${errorMessage(err)}`);
    }
    if (typed > 0) this.viewer.write(encodeTerminalFrame({ type: 'ack', offset: this.received }));
  }
}
