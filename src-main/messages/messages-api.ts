/**
 * The messages domain's API (messages-contract.ts): `messages.send`, `.sendMany`, `.list`, `.ack`,
 * `.outbox`, `.delete` over the node's inbox and outbox, and the `message` and `message.state` events.
 * Peers are named as every other method names them (links/resolve-peer.ts); a message from or
 * to a node that is no longer a peer keeps its fingerprint and is named by its start.
 */
import {
  MESSAGE_BATCH_MAX_BYTES,
  type InboxMessage,
  type MessageMethodResults,
  type MessagePeer,
  type MessageStateChange,
  type MessageStatesEvent,
  type OutboxMessage,
} from './messages-contract.js';
import type { MethodParams } from '../api/contract.js';
import type { Disposer } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import { MAX_MESSAGE_BODY_BYTES } from '../protocol/message-frames.js';
import type { Inbox, InboxEntry } from './inbox.js';
import type { Outbox } from './outbox.js';
import type { NewMessage, OutboxEntry } from './outbox-entry.js';
import { resolvePeer } from '../links/resolve-peer.js';
import type { PeerDirectory } from '../links/ports.js';
import { isoTime } from '../core/iso-time.js';
import { compactRow } from './compact-queued.js';
import { MessagesEventBuilder, type MessagesEvent } from './compact-inbox.js';
import { SEND_MANY_COMPACT } from './message-bodies.js';

export interface MessagesApiDeps {
  inbox: Pick<Inbox, 'list' | 'body' | 'cachedBody' | 'markRead' | 'delete' | 'events'>;
  outbox: Pick<Outbox, 'queue' | 'queueMany' | 'list' | 'body' | 'delete' | 'events'>;
  peers: Pick<PeerDirectory, 'peerEntries' | 'self'>;
}

/** Messages `messages.list` and `messages.outbox` answer when no `limit` is given (the newest). */
export const MESSAGE_LIST_DEFAULT = 1000;
/**
 * Most body characters one `messages.list` answer carries (4 Mi, as encoded): the oldest of the
 * matching messages first, as many as fit (at least one); the caller asks again `after` the last.
 * Keeps an answer within what every transport carries at once.
 */
export const MESSAGE_LIST_BODY_BUDGET = 4 * 1024 * 1024;

/** One message's fields as `messages.send` and each of `messages.sendMany` take them. */
type SendFields = MethodParams<'messages.sendMany'>['messages'][number];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type Handlers = {
  [M in keyof MessageMethodResults]: (
    params: MethodParams<M>,
  ) => Promise<MessageMethodResults[M]> | MessageMethodResults[M];
};

/** The six methods, for the messages domain (messages-domain.ts). */
export function messageHandlers(deps: MessagesApiDeps): Handlers {
  const { inbox, outbox } = deps;
  return {
    'messages.send': async (p) => {
      const peer = resolvePeer(deps.peers, p.peer);
      const queued = await outbox.queue(newMessage(peer.fingerprint, p));
      return outboxMessage(queued, namer(deps));
    },
    'messages.sendMany': async (p) => {
      const peer = resolvePeer(deps.peers, p.peer);
      const n = p.messages.length;
      let total = 0;
      const inputs = p.messages.map((m, i) => {
        const input = newMessage(peer.fingerprint, m, n > 1 ? `message ${i + 1} of ${n}` : undefined);
        total += input.body.length;
        return input;
      });
      if (total > MESSAGE_BATCH_MAX_BYTES) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `one messages.sendMany carries at most ${MESSAGE_BATCH_MAX_BYTES} bytes of bodies; these ${n} have ${total}: nothing was queued (send them in smaller batches)`,
        );
      }
      const { queued, error } = await outbox.queueMany(inputs);
      const name = namer(deps);
      const stopped = error ? { error: { code: error.code, message: error.message } } : {};
      if (p.answer === SEND_MANY_COMPACT) {
        const compact = { peer: name(peer.fingerprint), rows: queued.map(compactRow) };
        return { queued: [], compact, ...stopped };
      }
      return { queued: queued.map((e) => outboxMessage(e, name)), ...stopped };
    },
    'messages.list': async (p) => {
      const from = p.from === undefined ? undefined : fingerprintOf(deps, p.from);
      let list = inbox.list({
        ...(from !== undefined ? { from } : {}),
        ...(p.topic !== undefined ? { topic: p.topic } : {}),
        ...(p.unread ? { unread: true } : {}),
      });
      if (p.after !== undefined) {
        const after = p.after;
        list = list.filter((m) => m.id > after);
      }
      list = list.slice(-(p.limit ?? MESSAGE_LIST_DEFAULT));
      const name = namer(deps);
      const out: InboxMessage[] = [];
      let budget = MESSAGE_LIST_BODY_BUDGET;
      for (const entry of list) {
        const body = await inbox.body(entry.id, entry.from);
        if (body === undefined) continue; // deleted meanwhile
        const message = inboxMessage(entry, body, name);
        budget -= encodedSize(message);
        if (budget < 0 && out.length > 0) break;
        out.push(message);
      }
      return out;
    },
    'messages.ack': async (p) => ({ acked: (await inbox.markRead(p.ids)).length }),
    'messages.outbox': async (p) => {
      const peer = p.peer === undefined ? undefined : fingerprintOf(deps, p.peer);
      let list = outbox.list(peer !== undefined ? { peer } : {});
      if (p.ids !== undefined) {
        const ids = new Set(p.ids);
        list = list.filter((m) => ids.has(m.id));
      }
      const name = namer(deps);
      const out = list.slice(-(p.limit ?? MESSAGE_LIST_DEFAULT)).map((m) => outboxMessage(m, name));
      if (!p.bodies) return out;
      // The newest first: a conversation shows its end; what does not fit comes without its body.
      let budget = MESSAGE_LIST_BODY_BUDGET;
      for (let i = out.length - 1; i >= 0 && budget > 0; i--) {
        const m = out[i]!;
        const body = await outbox.body(m.id).catch(() => undefined); // not kept (an older release's log)
        if (body === undefined) continue;
        const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        const text = list[list.length - out.length + i]!.text;
        out[i] = text ? { ...m, text: bytes.toString('utf8') } : { ...m, base64: bytes.toString('base64') };
        budget -= encodedSize(out[i]!);
      }
      return out;
    },
    'messages.delete': async (p) => {
      const fromInbox = await inbox.delete(p.ids);
      const fromOutbox = await outbox.delete(p.ids);
      return { deleted: new Set([...fromInbox, ...fromOutbox]).size };
    },
  };
}

