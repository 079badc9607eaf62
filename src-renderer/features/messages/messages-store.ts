/**
 * The window's view of this node's inbox and outbox (docs/api.md §Messages): read once on
 * (re)connecting (api/agent-store.ts), then kept live by the agent's `message` (a new inbox message)
 * and `message.state` (an outbox message moved on) events. Views read it with
 * `useSyncExternalStore`; none fetches on mount.
 *
 * The outbox keeps what was sent as the inbox keeps what came, and is read with its bodies; a state
 * event carries none, so the body of a message first seen in one (another program sent it) is asked
 * for by ID. The text this window sent is also kept here, in this device's storage (`sentText`), so
 * it shows at once.
 *
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type {
  InboxMessage,
  MessageState,
  OutboxMessage,
} from '../../../src-main/messages/messages-contract.js';
import { agentStore, when, type LiveStore, type Loaded } from '../../api/agent-store.js';
import type { ApiClient } from '../../api/client.js';
import { ApiError, type Disposer } from '../../api/transport.js';
import { serviceKey } from '../../lib/feature-services.js';
import type { KeyValue } from '../../lib/navigation.js';
import { inBackground } from '../../../src-main/core/background.js';

/**
 * Most messages held per box, newest kept (the contract's default `messages.list` answer): the
 * conversations show at most this many, and a flood of `message` events cannot grow the page without
 * bound. Unread counts are counted among them.
 */
export const HELD_MESSAGES = 1000;

/**
 * Most body characters the first read holds (16 Mi, about 32 MB in the page): the inbox may hold 64 MiB
 * per peer, more than a window needs to show a conversation.
 */
export const HELD_BODY_CHARS = 16 * 1024 * 1024;

/**
 * The largest body a message may have, in bytes: the protocol's MAX_MESSAGE_BODY_BYTES (the page
 * cannot import the agent's code; a unit test checks the two agree). Checked here so an oversized
 * message is refused at once, naming the limit, before anything is sent.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Outbox bodies asked for in one request (those first seen in state events). */
const BODIES_PER_CALL = 100;

/** Sent texts kept for the conversation view: the last this many messages this window sent. */
export const SENT_TEXTS_KEPT = 200;
/** And at most this many characters of each (a longer one is cut, saying so). */
export const SENT_TEXT_CHARS = 4000;
const SENT_TEXTS_KEY = 'clawbridge.sentMessages';

/** What the messages store holds; its snapshot adds how the reading stands (agent-store.ts). */
export interface MessagesState {
  /** Oldest first, at most HELD_MESSAGES. */
  inbox: readonly InboxMessage[];
  /** Oldest first, at most HELD_MESSAGES. */
  outbox: readonly OutboxMessage[];
}

export type MessagesSnapshot = Loaded<MessagesState>;

/** A state never moves back (the agent's box-records.ts stateRank): a late event must not undo one. */
const RANK: Record<MessageState, number> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  expired: 4,
  refused: 4,
};

/** The newer of two views of one outbox message: the further state; on a tie, the later report. */
export function laterState(held: OutboxMessage | undefined, next: OutboxMessage): OutboxMessage {
  if (!held) return next;
  return RANK[next.state] >= RANK[held.state] ? next : held;
}

export class MessagesStore {
  private readonly store: LiveStore<MessagesState>;
  private readonly sentTexts: Map<string, string>;
  /**
   * Outbox messages whose bodies were asked for since the last read (those it did not bring, and those
   * first seen in a state event), so each is asked for once; and whether a request runs.
   */
  private readonly bodiesAsked = new Set<string>();
  private readonly bodiesWanted = new Set<string>();
  private fetchingBodies = false;

