/**
 * listen(): the unread messages first, then those the events bring (a `messages` event's rows, or each
 * `message` event from an agent before ADR 0122), every message handed to the handler
 * once and in order however the listing and the events cross, and acknowledged without holding up
 * the next one. A memory shared by listeners that follow one another (a new connection after the
 * agent restarted) keeps that true across connections.
 */
import { DisposableStore } from '../../core/disposables.js';
import { ClawError, errorMessage } from '../../core/errors.js';
import type { InboxMessage } from '../messages-contract.js';
import { inboxMessageOfRow, type MessagesEvent } from '../compact-inbox.js';
import {
  EVENT_OPTIONS,
  IDS_PER_CALL,
  listenMemory,
  type ControlConnection,
  type ListenMemory,
  type ListenOptions,
  type Listening,
} from './client-types.js';
import type { MessagesClient } from './messages-client.js';

/** Most IDs remembered as handled by a listener, so an unread listing and the events cannot print one twice. */
const SEEN_MEMORY = 20_000;

export class Listener implements Listening {
  readonly done: Promise<void>;
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private stopped = false;
  private readonly queue: InboxMessage[] = [];
  /**
   * The messages this connection's listing held. Only those can be a handled message shown again
   * because its acknowledgement was lost; an event that repeats one of them (it arrived while the
   * listing was answered) is a copy taken before the ack, not news.
   */
  private readonly listedHere = new WeakSet<InboxMessage>();
  private readonly memory: ListenMemory;
  private fromFingerprint: string | undefined;
  private listed = false;
  private working: Promise<void> = Promise.resolve();
  private finish!: (err?: unknown) => void;
  private settled = false;
  private readonly disposables = new DisposableStore();
  /** The ack in flight (ackLater). */
  private acking: Promise<void> | undefined;

  constructor(
    private readonly client: MessagesClient,
    control: ControlConnection,
    private readonly opts: ListenOptions,
    private readonly handler: (m: InboxMessage) => void | Promise<void>,
  ) {
    this.memory = opts.memory ?? listenMemory();
    this.done = new Promise<void>((resolve, reject) => {
      this.finish = (err) => {
        if (this.settled) return;
        this.settled = this.stopped = true;
        this.disposables.dispose();
        if (err === undefined) resolve();
        else reject(err instanceof Error ? err : new Error(errorMessage(err)));
      };
    });
    // Ends with `done` when the listing never came (the agent refused it, or went away first).
    this.ready = Promise.race([new Promise<void>((resolve) => (this.markReady = resolve)), this.done]);
    this.ready.catch(() => undefined); // whoever awaits `done` hears of it there
    // Subscribed before the listing: a message that arrives meanwhile is in one or the other (or both).
    this.disposables.add(
      control.onEvent((event, data) => {
        if (this.stopped) return;
        if (event === 'message') this.queue.push(data as InboxMessage);
        else if (event === 'messages') this.queueRows(data as MessagesEvent);
        else return;
        if (this.listed) this.pump();
      }, EVENT_OPTIONS),
      control.onClose(() => {
        if (this.stopped || client.endingHere) this.finish();
        else this.finish(new ClawError('NO_AGENT', 'the agent stopped; listen again once it runs'));
      }),
    );
    void this.start().catch((err: unknown) => this.finish(err));
  }

  private async start(): Promise<void> {
    const { topic, from } = this.opts;
    // Handled under a listener before this one, their acknowledgement lost with its connection.
    if (this.memory.toAck.length > 0 && this.opts.ack !== false) this.startAcking();
    const unread = await this.client.listAll({
      unread: true,
      ...(topic !== undefined ? { topic } : {}),
      ...(from !== undefined ? { from } : {}),
    });
    if (from !== undefined) this.fromFingerprint = await resolveFrom(this.client, from, unread);
    if (this.stopped) return;
    for (const m of unread) this.listedHere.add(m);
    this.queue.unshift(...unread);
    this.listed = true;
    this.markReady();
    this.pump();
  }

  /** A `messages` event's messages, each as the `message` event has it; other topics are not built. */
  private queueRows(event: MessagesEvent): void {
    const { topic } = this.opts;
    for (const row of event.rows) {
      if (topic !== undefined && row[2] !== topic) continue;
      const m = inboxMessageOfRow(row, event);
      if (m) this.queue.push(m);
    }
  }

