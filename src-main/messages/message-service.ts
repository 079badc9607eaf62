/**
 * Messages, wired into an agent (ADR 0046): the `message` service on the registry (a peer's
 * stream is admitted under its `message` grant, listed in `connections` as `messages-in`, ended when
 * the grant goes, and delivers into the inbox) and, the other way, one `message` stream to each peer
 * this node has something for — opened whenever that peer's outbox has messages waiting (or delivered
 * ones whose READ has not come, once per new link and after a stream that ended) and the peer has a
 * link, listed as `messages-out` on the opening side's registry, and moved to the peer's preferred
 * path when that changes. A stream the peer refuses for want of the permission refuses every waiting
 * message for good, with the peer's hint (`clawbridge peers allow NAME message` there); an older peer
 * that does not know the service leaves them queued, saying so. Messages past their TTL become
 * `expired` on a timer set for the next one due (no polling: an idle agent stays asleep).
 */
import type { LifecyclePart } from '../core/lifecycle.js';
import type { Logger } from 'pino';
import type { ChangeSource, PeerDirectory, ReadonlyPeerEntry, PeerStreams } from '../links/ports.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import type { ConnectionAdmission, ServiceRegistry, ServiceRequest } from '../services/services.js';
import type { ConnectionHandle } from '../connections/connection-table.js';
import { inBackground } from '../core/background.js';
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import type { MuxStream } from '../mux/stream.js';
import { MESSAGE_OPEN_ARGS, MESSAGE_SERVICE, messageOpenArgsProblem } from '../protocol/message-frames.js';
import type { AuditSink } from '../audit/audit-writer.js';
import type { Inbox } from './inbox.js';
import { auditMessages } from './message-audit.js';
import { MessageSessions, type SendingSession } from './message-session.js';
import { openMessageStore, type MessageStoreOptions } from './message-store.js';
import type { Outbox } from './outbox.js';
import { DisposableStore } from '../core/disposables.js';

/** What the service needs of the agent's peers: who they are, their links, streams to them, changes. */
export type MessagePeers = Pick<PeerDirectory, 'peerEntries'> &
  Pick<PeerStreams, 'openStream'> &
  ChangeSource;

export interface MessageServiceDeps {
  log: Logger;
  /** Where the `message` service is registered (and its streams listed and held under the grant). */
  services: Pick<ServiceRegistry, 'register'>;
  peers: MessagePeers;
  /** Where each stream this node opens is listed, and ended when its peer is removed here. */
  connections?: ConnectionsOpened | undefined;
  boxes: { inbox: Inbox; outbox: Outbox };
  now?: () => number;
}

/** First wait before a stream that ended (or could not open) while its link stays is tried again, in ms. */
export const MESSAGE_RETRY_MIN_MS = 1_000;
/** Longest wait between two tries on one link, in ms. */
export const MESSAGE_RETRY_MAX_MS = 30_000;
/** A stream that lasted this long ended for a reason of its own, not a loop: the next try is at once. */
const STABLE_STREAM_MS = 10_000;
/** Longest single timer wait, in ms (a day): TTLs run to 30 days, past what setTimeout takes. */
const MAX_TIMER_MS = 24 * 3600_000;
/** How often inbox and outbox let go of what is past its time even when nothing else happens, in ms. */
const HOUSEKEEPING_MS = 3600_000;

/** The mux a peer's new streams go over now (its identity tells one link from the next). */
type LinkKey = object;

interface Sending {
  session: SendingSession;
  link: LinkKey;
  listed: ConnectionHandle | undefined;
  openedAt: number;
}

