/**
 * The inbox's acceptance rules, in the order they are judged (inbox.ts says why each holds): expired,
 * held already, a repeat under the topic's mark (answered as it was answered before), too large for
 * the sender's whole quota, one topic too many, no room even after read messages are let go; else
 * accepted. Pure: the inbox does what the verdict says.
 */
import type { MessageFrameMsg, MessageRefusalCode } from '../protocol/message-frames.js';
import type { Mark, Refusal } from './inbox-senders.js';
import type { InboxLimits } from './inbox-table.js';

/** What the inbox knows of the sender when it judges one message. */
export interface SenderView {
  /** The message is held already (sent again, maybe under another topic). */
  held: boolean;
  /** The sender's mark in the message's topic. */
  mark: Mark | undefined;
  /** The final refusal remembered for the message's ID. */
  refusal: Refusal | undefined;
  topicCount: number;
  /** Lets the sender's read messages go until this one fits; whether it fits then. Called last. */
  makeRoom: () => boolean;
}

export type Verdict =
  | { kind: 'expired' }
  | { kind: 'duplicate' }
  /** A repeat of a message refused for good: the same answer again. */
  | { kind: 'refused-before'; refusal: Refusal }
  /** Refused for good: remembered, so a resend gets the same answer. */
  | { kind: 'refuse'; code: MessageRefusalCode; reason: string }
  /** Not final: the sender keeps it queued until the receiver says ROOM. */
  | { kind: 'full'; reason: string }
  | { kind: 'accept' };

export function judgeOffer(
  msg: MessageFrameMsg,
  expiresAt: number,
  now: number,
  sender: SenderView,
  limits: InboxLimits,
): Verdict {
  // First: the answer for an expired message needs no memory (a resend gets it again), and the
  // sender has given it up by its own clock too.
  if (expiresAt <= now) return { kind: 'expired' };
  // Held already (sent again, maybe under another topic): a repeat, whatever its topic's mark says.
  if (sender.held) return { kind: 'duplicate' };
  // At or below the mark: the sender resends in order from the start of every link, so this was
  // held here, or refused (and that refusal is remembered).
  if (sender.mark && msg.id <= sender.mark.id) {
    return sender.refusal ? { kind: 'refused-before', refusal: sender.refusal } : { kind: 'duplicate' };
  }
  if (msg.body.length > limits.bytesPerPeer) {
    return {
      kind: 'refuse',
      code: 'TOO_LARGE',
      reason: `a message from this peer may have at most ${limits.bytesPerPeer} bytes here`,
    };
  }
  if (!sender.mark && sender.topicCount >= limits.topicsPerPeer) {
    return {
      kind: 'refuse',
      code: 'TOO_MANY_TOPICS',
      reason: `this peer already has ${limits.topicsPerPeer} topics here`,
    };
  }
  if (!sender.makeRoom()) {
    return {
      kind: 'full',
      reason: `the inbox holds as much from this peer as it takes (${limits.messagesPerPeer} messages or ${limits.bytesPerPeer / 1024 / 1024} MiB) until some is read or deleted`,
    };
  }
  return { kind: 'accept' };
}