  private wanted(m: InboxMessage): boolean {
    if (this.opts.topic !== undefined && m.topic !== this.opts.topic) return false;
    if (this.fromFingerprint !== undefined && m.from.fingerprint !== this.fromFingerprint) return false;
    if (this.opts.replies === false && m.replyTo !== undefined) return false;
    if (!this.memory.seen.has(seenKey(m))) return true;
    // Handled already: shown again because its acknowledgement was lost, or sent again after a crash.
    if (!m.read && this.listedHere.has(m) && this.opts.ack !== false) this.ackLater(m.id);
    return false;
  }

  /** Handles what is queued, one message at a time, in order. */
  private pump(): void {
    this.working = this.working.then(async () => {
      while (!this.stopped && this.queue.length > 0) {
        const m = this.queue.shift()!;
        if (!this.wanted(m)) continue;
        // Judged as it comes up, not as it arrived: one queued behind a slow handler may expire meanwhile.
        const expired = this.opts.onExpired !== undefined && Date.parse(m.expiresAt) <= Date.now();
        if (expired) this.opts.onExpired!(m);
        else {
          // Awaited only when it returned a promise: a handler that returns nothing costs no turn.
          const handled = this.handler(m);
          if (handled) await handled;
        }
        // Only once handled: a handler that failed (the agent went while it replied) sees it again.
        const { seen } = this.memory;
        seen.add(seenKey(m));
        if (seen.size > SEEN_MEMORY) seen.delete(seen.values().next().value!);
        if (this.opts.ack !== false && !expired) this.ackLater(m.id);
      }
    });
    this.working.catch((err: unknown) => this.finish(err));
  }

  /**
   * Acknowledges a handled message without holding up the next one: one `messages.ack` in flight at a
   * time, carrying every ID handled meanwhile. Waiting for each ack (a round trip and the inbox's disk
   * flush) held a listener to one message per flush. A listener that dies before an ack leaves its
   * message unread, to be shown again, as before.
   */
  private ackLater(id: string): void {
    this.memory.toAck.push(id);
    this.startAcking();
  }

  private startAcking(): void {
    this.acking ??= this.flushAcks().finally(() => (this.acking = undefined));
  }

  private async flushAcks(): Promise<void> {
    const { toAck } = this.memory;
    while (toAck.length > 0 && !this.settled) {
      const ids = toAck.splice(0, IDS_PER_CALL);
      try {
        await this.client.ack(ids);
      } catch (err) {
        toAck.unshift(...ids); // still to acknowledge, by a listener that follows this one
        this.finish(err);
        return;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.working.catch(() => undefined);
    await this.acking;
    this.finish();
    // Stopping a listener that had already failed is not an error of its own.
    await this.done.catch(() => undefined);
  }
}

/** A message as a listener remembers it: by sender and ID (two senders may choose one ID). */
function seenKey(m: InboxMessage): string {
  return `${m.from.fingerprint}/${m.id}`;
}

/**
 * The fingerprint of the peer `ref` names, so events can be matched: the agent already checked the
 * name (the listing would have failed), so this only finds which peer it was, in resolvePeer's order
 * (links/resolve-peer.ts): a whole fingerprint, the name as typed, the name in any case, a prefix.
 */
async function resolveFrom(client: MessagesClient, ref: string, listed: InboxMessage[]): Promise<string> {
  const fromListing = listed[0]?.from.fingerprint;
  if (fromListing !== undefined) return fromListing;
  const peers = await client.peers();
  const hex = ref.replace(/[\s:-]/g, '').toLowerCase();
  const key = (s: string) => s.normalize('NFC').toLowerCase();
  const found =
    peers.find((p) => p.fingerprint === hex) ??
    peers.find((p) => p.name === ref) ??
    peers.find((p) => key(p.name) === key(ref)) ??
    (/^[0-9a-f]{4,64}$/.test(hex) ? peers.find((p) => p.fingerprint.startsWith(hex)) : undefined);
  if (!found) throw new ClawError('PEER_NOT_FOUND', `no peer named '${ref}'`);
  return found.fingerprint;
}
