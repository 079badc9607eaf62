/**
 * Message sessions per peer (ADR 0046): at most one sending and one receiving session per peer at a
 * time. A new stream replaces the old one at once — the old one is closed before the new one reads a
 * frame — so a path change can never let an old link's late frames interleave with the new pass.
 * Pure logic over byte streams and the two boxes' narrow ports: the agent's service wiring hands
 * streams in; tests use in-memory pairs.
 */
import type { Duplex } from 'node:stream';
import { ClawError } from '../core/errors.js';
import type { Why } from './box-records.js';
import { ReceivingSession, type ReceivingBox } from './receiving-session.js';
import { SendingSession, type SendingBox } from './sending-session.js';

export { ReceivingSession, type ReceivingBox } from './receiving-session.js';
export { SendingSession, type SendingBox } from './sending-session.js';

/** What the sending side needs beyond a session's port: refusing what a refused stream cannot carry. */
export interface SessionOutbox extends SendingBox {
  refusePending(peer: string, why: Why): Promise<void>;
}

export class MessageSessions {
  private readonly sending = new Map<string, SendingSession>();
  private readonly receiving = new Map<string, ReceivingSession>();

  constructor(private readonly boxes: { inbox: ReceivingBox; outbox: SessionOutbox }) {}

  /** A `message` stream `peer` opened here (its permission already checked): it delivers into the inbox. */
  receive(peer: string, stream: Duplex): ReceivingSession {
    this.receiving.get(peer)?.close(new ClawError('LINK_CLOSED', 'replaced by a newer message stream'));
    const session = new ReceivingSession(stream, peer, this.boxes.inbox);
    this.receiving.set(peer, session);
    const forget = () => {
      if (this.receiving.get(peer) === session) this.receiving.delete(peer);
    };
    session.closed.then(forget, forget);
    return session;
  }

  /** A `message` stream this node opened to `peer`: the outbox delivers over it. */
  send(peer: string, stream: Duplex): SendingSession {
    this.sending.get(peer)?.close(new ClawError('LINK_CLOSED', 'replaced by a newer message stream'));
    const session = new SendingSession(stream, peer, this.boxes.outbox);
    this.sending.set(peer, session);
    const forget = () => {
      if (this.sending.get(peer) === session) this.sending.delete(peer);
    };
    session.closed.then(forget, forget);
    return session;
  }

  /**
   * The peer refused the stream itself. PERMISSION_DENIED is final for every message waiting for it
   * (they would be refused on every link; a message queued later is tried on the next one); anything
   * else is left for the next link.
   */
  async openRefused(peer: string, why: Why): Promise<void> {
    if (why.code === 'PERMISSION_DENIED') await this.boxes.outbox.refusePending(peer, why);
  }

  /** Whether a sending session to `peer` is open (else the service should open a stream when it has work). */
  isSendingTo(peer: string): boolean {
    return this.sending.has(peer);
  }

  /** Closes every session (the agent stops). */
  closeAll(): void {
    for (const s of [...this.sending.values(), ...this.receiving.values()]) s.close();
    this.sending.clear();
    this.receiving.clear();
  }
}