/**
 * The `message`, `messages`, `message.state` and `message.states` events' sources, for the API's
 * event hub (api/events.ts).
 */
export function messageEventSources(deps: Pick<MessagesApiDeps, 'inbox' | 'outbox' | 'peers'>): {
  onMessage(listener: (m: InboxMessage) => void): Disposer;
  onMessages(listener: (e: MessagesEvent) => void): Disposer;
  onMessageState(listener: (m: OutboxMessage) => void): Disposer;
  onMessageStates(listener: (e: MessageStatesEvent) => void): Disposer;
} {
  return {
    onMessage: (listener) => {
      const names = turnNamer(deps);
      return withBodies(deps.inbox, (entry, body) => listener(inboxMessage(entry, body, names())));
    },
    onMessages: (listener) => {
      // One event per turn of the event loop: the messages a burst brought, each sender named once (ADR 0122).
      let batch: MessagesEventBuilder | undefined;
      let live = true;
      const flush = () => {
        const event = batch;
        batch = undefined;
        if (live && event && event.size > 0) listener(event.build());
      };
      const off = withBodies(deps.inbox, (entry, body) => {
        if (!batch) {
          batch = new MessagesEventBuilder(namer(deps));
          setImmediate(flush);
        }
        batch.add(entry, entry.from, body);
        if (batch.full) flush();
      });
      return () => {
        live = false;
        off();
      };
    },
    onMessageState: (listener) =>
      deps.outbox.events.on('changed', (entry) => listener(outboxMessage(entry, namer(deps)))),
    onMessageStates: (listener) => {
      // One event per turn of the event loop: a receipt for many messages, and the sends of one
      // flush, are one change each (ADR 0059).
      let changed: OutboxEntry[] = [];
      let live = true;
      const flush = () => {
        const list = changed;
        changed = [];
        if (live && list.length > 0) listener(messageStates(list, namer(deps)));
      };
      const off = deps.outbox.events.on('changed', (entry) => {
        if (changed.length === 0) setImmediate(flush);
        changed.push(entry);
      });
      return () => {
        live = false;
        off();
      };
    },
  };
}

/**
 * Calls `take` with each message the inbox accepts and its body, in the order they arrived. Bodies
 * may be read from the log: one at a time, so the order holds. A body in memory with no read before
 * it goes at once, without a promise (ADR 0059).
 */
function withBodies(
  inbox: MessagesApiDeps['inbox'],
  take: (entry: InboxEntry, body: Uint8Array) => void,
): Disposer {
  let chain: Promise<void> = Promise.resolve();
  let reading = 0;
  let live = true;
  const off = inbox.events.on('message', (entry) => {
    const cached = reading === 0 ? inbox.cachedBody(entry.id, entry.from) : undefined;
    if (cached !== undefined) {
      if (live) take(entry, cached);
      return;
    }
    reading++;
    chain = chain.then(async () => {
      const body = await inbox.body(entry.id, entry.from);
      if (live && body !== undefined) take(entry, body);
    });
    chain = chain.catch(() => undefined).finally(() => reading--);
  });
  return () => {
    live = false;
    off();
  };
}

