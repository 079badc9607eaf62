/**
 * What the `msg` commands print (pure): a message as one JSON line for scripts, as one line for a
 * person, and the inbox and outbox as tables. A peer chose every body and name: the CLI's writers
 * (output.ts, table.ts) escape what a terminal would act on.
 */
import type { InboxMessage, OutboxMessage } from '../messages-contract.js';
import { bodySize } from '../message-bodies.js';
import { formatBytes } from '../../cli/format-bytes.js';
import { age } from '../../cli/output.js';
import { plainPunctuation } from '../../cli/plain-punctuation.js';
import { table } from '../../cli/table.js';

/** A received message as `msg listen --json` prints it (docs/api.md §Messages from a program). */
export interface MessageLine {
  id: string;
  from: { name: string; fingerprint: string };
  topic: string;
  text?: string;
  base64?: string;
  sentAt: string;
  receivedAt: string;
  replyTo?: string;
  error?: true;
}

/** The JSON line of a received message: the fields scripts read, `replyTo` and `error` when set. */
export function messageLine(m: InboxMessage): MessageLine {
  return {
    id: m.id,
    from: { name: m.from.name, fingerprint: m.from.fingerprint },
    topic: m.topic,
    ...(m.text !== undefined ? { text: m.text } : { base64: m.base64 ?? '' }),
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    ...(m.error ? { error: true as const } : {}),
  };
}

/** A message sent, as `msg send --json` prints it. */
export function sentLine(m: OutboxMessage): { id: string; peer: string; topic: string; state: string } {
  return { id: m.id, peer: m.peer.name, topic: m.topic, state: m.state };
}

/** `2026-11-27 10:00:01` (UTC) for an ISO time, as `log` shows times. */
function when(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}

/** A body in words for one line: its text, or `(N bytes, not text)`. */
export function bodyInWords(m: Pick<InboxMessage, 'text' | 'base64'>): string {
  if (m.text !== undefined) return m.text;
  return `(${formatBytes(bodySize({ base64: m.base64 ?? '' }))}, not text)`;
}

/**
 * A received message as one line for a person (`msg listen`): when, from whom, the topic, the body.
 * Its line breaks are shown escaped when printed (printLine): one message, one line.
 */
export function messageText(m: InboxMessage): string {
  const flags = [m.replyTo !== undefined ? `reply to ${m.replyTo}` : '', m.error ? 'error' : '']
    .filter(Boolean)
    .join(', ');
  return `${when(m.receivedAt)}  ${m.from.name} (${m.from.fingerprint.slice(0, 8)})  ${m.topic}${flags ? ` (${flags})` : ''}: ${bodyInWords(m)}`;
}

/** Longest body shown in a table cell, in characters; `msg inbox --json` has the whole of it. */
export const BODY_CELL_CHARS = 60;

function cellOf(text: string): string {
  const chars = [...text];
  return chars.length > BODY_CELL_CHARS ? `${chars.slice(0, BODY_CELL_CHARS - 3).join('')}...` : text;
}

/** The table `msg inbox` prints, oldest first. */
export function inboxTable(list: readonly InboxMessage[], now = Date.now()): string {
  if (list.length === 0) return 'no messages';
  return table(
    ['ID', 'FROM', 'TOPIC', 'AGE', 'READ', 'BODY'],
    list.map((m) => [
      m.id,
      `${m.from.name} (${m.from.fingerprint.slice(0, 8)})`,
      m.topic,
      age(m.receivedAt, now),
      m.read ? 'yes' : 'no',
      cellOf(`${m.replyTo !== undefined ? (m.error ? '[error reply] ' : '[reply] ') : ''}${bodyInWords(m)}`),
    ]),
  );
}

/**
 * A message's state as `msg outbox` shows it: a delivered message its receiver had not read when its
 * TTL ran out is `expired`, for the receiver's inbox let it go unread — an `ask` nobody answered in
 * time (its TTL is how long it waited) was listed as `delivered` for the rest of its time here.
 */
export function outboxState(
  m: Pick<OutboxMessage, 'state' | 'why' | 'expiresAt' | 'stateAt'>,
  now = Date.now(),
): { state: string; since: string; why: string } {
  const expiredAt = Date.parse(m.expiresAt);
  if (m.state === 'delivered' && expiredAt <= now) {
    return {
      state: 'expired',
      since: new Date(expiredAt).toISOString(),
      why: 'delivered, but not read before its TTL ran out: the receiver let it go (an ask nobody answered)',
    };
  }
  const why = m.why ? `${plainPunctuation(m.why.reason)} (${m.why.code})` : '-';
  return { state: m.state, since: m.stateAt, why };
}

/** The table `msg outbox` prints, oldest first: each message's state, since when, and why. */
export function outboxTable(list: readonly OutboxMessage[], now = Date.now()): string {
  if (list.length === 0) return 'no messages sent';
  return table(
    ['ID', 'PEER', 'TOPIC', 'SIZE', 'STATE', 'SINCE', 'WHY'],
    list.map((m) => {
      const shown = outboxState(m, now);
      return [
        m.id,
        `${m.peer.name} (${m.peer.fingerprint.slice(0, 8)})`,
        m.topic,
        formatBytes(m.size),
        shown.state,
        age(shown.since, now),
        // Last: the one long cell, not padded.
        shown.why,
      ];
    }),
  );
}