export class MessageService {
  readonly sessions: MessageSessions;
  private readonly sending = new Map<string, Sending>();
  private readonly opening = new Set<string>();
  /** The link each peer's new streams went over when last looked at (a new one asks for READs again). */
  private readonly lastLink = new Map<string, LinkKey>();
  /**
   * Peers whose stream from here ended while their link stayed: a READ they sent meanwhile had no
   * stream to come back on, so the next stream asks for READs again, as a new link's does.
   */
  private readonly readsMissed = new Set<string>();
  /** A link whose peer answered that it has no `message` service (an older release): not asked again on it. */
  private readonly unsupported = new Map<string, LinkKey>();
  private readonly retries = new Map<string, { timer: NodeJS.Timeout | undefined; waitMs: number }>();
  private readonly disposables = new DisposableStore();
  private expiryTimer: NodeJS.Timeout | undefined;
  private expiryAt = Infinity;
  private housekeeping: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: MessageServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.sessions = new MessageSessions(deps.boxes);
    deps.services.register(MESSAGE_SERVICE, {
      permission: 'message',
      noun: 'messages',
      admits: 'connection',
      kind: 'messages-in',
      handle: (req, served) => this.serve(req, served),
    });
  }

  /** Starts delivering: follows the peers' links and the outbox, and sets the expiry timer. */
  start(): void {
    const { outbox, inbox } = this.deps.boxes;
    this.disposables.add(
      this.deps.peers.onChanged(() => this.safely(() => this.check())),
      outbox.events.on('queued', (entry) =>
        this.safely(() => {
          this.scheduleExpiry(entry.expiresAt);
          if (!this.sending.has(entry.peer)) this.check(entry.peer);
        }),
      ),
    );
    this.housekeeping = setInterval(() => {
      inbox.expire();
      this.expireSoon();
    }, HOUSEKEEPING_MS).unref();
    this.expireSoon();
    this.check();
  }

  /** Closes every session and timer (the agent stops); the boxes are closed by whoever opened them. */
  stop(): void {
    this.stopped = true;
    this.disposables.dispose();
    for (const r of this.retries.values()) clearTimeout(r.timer);
    this.retries.clear();
    clearTimeout(this.expiryTimer);
    clearInterval(this.housekeeping);
    this.sessions.closeAll();
  }

  /** A peer's `message` stream, past its permission: it delivers into the inbox. */
  private serve(req: ServiceRequest, served: ConnectionAdmission): void {
    const problem = messageOpenArgsProblem(req.args);
    if (problem) return req.reject('BAD_REQUEST', problem);
    let accepted: ReturnType<ConnectionAdmission['accept']>;
    try {
      accepted = served.accept({ from: req.peer.name, to: 'inbox' });
    } catch {
      return; // the grant went meanwhile (refused with why) or the opener gave up
    }
    const { stream, connection } = accepted;
    const count = countBytes(stream, connection);
    const session = this.sessions.receive(req.peer.fingerprint, stream);
    this.deps.log.debug({ peer: req.peer.name }, 'message stream in');
    inBackground(
      session.closed.then((err) => {
        this.deps.log.debug(
          { peer: req.peer.name, why: err && errorMessage(err) },
          'message stream in ended',
        );
        count();
        connection.end(err ? errorMessage(err) : undefined);
      }),
      this.deps.log,
      'ending a message stream',
    );
  }

  /**
   * Opens a stream to each peer (or only `only`) that has something waiting and a link to carry it,
   * and moves a stream to the peer's preferred path when that changed.
   */
  private check(only?: string): void {
    if (this.stopped) return;
    for (const entry of this.deps.peers.peerEntries()) {
      if (only !== undefined && entry.fingerprint !== only) continue;
      const fp = entry.fingerprint;
      const link = entry.links.active?.mux;
      if (!link) {
        this.lastLink.delete(fp);
        this.readsMissed.delete(fp); // the next link is new: its stream asks anyway
        continue;
      }
      const newLink = this.lastLink.get(fp) !== link;
      this.lastLink.set(fp, link);
      if (newLink) this.clearRetry(fp, true);
      if (this.opening.has(fp) || this.retries.get(fp)?.timer) continue;
      if (this.unsupported.get(fp) === link) continue;
      const current = this.sending.get(fp);
      if (current?.link === link) continue;
      const { outbox } = this.deps.boxes;
      const work =
        current !== undefined || // on another path: new streams go over the preferred one
        outbox.waitingCount(fp) > 0 ||
        ((newLink || this.readsMissed.has(fp)) && outbox.awaitingRead(fp).length > 0);
      if (work)
        inBackground(this.open(entry, link), this.deps.log, `a message stream to ${entry.record.name}`);
    }
  }

  private async open(entry: ReadonlyPeerEntry, link: LinkKey): Promise<void> {
    const fp = entry.fingerprint;
    this.opening.add(fp);
    let opened: Awaited<ReturnType<MessagePeers['openStream']>>;
    try {
      opened = await this.deps.peers.openStream(entry, MESSAGE_SERVICE, MESSAGE_OPEN_ARGS);
    } catch (err) {
      this.opening.delete(fp);
      await this.refusedToOpen(entry, link, err);
      return;
    }
    this.opening.delete(fp);
    const { stream, path, remote } = opened;
    if (this.stopped) return void stream.destroy();
    const name = entry.record.name;
    const session = this.sessions.send(fp, stream);
    const listed = this.deps.connections?.open({
      kind: 'messages-out',
      peer: { name, fingerprint: fp },
      from: 'outbox',
      to: `inbox on ${name}`,
      via: { path, address: remote },
      ending: 'its messages wait in the outbox',
      close: (reason) => session.close(new ClawError('STREAM_RESET', reason)),
    });
    const count = listed ? countBytes(stream, listed) : () => undefined;
    const mine: Sending = { session, link, listed, openedAt: this.now() };
    this.sending.set(fp, mine);
    this.readsMissed.delete(fp); // its HELLO's answer asks for every READ still awaited
    this.deps.log.debug({ peer: name, path }, 'message stream out');
    const ended = session.closed.then((err) => {
      this.deps.log.debug({ peer: name, why: err && errorMessage(err) }, 'message stream out ended');
      count();
      listed?.end(err ? errorMessage(err) : undefined);
      if (this.sending.get(fp) !== mine) return; // replaced by a stream on another path
      this.sending.delete(fp);
      if (this.stopped) return;
      this.readsMissed.add(fp);
      if (refusalOf(err) === 'PERMISSION_DENIED') {
        // The grant was taken away while it was open: the next open is refused, and says so.
        this.clearRetry(fp, true);
        return this.check(fp);
      }
      const lasted = this.now() - mine.openedAt;
      this.retryLater(fp, lasted >= STABLE_STREAM_MS);
    });
    inBackground(ended, this.deps.log, `ending the message stream to ${name}`);
  }

  /** What an open the peer (or the link) refused leaves behind. */
  private async refusedToOpen(entry: ReadonlyPeerEntry, link: LinkKey, err: unknown): Promise<void> {
    const fp = entry.fingerprint;
    const { log, boxes } = this.deps;
    const refusal = refusalOf(err);
    if (refusal === 'PERMISSION_DENIED') {
      // Final for every message waiting now (the peer's reason names where to grant it); a message
      // queued later is tried on its own. READs are not asked for again until the next link: a peer
      // that took the grant away would otherwise be asked, and refuse, at every change here.
      this.readsMissed.delete(fp);
      await this.sessions
        .openRefused(fp, { code: 'PERMISSION_DENIED', reason: errorMessage(err) })
        .catch((e: unknown) => log.warn(`could not record refused messages: ${errorMessage(e)}`));
      return;
    }
    if (refusal === 'UNKNOWN_SERVICE') {
      // An older release: the messages stay queued, saying why, until the peer's next link.
      this.unsupported.set(fp, link);
      const why = {
        code: 'UNSPECIFIED' as const,
        reason: `${entry.record.name} runs a release without messages; they wait until it is upgraded`,
      };
      for (const m of boxes.outbox.pending(fp)) boxes.outbox.markWaiting(fp, m.id, why);
      return;
    }
    if (isClawError(err, 'PEER_OFFLINE')) return; // the next link brings it back (onChanged)
    log.info({ peer: entry.record.name }, `message stream not opened: ${errorMessage(err)}`);
    this.retryLater(fp, false);
  }

  /** Looks again after a while (longer each time a stream to `fp` fails on the same link). */
  private retryLater(fp: string, atOnce: boolean): void {
    const r = this.retries.get(fp) ?? { timer: undefined, waitMs: 0 };
    clearTimeout(r.timer);
    r.waitMs = atOnce ? 0 : Math.min(MESSAGE_RETRY_MAX_MS, Math.max(MESSAGE_RETRY_MIN_MS, r.waitMs * 2));
    r.timer = setTimeout(() => {
      r.timer = undefined;
      this.safely(() => this.check(fp));
    }, r.waitMs).unref();
    this.retries.set(fp, r);
  }

  /** A new link (or a reason to try now): no waiting, and the next failure starts the backoff over. */
  private clearRetry(fp: string, reset: boolean): void {
    const r = this.retries.get(fp);
    if (!r) return;
    clearTimeout(r.timer);
    r.timer = undefined;
    if (reset) this.retries.delete(fp);
  }

  /** Sets the expiry timer for `at` when that is sooner than the one set. */
  private scheduleExpiry(at: number | undefined): void {
    if (this.stopped || at === undefined || at >= this.expiryAt) return;
    clearTimeout(this.expiryTimer);
    this.expiryAt = at;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, at - this.now()) + 1);
    this.expiryTimer = setTimeout(() => {
      this.expiryAt = Infinity;
      this.expireSoon();
    }, wait).unref();
  }

  /** expireNow, not awaited: it says its own failures; a throw past that (a bug) is logged. */
  private expireSoon(): void {
    inBackground(this.expireNow(), this.deps.log, 'expiring messages');
  }

  /** Marks what is past its TTL expired, and sets the timer for the next one due. */
  private async expireNow(): Promise<void> {
    const { outbox, inbox } = this.deps.boxes;
    try {
      await outbox.expire();
      inbox.expire();
    } catch (err) {
      this.deps.log.warn(`could not expire messages: ${errorMessage(err)}`);
    }
    this.scheduleExpiry(outbox.nextExpiry());
  }

  /** Runs an event's work; a failure is logged, never thrown into the part that emitted it. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.log.warn(`messages: ${errorMessage(err)}`);
    }
  }
}

/** Feeds `listed` the stream's byte counters as data arrives; call the result once more at the end. */
function countBytes(stream: MuxStream, listed: Pick<ConnectionHandle, 'bytesIn' | 'bytesOut'>): () => void {
  let seenIn = 0;
  let seenOut = 0;
  const sync = () => {
    const i = stream.bytesIn;
    const o = stream.bytesOut;
    if (i > seenIn) listed.bytesIn(i - seenIn);
    if (o > seenOut) listed.bytesOut(o - seenOut);
    seenIn = i;
    seenOut = o;
  };
  stream.on('data', sync);
  return () => {
    stream.off('data', sync);
    sync();
  };
}

