/**
 * The sending end of a `message` stream (this node delivering its outbox to a peer). After the
 * receiver's HELLO it asks for the READs it still waits for (WANT_READ) and then sends every pending
 * message to that peer in ID order — the order they were queued — followed by each one queued while
 * the stream lasts. A pass is that ordered run; a new stream, or a RESUME after the receiver's ROOM,
 * starts a new one from the oldest undelivered message, so what the receiver accepts per topic always
 * arrives in order (ADR 0046 §Order). An INBOX_FULL pauses the pass until ROOM; answers that were
 * already on their way when RESUME went out (before the receiver's RESUMED) are stale and ignored.
 */
import type { Duplex } from 'node:stream';
import type { Disposer } from '../core/emitter.js';
import { background } from '../core/background.js';
import { errorMessage } from '../core/errors.js';
import {
  isFinalRefusal,
  MAX_IDS_PER_FRAME,
  MESSAGE_PROTOCOL_VERSION,
  type MessageFrame,
  type MessageFrameMsg,
} from '../protocol/message-frames.js';
import type { Why } from './box-records.js';
import { FrameChannel } from './frame-channel.js';
import type { OutboxEntry } from './outbox-entry.js';
import { DisposableStore } from '../core/disposables.js';

/** What a sending session needs of the outbox. */
export interface SendingBox {
  pending(peer: string): OutboxEntry[];
  isPending(peer: string, id: string): boolean;
  awaitingRead(peer: string): string[];
  body(id: string): Promise<Uint8Array>;
  /** The body when it is in memory (no read needed), else undefined. */
  cachedBody(id: string): Uint8Array | undefined;
  markSent(peer: string, id: string): void;
  markWaiting(peer: string, id: string, why: Why): void;
  delivered(peer: string, ids: readonly string[]): Promise<void>;
  read(peer: string, ids: readonly string[]): Promise<void>;
  refuse(peer: string, id: string, why: Why): Promise<void>;
  readonly events: { on(event: 'queued', listener: (entry: OutboxEntry) => void): Disposer };
}

type Phase = 'hello' | 'sending' | 'paused';

/**
 * Bytes of messages gathered into one write to the stream (64 KiB): a burst of small messages leaves
 * as a few large chunks instead of one per message (each chunk costs the mux a frame and the link a
 * seal), and a large one leaves at once.
 */
export const SEND_BATCH_BYTES = 64 * 1024;
/** About what a MSG adds to its body on the wire (header, ID, topic), for SEND_BATCH_BYTES. */
const MSG_OVERHEAD_BYTES = 64;

export class SendingSession {
  private readonly channel: FrameChannel;
  private phase: Phase = 'hello';
  /** Counts passes; a pump that sees it change drops what it was doing. */
  private pass = 0;
  private queue: OutboxEntry[] = [];
  private readonly queued = new Set<string>();
  private pumping = false;
  /** RESUME went out and the receiver's RESUMED has not come: INBOX_FULLs now are stale. */
  private awaitingResumed = false;
  private maxBodyBytes = 0;
  private readonly disposables = new DisposableStore();

  constructor(
    stream: Duplex,
    /** The receiver's fingerprint. */
    readonly peer: string,
    private readonly outbox: SendingBox,
  ) {
    this.channel = new FrameChannel(
      stream,
      (f) => this.onFrame(f),
      () => this.dispose(),
    );
    this.disposables.add(
      outbox.events.on('queued', (entry) => {
        if (entry.peer !== this.peer || this.phase !== 'sending' || this.queued.has(entry.id)) return;
        this.enqueue(entry);
        this.pumpSoon();
      }),
    );
  }

  /** Why the session ended (undefined when closed here without an error). */
  get closed(): Promise<Error | undefined> {
    return this.channel.closed;
  }

  close(err?: Error): void {
    this.channel.close(err);
  }