  constructor(
    private readonly client: ApiClient,
    /** This device's lasting storage (localStorage), where the sent texts are kept; null: memory only. */
    private readonly prefs: KeyValue | null = null,
  ) {
    this.sentTexts = loadSentTexts(prefs);
    this.store = agentStore<MessagesState>(client, {
      initial: { inbox: [], outbox: [] },
      what: 'the messages',
      load: async (call) => {
        const [inbox, outbox] = await Promise.all([
          readInbox(call),
          call('messages.outbox', { limit: HELD_MESSAGES, bodies: true }),
        ]);
        // A new read brings the bodies it can: those it does not are asked for again.
        this.bodiesAsked.clear();
        return { inbox: held(byId(inbox)), outbox: held(byId(outbox), true) };
      },
      events: [
        when('message', (s, m) => ({ ...s, inbox: held(withInbox(byId(s.inbox), [m])) })),
        when('message.state', (s, m) => ({ ...s, outbox: held(withOutbox(byId(s.outbox), [m]), true) })),
      ],
    });
    this.store.subscribe(() => this.askBodies());
  }

  get = (): MessagesSnapshot => this.store.get();

  subscribe = (listener: () => void): Disposer => this.store.subscribe(listener);

  /** The text this window sent as message `id`, when it still has it. */
  sentText(id: string): string | undefined {
    return this.sentTexts.get(id);
  }

  /** Reads both boxes again (as on connecting). */
  refresh(): Promise<void> {
    return this.store.refresh();
  }

  /**
   * Queues `text` for `peer` (its fingerprint). Refuses a body over MAX_BODY_BYTES at once, naming
   * the limit, without asking the agent; throws the agent's error otherwise. The answer (state
   * `queued`) joins the outbox.
   */
  async send(peer: string, text: string): Promise<OutboxMessage> {
    const size = utf8Bytes(text);
    if (size > MAX_BODY_BYTES) throw new ApiError('TOO_LARGE', tooLargeText(size));
    const sent = await this.client.call('messages.send', { peer, text });
    this.keepSentText(sent.id, text);
    this.store.update((s) => ({ ...s, outbox: held(withOutbox(byId(s.outbox), [sent]), true) }));
    return sent;
  }

