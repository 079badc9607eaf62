/**
 * The Messages view's model, from the peers and the two boxes (messages-store.ts): one
 * conversation per peer, newest first, with its unread count; a conversation's messages both ways in
 * time order; and each sent message's state in words. Pure, so node:test covers it.
 */
import type {
  InboxMessage,
  MessagePeer,
  MessageWhy,
  OutboxMessage,
} from '../../../src-main/messages/messages-contract.js';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { formatBytes } from '../../lib/format.js';

export interface Conversation {
  fingerprint: string;
  name: string;
  /** Null for a sender that is no longer a peer here (its messages are still in the inbox). */
  peer: PeerInfo | null;
  unread: number;
  /** ISO time of the newest message either way, or null when there is none yet. */
  lastAt: string | null;
  /** The newest message in one line, or null. */
  preview: string | null;
}

/** One line of a message for the list: its start, or what it is when it has no text. */
const PREVIEW_CHARS = 80;

/**
 * Every peer's conversation: those with messages newest first, then the peers with none yet by name.
 * A sender that is no longer a peer keeps its conversation while its messages are held.
 */
export function conversations(
  peers: readonly PeerInfo[],
  inbox: readonly InboxMessage[],
  outbox: readonly OutboxMessage[],
  sentText: (id: string) => string | undefined,
): Conversation[] {
  const byFp = new Map<string, Conversation>();
  const ensure = (p: MessagePeer, peer: PeerInfo | null): Conversation => {
    let c = byFp.get(p.fingerprint);
    if (!c) {
      c = {
        fingerprint: p.fingerprint,
        name: peer?.name ?? p.name,
        peer,
        unread: 0,
        lastAt: null,
        preview: null,
      };
      byFp.set(p.fingerprint, c);
    }
    return c;
  };
  for (const p of peers) ensure(p, p);
  const newer = (c: Conversation, at: string, preview: string) => {
    if (c.lastAt === null || at >= c.lastAt) {
      c.lastAt = at;
      c.preview = preview;
    }
  };
  for (const m of inbox) {
    const c = ensure(m.from, null);
    if (!m.read) c.unread++;
    newer(c, m.receivedAt, oneLine(inboxBody(m)));
  }
  for (const m of outbox) {
    const c = ensure(m.peer, null);
    const text = sentText(m.id) ?? outboxBody(m);
    newer(c, m.sentAt, `You: ${oneLine(text ?? sizeText(m.size))}`);
  }
  return [...byFp.values()].sort((a, b) => {
    if (a.lastAt !== b.lastAt) {
      if (a.lastAt === null) return 1;
      if (b.lastAt === null) return -1;
      return b.lastAt.localeCompare(a.lastAt);
    }
    return a.name.localeCompare(b.name);
  });
}

/** The total of unread messages, for the navigation entry. */
export function unreadCount(inbox: readonly InboxMessage[]): number {
  let n = 0;
  for (const m of inbox) if (!m.read) n++;
  return n;
}

export type ThreadItem =
  | { dir: 'in'; id: string; at: string; message: InboxMessage }
  | { dir: 'out'; id: string; at: string; message: OutboxMessage; text: string | undefined };

/**
 * The messages with one peer, both ways, in the order they happened here: a received one when it
 * arrived, a sent one when it was queued (both by this device's clock, so a peer's clock that is off
 * cannot mix them up).
 */
export function thread(
  fingerprint: string,
  inbox: readonly InboxMessage[],
  outbox: readonly OutboxMessage[],
  sentText: (id: string) => string | undefined,
): ThreadItem[] {
  const items: ThreadItem[] = [];
  for (const m of inbox)
    if (m.from.fingerprint === fingerprint) items.push({ dir: 'in', id: m.id, at: m.receivedAt, message: m });
  for (const m of outbox)
    if (m.peer.fingerprint === fingerprint)
      items.push({ dir: 'out', id: m.id, at: m.sentAt, message: m, text: sentText(m.id) ?? outboxBody(m) });
  return items.sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
}

/** The unread messages from one peer, to acknowledge when its conversation is open. */
export function unreadFrom(fingerprint: string, inbox: readonly InboxMessage[]): string[] {
  return inbox.filter((m) => !m.read && m.from.fingerprint === fingerprint).map((m) => m.id);
}

/** A received message's text, or what it is when its body is bytes. */
export function inboxBody(m: InboxMessage): string {
  if (m.text !== undefined) return m.text;
  return `${sizeText(base64Bytes(m.base64 ?? ''))} of binary data`;
}