/** What the agent's composition gives messages. */
export interface MessagesDeps extends Omit<MessageServiceDeps, 'boxes'> {
  /** The node's home: the boxes live in HOME/messages/ (message-store.ts). */
  home: string;
  /** Where refusals, quota events and expiries are recorded (message-audit.ts); none when absent. */
  audit?: AuditSink | undefined;
  /** Store options (tests: a clock, small quotas). */
  store?: MessageStoreOptions;
}

export interface RunningMessages {
  readonly service: MessageService;
  readonly inbox: Inbox;
  readonly outbox: Outbox;
  /**
   * Its entries in the agent's lifecycle (core/lifecycle.ts, messages-domain.ts): the boxes, open from
   * `openMessages` on and written and closed after the links stopped; and delivery, started once the
   * links run and stopped before they go.
   */
  readonly parts: { readonly boxes: LifecyclePart; readonly delivery: LifecyclePart };
}

/**
 * Opens the node's boxes and registers the `message` service (call before the links start, so a
 * peer's first stream finds the service); delivering starts with `parts.delivery`.
 */
export async function openMessages(deps: MessagesDeps): Promise<RunningMessages> {
  const { home, audit, store: storeOptions, ...serviceDeps } = deps;
  const store = await openMessageStore(home, storeOptions);
  const { inbox, outbox, recovery } = store;
  // A torn end is what a crash leaves (nothing acknowledged is lost: ADR 0046); an unreadable record is news.
  for (const [box, r] of Object.entries(recovery)) {
    if (r.skipped > 0)
      deps.log.warn({ box, ...r }, `the message ${box} had records this release cannot read`);
    else if (r.truncatedBytes > 0) deps.log.info({ box, ...r }, `the message ${box} had a torn end, cut`);
  }
  const service = new MessageService({ ...serviceDeps, boxes: { inbox, outbox } });
  const stopAudit = audit
    ? auditMessages(audit, {
        inbox,
        outbox,
        peerName: (fp) => deps.peers.peerEntries().find((e) => e.fingerprint === fp)?.record.name,
      })
    : () => undefined;
  return {
    service,
    inbox,
    outbox,
    parts: {
      boxes: {
        name: 'message boxes',
        stop: async () => {
          stopAudit();
          await store.close();
        },
      },
      delivery: { name: 'message delivery', start: () => service.start(), stop: () => service.stop() },
    },
  };
}
