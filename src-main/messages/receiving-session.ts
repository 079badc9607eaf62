/**
 * The receiving end of a `message` stream (a peer delivering into this node's inbox): HELLO first,
 * then each MSG offered to the inbox in the order it arrived, and its answer (DELIVERED or REFUSED)
 * sent once the inbox's decision is durable — answers, ROOM and RESUMED leave in the order of the
 * frames that caused them (docs/protocol.md "message service"). DELIVERED IDs that become durable
 * together leave in one frame.
 */
import type { Duplex } from 'node:stream';
import type { Disposer } from '../core/emitter.js';
import {
  MAX_IDS_PER_FRAME,
  MAX_MESSAGE_BODY_BYTES,
  MESSAGE_PROTOCOL_VERSION,
  type MessageFrame,
  type MessageFrameMsg,
} from '../protocol/message-frames.js';
import { FrameChannel } from './frame-channel.js';
import { messageBurst } from './message-burst.js';
import type { Offer } from './inbox.js';
import { DisposableStore } from '../core/disposables.js';

/** What a receiving session needs of the inbox. */
export interface ReceivingBox {
  offer(from: string, msg: MessageFrameMsg): Offer;
  readOf(from: string, ids: readonly string[]): string[];
  readonly events: {
    on(event: 'read', listener: (from: string, ids: string[]) => void): Disposer;
    on(event: 'room', listener: (from: string) => void): Disposer;
  };
}

/**
 * Answers queued before reading stops (1,024): enough for a window of small messages in flight, few
 * enough that a peer sending frames whose answers it never reads holds little here (frame-channel.ts).
 */
export const MAX_ANSWERS_WAITING = 1024;

type Answer = { kind: 'delivered'; id: string } | { kind: 'frame'; frame: MessageFrame };

interface Pending {
  answer: Answer;
  ready: boolean;
}

export class ReceivingSession {
  private readonly channel: FrameChannel;
  private readonly answers: Pending[] = [];
  private pumpScheduled = false;
  /** INBOX_FULL was said: every MSG is refused the same way until the sender's RESUME. */
  private blocked = false;
  private roomSent = false;
  private readonly disposables = new DisposableStore();

  constructor(
    stream: Duplex,
    /** The sender's fingerprint. */
    readonly peer: string,
    private readonly inbox: ReceivingBox,
  ) {
    this.channel = new FrameChannel(
      stream,
      (f) => this.onFrame(f),
      () => this.dispose(),
      () => this.answers.length >= MAX_ANSWERS_WAITING,
    );
    this.disposables.add(
      inbox.events.on('read', (from, ids) => {
        if (from === this.peer) this.sendIds('read', ids);
      }),
      inbox.events.on('room', (from) => {
        if (from !== this.peer || !this.blocked || this.roomSent) return;
        this.roomSent = true;
        this.answer({ kind: 'frame', frame: { type: 'room' } }, Promise.resolve());
      }),
    );
    this.channel.send({
      type: 'hello',
      version: MESSAGE_PROTOCOL_VERSION,
      maxBodyBytes: MAX_MESSAGE_BODY_BYTES,
    });
  }

  /** Why the session ended (undefined when closed here without an error). */
  get closed(): Promise<Error | undefined> {
    return this.channel.closed;
  }

  close(err?: Error): void {
    this.channel.close(err);
  }

  private onFrame(frame: MessageFrame): void {
    switch (frame.type) {
      case 'msg':
        return this.onMessage(frame);
      case 'want-read':
        return this.sendIds('read', this.inbox.readOf(this.peer, frame.ids));
      case 'resume':
        this.blocked = false;
        this.roomSent = false;
        return this.answer({ kind: 'frame', frame: { type: 'resumed' } }, Promise.resolve());
      default:
        return this.channel.close(new Error(`a sender does not send ${frame.type.toUpperCase()}`));
    }
  }

  private onMessage(msg: MessageFrameMsg): void {
    const full = (reason: string): MessageFrame => ({
      type: 'refused',
      id: msg.id,
      code: 'INBOX_FULL',
      reason,
    });
    if (this.blocked)
      return this.answer(
        { kind: 'frame', frame: full('the inbox is full for this peer') },
        Promise.resolve(),
      );
    messageBurst.add(1);
    const offer = this.inbox.offer(this.peer, msg);
    if (offer.kind === 'refused') {
      if (offer.code === 'INBOX_FULL') this.blocked = true;
      const frame: MessageFrame = { type: 'refused', id: msg.id, code: offer.code, reason: offer.reason };
      return this.answer({ kind: 'frame', frame }, offer.durable);
    }
    this.answer({ kind: 'delivered', id: msg.id }, offer.durable);
    // A repeat of one a program read already: its sender missed that receipt too (the link went before
    // the DELIVERED reached it, and the READ's link with it), and asks for READs only on a new stream.
    if (offer.kind === 'duplicate' && this.inbox.readOf(this.peer, [msg.id]).length > 0)
      this.answer({ kind: 'frame', frame: { type: 'read', ids: [msg.id] } }, offer.durable);
  }

  /** Queues an answer that may leave once `durable` settled and every earlier answer left. */
  private answer(answer: Answer, durable: Promise<unknown>): void {
    const item: Pending = { answer, ready: false };
    this.answers.push(item);
    durable.then(
      () => {
        item.ready = true;
        this.schedulePump();
      },
      // The inbox could not record it: nothing may be acknowledged; the sender resends on its next link.
      (err: unknown) => this.channel.close(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** Pumps on the next turn, so every answer that became ready in this one leaves together. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    let delivered: string[] = [];
    const flush = () => {
      if (delivered.length > 0) this.sendIds('delivered', delivered);
      delivered = [];
    };
    while (this.answers.length > 0 && this.answers[0]!.ready && this.channel.isOpen) {
      const { answer } = this.answers.shift()!;
      if (answer.kind === 'delivered') delivered.push(answer.id);
      else {
        flush();
        this.channel.send(answer.frame);
      }
    }
    flush();
    this.channel.readMore();
  }

  private sendIds(type: 'delivered' | 'read', ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_FRAME) {
      this.channel.send({ type, ids: ids.slice(i, i + MAX_IDS_PER_FRAME) });
    }
  }

  private dispose(): void {
    this.disposables.dispose();
    this.answers.length = 0;
  }
}