/**
 * A sent message's text as the outbox keeps it, or what it is when its body is bytes; undefined when
 * the outbox has no body for it (not read yet, or compacted away by an older release).
 */
export function outboxBody(m: OutboxMessage): string | undefined {
  if (m.text !== undefined) return m.text;
  if (m.base64 !== undefined) return `${sizeText(base64Bytes(m.base64))} of binary data`;
  return undefined;
}

/** `12 B`, for a message whose text this window does not have. */
export function sizeText(bytes: number): string {
  return formatBytes(bytes);
}

function base64Bytes(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((b64.length * 3) / 4) - pad);
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
}

export type StateTone = 'ok' | 'warn' | 'down' | 'busy';

/** A sent message's state as the conversation shows it: a word, its tone, and the why when there is one. */
export interface StateWords {
  word: string;
  tone: StateTone;
  /** What happened and what to do, naming the peer; null when the word says it all. */
  detail: string | null;
  /** A command the detail says to run (on the peer), shown as code after it. */
  command?: string;
}

/**
 * Where the receiver grants the `message` permission: its Peers view's words; the command for its
 * owner (naming this device as `self`, the name it most likely has there) is grantCommand.
 */
export function grantHint(peer: string, self: string): string {
  return `on ${peer}, open Peers → Permissions of ${self} and allow “Send messages to programs here”, or run there:`;
}

export function grantCommand(self: string): string {
  return `clawbridge peers allow ${self} message`;
}

/**
 * `queued` (with why: the peer is offline, or its inbox is full), `sent`, `delivered`, `read`,
 * `expired`, `refused` (with why and, for a missing permission, where to grant it).
 */
export function stateWords(m: OutboxMessage, peer: string, peerOnline: boolean, self: string): StateWords {
  switch (m.state) {
    case 'queued':
      if (m.why?.code === 'INBOX_FULL')
        return {
          word: 'queued',
          tone: 'warn',
          detail: `${peer}'s inbox for this device is full (INBOX_FULL): it goes when ${peer} makes room`,
        };
      // Any other why is the agent's (the peer runs a release without messages: they wait for it).
      if (m.why?.reason) return { word: 'queued', tone: 'warn', detail: m.why.reason };
      return {
        word: 'queued',
        tone: 'busy',
        detail: peerOnline ? null : `${peer} is offline, it goes when it comes back`,
      };
    case 'sent':
      return { word: 'sent', tone: 'busy', detail: null };
    case 'delivered':
      return { word: 'delivered', tone: 'ok', detail: null };
    case 'read':
      return { word: 'read', tone: 'ok', detail: null };
    case 'expired':
      return {
        word: 'expired',
        tone: 'down',
        detail: withTheirWords(`not delivered before its time to live ran out`, m.why),
      };
    case 'refused':
      return m.why?.code === 'PERMISSION_DENIED'
        ? {
            word: 'refused',
            tone: 'down',
            detail: `${peer} does not allow messages from this device (PERMISSION_DENIED) — ${grantHint(peer, self)}`,
            command: grantCommand(self),
          }
        : { word: 'refused', tone: 'down', detail: refusedWords(m.why, peer) };
  }
}

/** Why a receiver refused, in the window's words by its code (the agent's reason beside it). */
function refusedWords(why: MessageWhy | undefined, peer: string): string {
  switch (why?.code) {
    case 'TOO_LARGE':
      return withTheirWords(`larger than ${peer} takes from this device (TOO_LARGE)`, why);
    case 'EXPIRED':
      return `its time to live had passed when it reached ${peer} (EXPIRED)`;
    case 'TOO_MANY_TOPICS':
      return withTheirWords(`${peer} keeps no more topics from this device (TOO_MANY_TOPICS)`, why);
    default:
      return why?.reason ? `${peer} said: ${why.reason}` : `${peer} refused it`;
  }
}

function withTheirWords(words: string, why: MessageWhy | undefined): string {
  return why?.reason && why.reason !== words ? `${words}: ${why.reason}` : words;
}

/**
 * The line under the composer once a message is queued to an offline peer: what happens next. To an
 * online one nothing: the message shows in the conversation (which a screen reader hears, a log).
 */
export function queuedText(peer: string, peerOnline: boolean): string {
  return peerOnline ? '' : `queued: ${peer} is offline, it goes when it comes back`;
}