/** Outbox changes as a `message.states` event: runs of one peer, state, time and why become one change. */
export function messageStates(
  entries: readonly OutboxEntry[],
  name: (fp: string) => MessagePeer,
): MessageStatesEvent {
  const changes: MessageStateChange[] = [];
  let last: MessageStateChange | undefined;
  let lastOf: OutboxEntry | undefined;
  for (const e of entries) {
    if (
      last &&
      lastOf &&
      e.peer === lastOf.peer &&
      e.state === lastOf.state &&
      e.stateAt === lastOf.stateAt &&
      e.why?.code === lastOf.why?.code &&
      e.why?.reason === lastOf.why?.reason
    ) {
      last.ids.push(e.id);
      continue;
    }
    last = {
      ids: [e.id],
      peer: name(e.peer),
      state: e.state,
      stateAt: isoTime(e.stateAt),
      ...(e.why ? { why: { code: e.why.code, reason: e.why.reason } } : {}),
    };
    lastOf = e;
    changes.push(last);
  }
  return { changes };
}

/**
 * namer(deps), made once per turn of the event loop: a burst of messages names their peers from one
 * look at the peer list, not one per message.
 */
function turnNamer(deps: Pick<MessagesApiDeps, 'peers'>): () => (fp: string) => MessagePeer {
  let current: ((fp: string) => MessagePeer) | undefined;
  return () => {
    if (!current) {
      current = namer(deps);
      setImmediate(() => (current = undefined));
    }
    return current;
  };
}

/** A function naming peers by fingerprint, from the peer list as it is now. */
function namer(deps: Pick<MessagesApiDeps, 'peers'>): (fp: string) => MessagePeer {
  let names: Map<string, string> | undefined;
  return (fingerprint) => {
    names ??= new Map(deps.peers.peerEntries().map((e) => [e.fingerprint, e.record.name]));
    return { name: names.get(fingerprint) ?? fingerprint.slice(0, 8), fingerprint };
  };
}

/** A peer as a person named it; a whole fingerprint also names a node that is no longer a peer. */
function fingerprintOf(deps: Pick<MessagesApiDeps, 'peers'>, ref: string): string {
  const whole = ref.replace(/[\s:]/g, '').toLowerCase();
  if (/^[0-9a-f]{64}$/.test(whole) && !deps.peers.peerEntries().some((e) => e.fingerprint === whole))
    return whole;
  return resolvePeer(deps.peers, ref).fingerprint;
}

/** The outbox's input for one message as the API takes it; `which` names it in a batch. */
function newMessage(peer: string, p: SendFields, which?: string): NewMessage {
  const body = p.text !== undefined ? Buffer.from(p.text, 'utf8') : decodeBase64(p.base64 ?? '', which);
  // Said before anything else is looked at: the size is what a person fixes first.
  if (body.length > MAX_MESSAGE_BODY_BYTES) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${which ? `${which}: ` : ''}a message is at most 1 MiB (${MAX_MESSAGE_BODY_BYTES} bytes); this one is ${body.length} bytes: nothing was queued (send it as a file instead)`,
    );
  }
  return {
    peer,
    body,
    owned: true, // decoded here for this message alone
    text: p.text !== undefined,
    ...(p.topic !== undefined ? { topic: p.topic } : {}),
    ...(p.ttlMs !== undefined ? { ttlMs: p.ttlMs } : {}),
    ...(p.replyTo !== undefined ? { replyTo: p.replyTo } : {}),
    ...(p.error ? { error: true } : {}),
  };
}

function decodeBase64(text: string, which?: string): Buffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${which ? `${which}: ` : ''}base64 must be standard base64 (A–Z a–z 0–9 + /, padded with =)`,
    );
  }
  return Buffer.from(text, 'base64');
}

export function inboxMessage(
  e: InboxEntry,
  body: Uint8Array,
  name: (fp: string) => MessagePeer,
): InboxMessage {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return {
    id: e.id,
    from: name(e.from),
    topic: e.topic,
    ...(e.text ? { text: bytes.toString('utf8') } : { base64: bytes.toString('base64') }),
    sentAt: isoTime(e.sentAt),
    receivedAt: isoTime(e.receivedAt),
    expiresAt: isoTime(e.expiresAt),
    read: e.read,
    ...(e.replyTo !== undefined ? { replyTo: e.replyTo } : {}),
    ...(e.error ? { error: true as const } : {}),
  };
}

export function outboxMessage(e: OutboxEntry, name: (fp: string) => MessagePeer): OutboxMessage {
  return {
    id: e.id,
    peer: name(e.peer),
    topic: e.topic,
    size: e.size,
    state: e.state,
    ...(e.why ? { why: { code: e.why.code, reason: e.why.reason } } : {}),
    sentAt: isoTime(e.sentAt),
    stateAt: isoTime(e.stateAt),
    expiresAt: isoTime(e.expiresAt),
    ...(e.replyTo !== undefined ? { replyTo: e.replyTo } : {}),
  };
}

/** About how many characters a message's body takes once encoded as JSON. */
function encodedSize(m: { text?: string; base64?: string }): number {
  return m.base64 !== undefined ? m.base64.length : (m.text?.length ?? 0) + 64;
}
