/**
 * The `messages` event (ADR 0122): the inbox messages of one turn of the agent's event loop, for a
 * subscriber that asked for them batched (`messages: 'batched'`), as rows of values instead of one
 * `message` event (an InboxMessage object, a JSON line of its own) each. The senders are named once
 * per event, the times are ms, and the key names are not repeated: a burst of 10,000 messages cost
 * the agent 10,000 lines to build and write and the listening program 10,000 to read. The client
 * library turns each row back into the InboxMessage its listener is handed, the same one the
 * `message` event carries (pinned by a property test). No zod here: the client library loads this.
 */
import { isoTime } from '../core/iso-time.js';
import type { InboxMessage, MessagePeer } from './messages-contract.js';

/**
 * One message: its sender (an index into the event's `from`), ID, topic, body (text, or base64 when
 * `binary` is 1), when it was sent (ms since the epoch), when it was received and when it expires (ms
 * after it was sent), whether a program read it (1) or not (0), then its `replyTo` (null when it has
 * none) and 1 when it is an error reply. Trailing values that say nothing are left out.
 */
export type InboxRow =
  | [
      from: number,
      id: string,
      topic: string,
      body: string,
      binary: 0 | 1,
      sentAt: number,
      receivedIn: number,
      expiresIn: number,
      read: 0 | 1,
    ]
  | [
      from: number,
      id: string,
      topic: string,
      body: string,
      binary: 0 | 1,
      sentAt: number,
      receivedIn: number,
      expiresIn: number,
      read: 0 | 1,
      replyTo: string | null,
    ]
  | [
      from: number,
      id: string,
      topic: string,
      body: string,
      binary: 0 | 1,
      sentAt: number,
      receivedIn: number,
      expiresIn: number,
      read: 0 | 1,
      replyTo: string | null,
      error: 1,
    ];

/** The `messages` event: the messages that arrived, in the order they arrived, and their senders. */
export interface MessagesEvent {
  from: MessagePeer[];
  rows: InboxRow[];
}

/** What a row is made from: an inbox entry's fields as the agent holds them (times in ms). */
export interface InboxRowSource {
  id: string;
  topic: string;
  text: boolean;
  sentAt: number;
  receivedAt: number;
  expiresAt: number;
  read: boolean;
  replyTo?: string;
  error?: boolean;
}

/**
 * Body characters at which a `messages` event is sent without waiting for the turn's end (1 Mi): the
 * event stays a line every transport carries at once, and a burst of large messages several events.
 */
export const MESSAGES_EVENT_BODY_CHARS = 1024 * 1024;

/** Builds one `messages` event, naming each sender once. */
export class MessagesEventBuilder {
  private readonly from: MessagePeer[] = [];
  private readonly fromIndex = new Map<string, number>();
  private readonly rows: InboxRow[] = [];
  /** Body characters so far. */
  private chars = 0;

  constructor(private readonly name: (fingerprint: string) => MessagePeer) {}

  get size(): number {
    return this.rows.length;
  }

  /** The event holds MESSAGES_EVENT_BODY_CHARS of bodies or more: send it now. */
  get full(): boolean {
    return this.chars >= MESSAGES_EVENT_BODY_CHARS;
  }

  /** Adds a message from `fingerprint` whose body is `body`. */
  add(e: InboxRowSource, fingerprint: string, body: Uint8Array): void {
    let from = this.fromIndex.get(fingerprint);
    if (from === undefined) {
      from = this.from.length;
      this.from.push(this.name(fingerprint));
      this.fromIndex.set(fingerprint, from);
    }
    const row = inboxRow(e, from, body);
    this.chars += row[3].length;
    this.rows.push(row);
  }

  build(): MessagesEvent {
    return { from: this.from, rows: this.rows };
  }
}

/** The row of one message (times truncated to the ms, as isoTime shows them). */
export function inboxRow(e: InboxRowSource, from: number, body: Uint8Array): InboxRow {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const sentAt = Math.trunc(e.sentAt);
  const row: InboxRow = [
    from,
    e.id,
    e.topic,
    e.text ? bytes.toString('utf8') : bytes.toString('base64'),
    e.text ? 0 : 1,
    sentAt,
    Math.trunc(e.receivedAt) - sentAt,
    Math.trunc(e.expiresAt) - sentAt,
    e.read ? 1 : 0,
  ];
  if (e.error) return [...row, e.replyTo ?? null, 1];
  if (e.replyTo !== undefined) return [...row, e.replyTo];
  return row;
}

/**
 * The InboxMessage a row of `event` stands for, as the `message` event has it (messages-api.ts'
 * inboxMessage). Undefined for a row that does not name one of the event's senders.
 */
export function inboxMessageOfRow(row: InboxRow, event: MessagesEvent): InboxMessage | undefined {
  const [from, id, topic, body, binary, sentAt, receivedIn, expiresIn, read, replyTo, error] = row;
  const peer = event.from[from];
  if (peer === undefined) return undefined;
  // Literals and assignments, not spreads: a burst is thousands of these in the listening program.
  const sender = { name: peer.name, fingerprint: peer.fingerprint }; // each its own, as in `message`
  const sent = isoTime(sentAt);
  const received = isoTime(sentAt + receivedIn);
  const expires = isoTime(sentAt + expiresIn);
  const m: InboxMessage =
    binary === 1
      ? {
          id,
          from: sender,
          topic,
          base64: body,
          sentAt: sent,
          receivedAt: received,
          expiresAt: expires,
          read: read === 1,
        }
      : {
          id,
          from: sender,
          topic,
          text: body,
          sentAt: sent,
          receivedAt: received,
          expiresAt: expires,
          read: read === 1,
        };
  if (replyTo !== undefined && replyTo !== null) m.replyTo = replyTo;
  if (error === 1) m.error = true;
  return m;
}
