/**
 * One message as the outbox holds it, and the pure rules about one: what `queue` takes and why it
 * may refuse it, which states are pending or finished, the record a message is written as, and the
 * view a caller is shown. No state and no I/O: the outbox's table (outbox-table.ts) keeps these
 * entries, the outbox (outbox.ts) moves them.
 */
import { isUtf8 } from 'node:buffer';
import { uuidV7Problem } from '../core/uuid-v7.js';
import {
  DEFAULT_MESSAGE_TTL_MS,
  DEFAULT_TOPIC,
  MAX_MESSAGE_BODY_BYTES,
  topicProblem,
  ttlProblem,
} from '../protocol/message-frames.js';
import type { MessageMeta, OutboxState, Why } from './box-records.js';

/** One message as the outbox shows it. */
export interface OutboxEntry extends MessageMeta {
  /** The receiver's fingerprint. */
  peer: string;
  /** When it was queued, in ms since the epoch (its ID's time). */
  sentAt: number;
  expiresAt: number;
  state: OutboxState;
  why?: Why;
  /** When it reached its state, in ms. */
  stateAt: number;
}

/** What `queue` takes. */
export interface NewMessage {
  peer: string;
  topic?: string;
  body: Uint8Array;
  /** The body is UTF-8 text (checked). */
  text: boolean;
  ttlMs?: number;
  replyTo?: string;
  error?: boolean;
  /** `body` is this message's alone (nothing else holds or changes it): kept as it is, not copied. */
  owned?: boolean;
}

/** A message in the outbox's memory: what it shows, and where its body and record stand. */
export interface Held extends OutboxEntry {
  /**
   * The body until it is durable, then its position in the log; undefined for a finished message an
   * older release compacted without it.
   */
  body: Uint8Array | number | undefined;
  /** The record that queued it is durable (queueMany holds and appends in one step). */
  durable: boolean;
  /**
   * It may go on a link while its record is still being written: a durable floor covers its ID, so no
   * later ID can repeat it whatever happens before its own record lands (ADR 0066).
   */
  early: boolean;
  /** The body kept in memory after it became durable (BODY_CACHE_BYTES), so sending reads no file. */
  cached?: Uint8Array;
}

/** The states a message ends in: it is no longer sent, and shown until it is no longer worth showing. */
export const FINISHED: ReadonlySet<OutboxState> = new Set(['delivered', 'read', 'expired', 'refused']);
/** Still to deliver: queued or sent, its record durable or covered by a durable floor (ADR 0066). */
export const isPending = (e: Held) => (e.durable || e.early) && (e.state === 'queued' || e.state === 'sent');
const FINGERPRINT = /^[0-9a-f]{64}$/;

/** Why `input` cannot be queued, or undefined. */
export function newMessageProblem(input: NewMessage): string | undefined {
  const topic = input.topic ?? DEFAULT_TOPIC;
  const ttlMs = input.ttlMs ?? DEFAULT_MESSAGE_TTL_MS;
  return (
    (!FINGERPRINT.test(input.peer)
      ? 'the peer must be a fingerprint (64 lowercase hex characters)'
      : undefined) ??
    (input.body.length > MAX_MESSAGE_BODY_BYTES
      ? `a message is at most 1 MiB (${MAX_MESSAGE_BODY_BYTES} bytes); this one is ${input.body.length} bytes: send it as a file instead`
      : undefined) ??
    topicProblem(topic) ??
    ttlProblem(ttlMs) ??
    (input.text && !isUtf8(input.body) ? 'a text message must be UTF-8; send it as bytes' : undefined) ??
    (input.replyTo !== undefined ? uuidV7Problem(input.replyTo) : undefined) ??
    (input.error && input.replyTo === undefined ? 'an error message must answer one (replyTo)' : undefined)
  );
}

/** What the log's entry record of `e` says (`sent` is memory only: it is recorded as `queued`). */
export function metaOf(e: Held): MessageMeta & { peer: string; state: OutboxState; why?: Why; at: number } {
  const meta: MessageMeta & { peer: string; state: OutboxState; why?: Why; at: number } = {
    id: e.id,
    topic: e.topic,
    text: e.text,
    ttlMs: e.ttlMs,
    size: e.size,
    peer: e.peer,
    state: e.state === 'sent' ? 'queued' : e.state,
    at: e.stateAt,
  };
  if (e.replyTo !== undefined) meta.replyTo = e.replyTo;
  if (e.error) meta.error = true;
  if (e.why && (e.state === 'refused' || e.state === 'expired')) meta.why = e.why;
  return meta;
}

/** What a caller is shown of `e`: the entry, without its body and where its record stands. */
export function viewOf(e: Held): OutboxEntry {
  const { body: _body, durable: _durable, early: _early, cached: _cached, ...view } = e;
  return view;
}

/** A copy of `bytes` (from Node's buffer pool when small: no ArrayBuffer of its own per message). */
export function pooledCopy(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.from(bytes);
  return new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
}
