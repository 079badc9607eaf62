/**
 * Message bodies and the small rules a client of the messages API keeps (ADR 0046): a body
 * is text when its bytes are UTF-8 and base64 otherwise, at most 1 MiB, checked before anything is
 * queued; `--lines` splits input into one body per line; a reply is the inbox message whose `replyTo`
 * is the request's ID; an outbox state is at or past another. Pure: shared by the CLI (`msg`) and the
 * client library (messages/client/agent-client.ts).
 */
import { isUtf8 } from 'node:buffer';
import { ClawError } from '../core/errors.js';
import { MAX_MESSAGE_BODY_BYTES } from '../protocol/message-frames.js';
import type { InboxMessage, MessageState, OutboxMessage } from './messages-contract.js';

/**
 * Most messages one `messages.sendMany` queues (the client library cuts longer lists, and calls made
 * together, into requests of at most this many). Here, not in messages-contract.ts, so a client need
 * not load zod to know it.
 */
export const MESSAGE_BATCH_MAX = 1000;
/** `messages.sendMany`'s `answer` asking for the compact answer (compact-queued.ts, ADR 0113). */
export const SEND_MANY_COMPACT = 'compact';
/**
 * Most body bytes (decoded) one `messages.sendMany` queues: 2 MiB, so a request stays well within the
 * 4 MiB every transport takes at once even as base64.
 */
export const MESSAGE_BATCH_MAX_BYTES = 2 * 1024 * 1024;

/** A body as `messages.send` takes it: exactly one of the two. */
export type BodyParams = { text: string; base64?: undefined } | { base64: string; text?: undefined };

/** What a program hands over as a body: text, or bytes (sent as they are, base64 on the API). */
export type MessageBody = string | Uint8Array;

/** The API's body for `body`: a string as text, bytes as base64. */
export function bodyParams(body: MessageBody): BodyParams {
  return typeof body === 'string' ? { text: body } : { base64: Buffer.from(body).toString('base64') };
}

/** The body for bytes read from somewhere (stdin, a command's output): text when they are UTF-8. */
export function bodyFromBytes(bytes: Uint8Array): BodyParams {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buf) ? { text: buf.toString('utf8') } : { base64: buf.toString('base64') };
}

/** A body's size in bytes, as the 1 MiB limit counts it (decoded). */
export function bodySize(body: BodyParams): number {
  return body.text !== undefined ? Buffer.byteLength(body.text, 'utf8') : base64Size(body.base64);
}

/** Decoded length of a base64 string, without decoding it. */
function base64Size(b64: string): number {
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - padding;
}

/** A message's body as bytes (its text as UTF-8, or its base64 decoded). */
export function bodyBytes(m: Pick<InboxMessage, 'text' | 'base64'>): Buffer {
  return m.text !== undefined ? Buffer.from(m.text, 'utf8') : Buffer.from(m.base64 ?? '', 'base64');
}

/**
 * Refuses, before anything is queued, when any body passes the 1 MiB limit: which one (`message 3 of
 * 200` when there are several) and how large.
 * @throws ClawError('BAD_ARGUMENT') naming the limit
 */
export function checkBodySizes(bodies: readonly BodyParams[]): void {
  bodies.forEach((body, i) => {
    const size = bodySize(body);
    if (size <= MAX_MESSAGE_BODY_BYTES) return;
    const which = bodies.length > 1 ? `message ${i + 1} of ${bodies.length}` : 'the message';
    throw new ClawError(
      'BAD_ARGUMENT',
      `${which} is ${size} bytes; a message body is at most 1 MiB (${MAX_MESSAGE_BODY_BYTES} bytes): nothing was queued`,
    );
  });
}

/**
 * Input split into lines, one body each (`msg send --lines`): a line ends at `\n` (a `\r` before it
 * goes too); a last line without one counts; the empty piece after a final newline does not.
 */
export function splitLines(input: Uint8Array): Buffer[] {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    const end = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
    lines.push(buf.subarray(start, end));
    start = nl + 1;
  }
  if (start < buf.length) lines.push(buf.subarray(start));
  return lines;
}

/** True when `m` is the answer to the message `requestId` this node sent (request/reply). */
export function isReplyTo(m: Pick<InboxMessage, 'replyTo'>, requestId: string): boolean {
  return m.replyTo === requestId;
}

/** The states a message passes on its way, in order; `expired` and `refused` end it instead. */
const PROGRESS: Partial<Record<MessageState, number>> = { queued: 0, sent: 1, delivered: 2, read: 3 };

/** The receipt a sender may wait for. */
export type AwaitedState = 'delivered' | 'read';

/** True when `state` is `wanted` or later (`read` is past `delivered`). */
export function reached(state: MessageState, wanted: AwaitedState): boolean {
  const at = PROGRESS[state];
  return at !== undefined && at >= PROGRESS[wanted]!;
}

/** True when the message will not get the awaited receipt: it was refused or it expired. */
export function failedState(state: MessageState): boolean {
  return state === 'refused' || state === 'expired';
}

/**
 * The later of two reports of one message's state (events may cross a listing): a state never moves
 * back (ADR 0046), so the one further along wins; an end (refused, expired) wins over progress short
 * of delivered.
 */
export function laterState(a: OutboxMessage, b: OutboxMessage): OutboxMessage {
  return laterOf(a.state, b.state) === b.state ? b : a;
}

/** laterState for the states alone: `b` when it is as far along as `a` or further. */
export function laterOf(a: MessageState, b: MessageState): MessageState {
  return (PROGRESS[b] ?? 1.5) >= (PROGRESS[a] ?? 1.5) ? b : a;
}

/**
 * What a message to wait for says about itself in a sentence: its state and why (`queued: office's
 * inbox is full …`), or `refused: REASON (CODE)`.
 */
export function describeState(m: OutboxMessage): string {
  return m.why ? `${m.state}: ${m.why.reason} (${m.why.code})` : m.state;
}

/** A wait's length in words: `30 s`, `1.5 s`, `500 ms`. */
export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