  /**
   * Marks inbox messages read (the sender gets its `read` receipt). Those the agent took are marked
   * here at once; a failure is thrown.
   */
  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.client.call('messages.ack', { ids: [...ids] });
    const acked = new Set(ids);
    this.store.update((s) => ({
      ...s,
      inbox: s.inbox.map((m) => (acked.has(m.id) && !m.read ? { ...m, read: true } : m)),
    }));
  }

  /**
   * Asks for the body of each outbox message that has none (a state event carries none, and one
   * answer carries a bounded share), unless this window sent it (its text is kept here) or it was
   * asked for since the last read.
   */
  private askBodies(): void {
    for (const m of this.store.get().outbox) {
      if (hasBody(m) || this.sentTexts.has(m.id) || this.bodiesAsked.has(m.id)) continue;
      this.bodiesAsked.add(m.id);
      this.bodiesWanted.add(m.id);
    }
    if (this.bodiesWanted.size > 0 && !this.fetchingBodies)
      inBackground(this.fetchBodies(), console, 'reading message bodies');
  }

  /** Reads the bodies of the outbox messages in `bodiesWanted`, one request at a time. */
  private async fetchBodies(): Promise<void> {
    this.fetchingBodies = true;
    try {
      while (this.bodiesWanted.size > 0) {
        const ids = [...this.bodiesWanted].slice(0, BODIES_PER_CALL);
        for (const id of ids) this.bodiesWanted.delete(id);
        const got = await this.client.call('messages.outbox', { ids, bodies: true, limit: ids.length });
        this.store.update((s) => ({ ...s, outbox: held(withOutbox(byId(s.outbox), got), true) }));
      }
    } catch {
      // The connection went: the next read (on connecting again) brings the bodies.
      this.bodiesWanted.clear();
    } finally {
      this.fetchingBodies = false;
    }
  }

  private keepSentText(id: string, text: string): void {
    const kept = text.length > SENT_TEXT_CHARS ? text.slice(0, SENT_TEXT_CHARS) : text;
    this.sentTexts.set(id, kept);
    while (this.sentTexts.size > SENT_TEXTS_KEPT) {
      const oldest = this.sentTexts.keys().next().value as string;
      this.sentTexts.delete(oldest);
    }
    try {
      this.prefs?.setItem(SENT_TEXTS_KEY, JSON.stringify([...this.sentTexts]));
    } catch {
      // Storage full or refused: the text shows until the page reloads.
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * The newest HELD_MESSAGES of the inbox. One answer carries a bounded share of bodies (the agent's
 * MESSAGE_LIST_BODY_BUDGET), the oldest of those asked for first: while one comes back short, the
 * rest is asked for `after` its last, until HELD_BODY_CHARS are held (then the newest are left out
 * and the view says so through their absence, as `msg inbox` would show them).
 */
async function readInbox(call: ApiClient['call']): Promise<InboxMessage[]> {
  const all: InboxMessage[] = [];
  let chars = 0;
  let want = HELD_MESSAGES;
  let after: string | undefined;
  while (want > 0 && chars < HELD_BODY_CHARS) {
    const page = await call('messages.list', { limit: want, ...(after ? { after } : {}) });
    if (page.length === 0) break;
    all.push(...page);
    for (const m of page) chars += (m.text ?? m.base64 ?? '').length;
    if (page.length >= want) break;
    want -= page.length;
    after = page.at(-1)!.id;
  }
  return all;
}

/** `The message is 1.2 MiB; a message holds at most 1 MiB — nothing was sent.` */
export function tooLargeText(bytes: number): string {
  const mib = (bytes / (1024 * 1024)).toFixed(1);
  return `The message is ${mib} MiB; a message holds at most 1 MiB — nothing was sent`;
}

/** UTF-8 length of `text`, in bytes, without encoding it. */
export function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function byId<T extends { id: string }>(list: readonly T[]): Map<string, T> {
  return new Map(list.map((m) => [m.id, m]));
}

/** An inbox message once read stays read (an event may carry an older view of it). */
function withInbox(map: Map<string, InboxMessage>, more: readonly InboxMessage[]): Map<string, InboxMessage> {
  for (const m of more) {
    const before = map.get(m.id);
    map.set(m.id, before?.read && !m.read ? { ...m, read: true } : m);
  }
  return map;
}

/** A state event carries no body: the one held stays with the message. */
function withOutbox(
  map: Map<string, OutboxMessage>,
  more: readonly OutboxMessage[],
): Map<string, OutboxMessage> {
  for (const m of more) {
    const before = map.get(m.id);
    let next = laterState(before, m);
    const body = [next, before, m].find((x) => x !== undefined && hasBody(x));
    if (body && !hasBody(next)) {
      next = { ...next, ...(body.text !== undefined ? { text: body.text } : { base64: body.base64 ?? '' }) };
    }
    map.set(m.id, next);
  }
  return map;
}

function hasBody(m: OutboxMessage): boolean {
  return m.text !== undefined || m.base64 !== undefined;
}

/**
 * The newest HELD_MESSAGES, oldest first. IDs are UUIDv7 (time-ordered) from one sender's clock; the
 * inbox mixes senders, so it is ordered by when each message arrived here.
 */
function held<T extends InboxMessage | OutboxMessage>(map: Map<string, T>, outbox = false): T[] {
  const at = (m: T) => (outbox ? (m as OutboxMessage).sentAt : (m as InboxMessage).receivedAt);
  const list = [...map.values()].sort((a, b) => at(a).localeCompare(at(b)) || a.id.localeCompare(b.id));
  return list.length > HELD_MESSAGES ? list.slice(-HELD_MESSAGES) : list;
}

function loadSentTexts(prefs: KeyValue | null): Map<string, string> {
  try {
    const raw: unknown = JSON.parse(prefs?.getItem(SENT_TEXTS_KEY) ?? '[]');
    if (!Array.isArray(raw)) return new Map();
    const pairs = raw.filter(
      (p): p is [string, string] =>
        Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string',
    );
    return new Map(pairs.slice(-SENT_TEXTS_KEPT));
  } catch {
    return new Map();
  }
}

/** The window's one messages store, made on first use (lib/feature-services.ts). */
export const MESSAGES = serviceKey('messages.store', ({ client, prefs }) => new MessagesStore(client, prefs));