  private onFrame(frame: MessageFrame): void {
    if (this.phase === 'hello' && frame.type !== 'hello') {
      return this.channel.close(new Error(`the receiver sent ${frame.type.toUpperCase()} before HELLO`));
    }
    switch (frame.type) {
      case 'hello':
        if (this.phase !== 'hello') return this.channel.close(new Error('a second HELLO'));
        if (frame.version < MESSAGE_PROTOCOL_VERSION) {
          return this.channel.close(
            new Error(
              `the receiver speaks message protocol ${frame.version}, not ${MESSAGE_PROTOCOL_VERSION}`,
            ),
          );
        }
        this.maxBodyBytes = frame.maxBodyBytes;
        for (const ids of chunks(this.outbox.awaitingRead(this.peer)))
          this.channel.send({ type: 'want-read', ids });
        return this.startPass();
      case 'delivered':
        return this.settle(this.outbox.delivered(this.peer, frame.ids));
      case 'read':
        return this.settle(this.outbox.read(this.peer, frame.ids));
      case 'refused':
        if (isFinalRefusal(frame.code)) {
          return this.settle(
            this.outbox.refuse(this.peer, frame.id, { code: frame.code, reason: frame.reason }),
          );
        }
        if (this.awaitingResumed) return; // an answer to a MSG of the pass before RESUME
        this.outbox.markWaiting(this.peer, frame.id, { code: frame.code, reason: frame.reason });
        this.phase = 'paused';
        this.pass++;
        this.queue = [];
        this.queued.clear();
        return;
      case 'room':
        this.channel.send({ type: 'resume' });
        this.awaitingResumed = true;
        return this.startPass();
      case 'resumed':
        this.awaitingResumed = false;
        return;
      default:
        return this.channel.close(new Error(`a receiver does not send ${frame.type.toUpperCase()}`));
    }
  }

  /** Starts sending every pending message from the oldest (a new link, or RESUME). */
  private startPass(): void {
    this.phase = 'sending';
    this.pass++;
    this.queue = [];
    this.queued.clear();
    for (const entry of this.outbox.pending(this.peer)) this.enqueue(entry);
    this.pumpSoon();
  }

  private enqueue(entry: OutboxEntry): void {
    this.queue.push(entry);
    this.queued.add(entry.id);
  }

  /**
   * Sends the queue in order, waiting whenever the stream is full. Messages whose bodies are in
   * memory leave together, up to SEND_BATCH_BYTES per write (one chunk on the stream for many
   * messages); a body read from the log first sends what was gathered.
   */
  /** pump, not awaited: it closes the channel on what it meets; a throw past that (a bug) does too. */
  private pumpSoon(): void {
    background(this.pump(), (err) => this.close(err instanceof Error ? err : new Error(String(err))));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let frames: MessageFrameMsg[] = [];
    let bytes = 0;
    /** Writes what was gathered and marks it sent; false when the stream asks to wait. */
    const flush = (): boolean => {
      if (frames.length === 0) return true;
      const batch = frames;
      frames = [];
      bytes = 0;
      const more = this.channel.sendAll(batch);
      for (const f of batch) this.outbox.markSent(this.peer, f.id);
      return more;
    };
    try {
      while (this.phase === 'sending' && this.channel.isOpen && this.queue.length > 0) {
        const pass = this.pass;
        const entry = this.queue.shift()!;
        if (!this.outbox.isPending(this.peer, entry.id)) continue;
        if (entry.size > this.maxBodyBytes) {
          if (!flush()) await this.channel.drained();
          const why: Why = {
            code: 'TOO_LARGE',
            reason: `the peer takes messages of at most ${this.maxBodyBytes} bytes`,
          };
          await this.outbox.refuse(this.peer, entry.id, why);
          continue;
        }
        let body = this.outbox.cachedBody(entry.id);
        if (body === undefined) {
          if (!flush()) await this.channel.drained();
          try {
            body = await this.outbox.body(entry.id);
          } catch {
            continue; // deleted or delivered meanwhile
          }
          if (pass !== this.pass || !this.channel.isOpen) continue;
        }
        const frame: MessageFrameMsg = {
          type: 'msg',
          id: entry.id,
          topic: entry.topic,
          text: entry.text,
          ttlMs: entry.ttlMs,
          body,
        };
        if (entry.replyTo !== undefined) frame.replyTo = entry.replyTo;
        if (entry.error) frame.error = true;
        frames.push(frame);
        bytes += body.length + MSG_OVERHEAD_BYTES;
        if (bytes >= SEND_BATCH_BYTES && !flush()) await this.channel.drained();
      }
      // The pass may have changed meanwhile only across an await, after which nothing was gathered.
      if (!flush()) await this.channel.drained();
    } catch (err) {
      this.channel.close(new Error(`sending messages failed: ${errorMessage(err)}`));
    } finally {
      this.pumping = false;
    }
    // Queued while the last step awaited and the loop had already looked.
    if (this.phase === 'sending' && this.channel.isOpen && this.queue.length > 0) this.pumpSoon();
  }

  /** A receipt recorded in the outbox; when the outbox cannot record, the session ends (receipts come again). */
  private settle(done: Promise<void>): void {
    done.catch((err: unknown) =>
      this.channel.close(new Error(`recording a receipt failed: ${errorMessage(err)}`)),
    );
  }

  private dispose(): void {
    this.disposables.dispose();
    this.queue = [];
    this.queued.clear();
  }
}

function* chunks(ids: readonly string[]): Generator<string[]> {
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_FRAME) yield ids.slice(i, i + MAX_IDS_PER_FRAME);
}
