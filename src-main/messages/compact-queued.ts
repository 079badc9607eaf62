/**
 * `messages.sendMany`'s compact answer (ADR 0113), asked for with `answer: 'compact'`: the messages
 * queued as rows of values instead of one OutboxMessage object each. A batch's messages share their
 * peer, and an object per message repeated it and every key name; the answer to a 1,000-message batch
 * was hundreds of kilobytes of JSON for the agent to write and the client to read (ADR 0113). The
 * client library turns each row back into the OutboxMessage its `send` resolves with, the same one the
 * full answer gives (pinned by a property test). No zod here: the client library loads this.
 */
import { isoTime } from '../core/iso-time.js';
import type { MessagePeer, MessageState, MessageWhy, OutboxMessage } from './messages-contract.js';

/**
 * One message queued: its ID, topic, size and state, when it was queued (ms since the epoch), its
 * state's time and its expiry as ms after that, then its `replyTo` and `why` (null when it has none;
 * trailing nulls left out).
 */
export type CompactRow =
  | [
      id: string,
      topic: string,
      size: number,
      state: MessageState,
      sentAt: number,
      stateIn: number,
      expiresIn: number,
    ]
  | [
      id: string,
      topic: string,
      size: number,
      state: MessageState,
      sentAt: number,
      stateIn: number,
      expiresIn: number,
      replyTo: string | null,
    ]
  | [
      id: string,
      topic: string,
      size: number,
      state: MessageState,
      sentAt: number,
      stateIn: number,
      expiresIn: number,
      replyTo: string | null,
      why: MessageWhy,
    ];

/** The messages a compact answer says were queued, in the order given, all to `peer`. */
export interface CompactQueued {
  peer: MessagePeer;
  rows: CompactRow[];
}

/** What a row is made from: an outbox entry's fields as the agent holds them (times in ms). */
export interface CompactSource {
  id: string;
  topic: string;
  size: number;
  state: MessageState;
  sentAt: number;
  stateAt: number;
  expiresAt: number;
  replyTo?: string;
  why?: MessageWhy;
}

/** The row for one queued message (times truncated to the ms, as isoTime shows them). */
export function compactRow(e: CompactSource): CompactRow {
  const sentAt = Math.trunc(e.sentAt);
  const row: CompactRow = [
    e.id,
    e.topic,
    e.size,
    e.state,
    sentAt,
    Math.trunc(e.stateAt) - sentAt,
    Math.trunc(e.expiresAt) - sentAt,
  ];
  if (e.why) return [...row, e.replyTo ?? null, { code: e.why.code, reason: e.why.reason }];
  if (e.replyTo !== undefined) return [...row, e.replyTo];
  return row;
}

/** The OutboxMessage a row stands for, as the full answer has it (messages-api.ts' outboxMessage). */
export function outboxMessageOfRow(row: CompactRow, peer: MessagePeer): OutboxMessage {
  const [id, topic, size, state, sentAt, stateIn, expiresIn, replyTo, why] = row;
  return {
    id,
    peer: { name: peer.name, fingerprint: peer.fingerprint }, // each its own, as in the full answer
    topic,
    size,
    state,
    ...(why ? { why: { code: why.code, reason: why.reason } } : {}),
    sentAt: isoTime(sentAt),
    stateAt: isoTime(sentAt + stateIn),
    expiresAt: isoTime(sentAt + expiresIn),
    ...(replyTo !== undefined && replyTo !== null ? { replyTo } : {}),
  };
}
