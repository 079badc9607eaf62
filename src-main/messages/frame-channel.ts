/**
 * Message frames over a byte stream (a mux stream in the agent, an in-memory pair in tests): length-
 * prefixed frames in, frames out with the stream's backpressure, and one `closed` for both ends.
 *
 * Every frame a peer sends may cost an answer (RESUMED for RESUME, REFUSED for a MSG), so reading
 * stops while the answers wait: when the stream's write side asks to wait, or the owner says it holds
 * too many unsent answers (`busy`), the frames not yet handled are held and the stream is paused until
 * it drains. A paused stream returns no credit, so a peer that never reads its answers is stopped by
 * its own credit window, not by this process's memory (DESIGN §11).
 */
import type { Duplex } from 'node:stream';
import { ClawError } from '../core/errors.js';
import {
  LENGTH_HEADER_BYTES,
  LengthPrefixedDecoder,
  encodeLengthPrefixed,
} from '../protocol/length-prefixed.js';
import {
  decodeMessageFrame,
  encodeMessageFrame,
  MAX_MESSAGE_FRAME_BYTES,
  type MessageFrame,
} from '../protocol/message-frames.js';

export class FrameChannel {
  private readonly decoder = new LengthPrefixedDecoder(MAX_MESSAGE_FRAME_BYTES);
  private ended = false;
  /** Frames read but not yet handled while reading waits (at most one chunk's worth). */
  private held: Buffer[] = [];
  private paused = false;
  private readonly done: Promise<Error | undefined>;
  private finish!: (err: Error | undefined) => void;

  /**
   * @param onFrame each frame, in order (synchronously: the order of calls is the order on the wire)
   * @param onClose once, when the stream ended or failed (`err`) or `close` was called
   * @param busy whether the owner holds too many answers to read more now (then it calls `readMore`
   *   once it sent some)
   */
  constructor(
    private readonly stream: Duplex,
    private readonly onFrame: (frame: MessageFrame) => void,
    onClose: (err: Error | undefined) => void,
    private readonly busy: () => boolean = () => false,
  ) {
    this.done = new Promise((resolve) => {
      this.finish = (err) => {
        if (this.ended) return;
        this.ended = true;
        stream.off('data', onData);
        stream.off('drain', onDrain);
        this.held = [];
        resolve(err);
        onClose(err);
      };
    });
    const onData = (chunk: Buffer) => {
      if (this.ended) return;
      try {
        const frames = this.decoder.push(chunk);
        this.held = this.held.length === 0 ? frames : this.held.concat(frames);
      } catch (err) {
        return this.close(err instanceof Error ? err : new Error(String(err)));
      }
      this.handleHeld();
    };
    const onDrain = () => this.readMore();
    stream.on('data', onData);
    stream.on('drain', onDrain);
    stream.once('end', () => this.close(new ClawError('LINK_CLOSED', 'the message stream ended')));
    stream.once('close', () => this.close(new ClawError('LINK_CLOSED', 'the message stream closed')));
    // `on`, not `once`: a late write to a dead stream may report a second error, which must not go unheard.
    stream.on('error', (err: Error) => this.close(err));
  }

  /** Settles with why the channel ended (undefined after a local `close()` without an error). */
  get closed(): Promise<Error | undefined> {
    return this.done;
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  /**
   * Handles what was held and reads on, unless the answers still wait (the owner calls it when its
   * own backlog shrank; the stream's `drain` calls it too).
   */
  readMore(): void {
    if (this.ended) return;
    this.handleHeld();
  }

  private mustWait(): boolean {
    return this.stream.writableNeedDrain || this.busy();
  }

  /** Handles held frames in order until none is left (then reads on) or the answers must drain first. */
  private handleHeld(): void {
    try {
      let i = 0;
      for (; i < this.held.length && !this.ended; i++) {
        if (this.mustWait()) break;
        this.onFrame(decodeMessageFrame(this.held[i]!));
      }
      this.held = i >= this.held.length ? [] : this.held.slice(i);
    } catch (err) {
      return this.close(err instanceof Error ? err : new Error(String(err)));
    }
    if (this.ended) return;
    if (this.held.length > 0 || this.mustWait()) {
      if (!this.paused) {
        this.paused = true;
        this.stream.pause();
      }
    } else if (this.paused) {
      this.paused = false;
      this.stream.resume();
    }
  }

  /** Writes one frame; false when the stream asks the writer to wait for `drained`. */
  send(frame: MessageFrame): boolean {
    if (this.ended) return false;
    return this.stream.write(encodeLengthPrefixed(encodeMessageFrame(frame)));
  }

  /**
   * Writes frames one after another in one write (each with its length header, as `send` writes
   * them): a burst of messages becomes one chunk on the stream, not one per message. False as `send`.
   */
  sendAll(frames: readonly MessageFrame[]): boolean {
    if (this.ended || frames.length === 0) return !this.ended;
    if (frames.length === 1) return this.send(frames[0]!);
    const payloads = frames.map(encodeMessageFrame);
    let total = 0;
    for (const p of payloads) total += LENGTH_HEADER_BYTES + p.length;
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const p of payloads) {
      out.writeUInt32BE(p.length, at);
      out.set(p, at + LENGTH_HEADER_BYTES);
      at += LENGTH_HEADER_BYTES + p.length;
    }
    return this.stream.write(out);
  }

  /** Resolves when the stream takes writes again (or the channel ended). */
  drained(): Promise<void> {
    if (this.ended || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        resolve();
      };
      this.stream.once('drain', done);
      this.done.then(done, done);
    });
  }

  /** Ends the channel: with an error the stream is reset (the peer sees why), without one it is ended. */
  close(err?: Error): void {
    if (this.ended) return;
    this.finish(err);
    if (err) this.stream.destroy(err);
    else this.stream.end();
  }
}
