/**
 * The `groups` exchange (docs/adr/0092-groups-reach-and-admission.md, docs/protocol.md §Groups): on
 * the registry, like "my devices"' `members` stream. Whenever a device this node exchanges group
 * records with has a new link, or the records kept here changed, this node opens one `groups` stream
 * to it, sends what that device may get (group-book.ts recordsFor: everything between one person's
 * own devices, with the groups it joined; the group's records and the member's own between a group's
 * devices and a member's), half-closes, and reads the other side's the same way. Each side applies
 * what it got whole or not at all (groups/group-plan.ts), and passes anything new on at its next
 * exchange with its other devices, so a decision made on one device reaches every device concerned
 * that is linked to one that has it.
 *
 * A device owed the news of its removal (group-exits.ts) is exchanged with too, but is sent only
 * the records that removed it, no hints, and nothing it sends is applied.
 *
 * Bounded as the membership exchange is: each side at most MAX_GROUP_EXCHANGE_LINES lines of at most
 * 4 KiB, an answer within EXCHANGE_TIMEOUT_MS, and at most MAX_GROUP_EXCHANGES_PER_MINUTE started by
 * one device here (past it a stream is refused, TOO_MANY_STREAMS). A member may name 16 devices, so
 * what its devices start together is bounded too (docs/adr/0097-group-exchange-work-per-member.md):
 * MAX_GROUP_EXCHANGES_PER_MEMBER_MINUTE started, MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER under way,
 * and MAX_GROUP_EXCHANGES_AT_ONCE under way from all but this person's own devices; checking the
 * records they bring has a budget of its own (group-record-checks.ts).
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { background } from '../core/background.js';
import { Emitter, type Disposer } from '../core/emitter.js';
import { errorMessage, refusalOf } from '../core/errors.js';
import { isDiskProblem } from '../core/file-errors.js';
import type { DomainPeers, DomainServices } from '../links/domain.js';
import type { ReadonlyPeerEntry } from '../links/ports.js';
import type { GroupRecord } from '../protocol/group-records.js';
import {
  MINUTE_MS,
  openWithin,
  PeerExchanges,
  realExchangeTimers,
  type ExchangeNext,
  type ExchangeTimers,
} from '../services/peer-exchanges.js';
import type { FileGroupBook } from './group-book.js';
import type { GroupExits } from './group-exits.js';
import {
  GROUPS_OPEN_ARGS,
  GROUPS_SERVICE,
  readExchange,
  writeExchange,
  type DeviceHint,
  type GroupExchange,
} from './group-lines.js';

/** How long one exchange (its open, and each side's lines) may take, in ms. */
export const EXCHANGE_TIMEOUT_MS = 5_000;
/** Exchanges one device may start here in a minute: one per new link or change, with room to spare. */
export const MAX_GROUP_EXCHANGES_PER_MINUTE = 30;
/**
 * Exchanges one member's devices (or one other device) may start here in a minute, all together: a
 * change makes each of a member's 16 devices exchange about twice.
 */
export const MAX_GROUP_EXCHANGES_PER_MEMBER_MINUTE = 60;
/** Exchanges one member's devices may have under way here at once (others retry within seconds). */
export const MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER = 8;
/** Exchanges under way here at once from all but this person's own devices: what they hold is bounded. */
export const MAX_GROUP_EXCHANGES_AT_ONCE = 32;
/** Wait before an exchange that failed on a link that stays is tried again, in ms. */
const RETRY_MS = 2_000;
/** How often the devices are looked over with no change signal, in ms, while some group is kept. */
const SWEEP_MS = 5_000;

export interface GroupExchangesDeps {
  book: FileGroupBook;
  exits: Pick<GroupExits, 'of' | 'recordsFor' | 'spend' | 'delivered'>;
  services: Pick<DomainServices, 'register'>;
  peers: Pick<DomainPeers, 'peerEntries' | 'peerEntry' | 'openStream' | 'onChanged'> &
    Partial<Pick<DomainPeers, 'homeRelay'>>;
  log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** The exchanges' timers and clock (tests pass a fake clock). */
  timers?: ExchangeTimers;
}

/** The window a device's exchanges started here are counted in. */
const STARTED = 'started';

/** What the devices of one principal (principalOf) do here: exchanges started, and under way. */
interface PrincipalLoad {
  /** When they started an exchange here, within the last minute. */
  started: number[];
  /** Exchanges they opened that are under way here. */
  underWay: number;
}

export class GroupExchanges {
  /** `exchanged`: an exchange with `fingerprint` ended with its records applied (or nothing new). */
  readonly events = new Emitter<{ exchanged: [string]; hints: [] }>();
  /** Each device's exchange (its state, retries, the sweep, its rate): the shared engine. */
  private readonly exchanges: PeerExchanges<ReadonlyPeerEntry>;
  /** What each principal's devices do here, all together (ADR 0097). */
  private readonly principals = new Map<string, PrincipalLoad>();
  /** Exchanges under way here from all principals. */
  private underWayAll = 0;
  /** Where the group's devices may be dialed, as a device of the group told this member's device. */
  private readonly hints = new Map<string, DeviceHint>();
  private readonly disposers: Disposer[] = [];
  private readonly timers: ExchangeTimers;

  constructor(private readonly deps: GroupExchangesDeps) {
    this.timers = deps.timers ?? realExchangeTimers;
    this.exchanges = new PeerExchanges<ReadonlyPeerEntry>(
      {
        what: 'group exchange',
        sweepMs: SWEEP_MS,
        log: deps.log,
        peers: () => deps.peers.peerEntries(),
        linkOf: (entry) => entry.links.active?.mux,
        nameOf: (entry) => entry.record.name,
        wants: (entry) => this.relevant(entry.fingerprint),
        exchange: (entry) => this.exchange(entry),
        failed: (entry, err) => this.failed(entry, err),
      },
      this.timers,
    );
    deps.services.register(GROUPS_SERVICE, {
      // Any linked node may ask; what it is sent and what is kept of what it sends is the book's.
      permission: null,
      noun: 'group exchanges',
      admits: 'held',
      // Exchanges run on their own schedule: no use of the pair by its owner.
      background: true,
      handle: (req, served) => {
        const fp = req.peer.fingerprint;
        const args = req.args as { v?: unknown } | null;
        if (typeof args !== 'object' || args === null || args.v !== GROUPS_OPEN_ARGS.v)
          return req.reject('BAD_REQUEST', `groups stream: arguments must be {"v":${GROUPS_OPEN_ARGS.v}}`);
        if (!this.relevant(fp)) return req.reject('PERMISSION_DENIED', 'no group here concerns this node');
        const principal = this.principalOf(fp);
        const tooMany = this.admitStart(fp, principal);
        if (tooMany) return req.reject('TOO_MANY_STREAMS', tooMany);
        let stream: Duplex;
        try {
          stream = served.hold();
        } catch {
          return;
        }
        this.begin(principal);
        // Counted under way until it ends, whichever way: a failed save must not hold a place for good.
        background(
          this.answer(fp, req.peer.name, stream).finally(() => this.end(principal)),
          (err) => this.answerFailed(req.peer.name, stream, err),
        );
      },
    });
  }

  start(): void {
    this.disposers.push(
      this.deps.peers.onChanged(() => this.exchanges.check()),
      this.deps.book.onChange(() => {
        this.keepSweep();
        this.markAllDirty();
      }),
    );
    this.keepSweep();
    this.exchanges.check();
  }

  /**
   * Sweeps only while some record is kept here: an agent with no group wakes for none (its change
   * signal still starts an exchange, and a device that keeps records starts its own).
   */
  private keepSweep(): void {
    this.exchanges.sweepWhile(this.deps.book.records().length > 0);
  }

  stop(): void {
    this.exchanges.stop();
    for (const d of this.disposers.splice(0)) d();
  }

  /** Where a group's device may be dialed, as the group's devices told this node. */
  hintsFor(fingerprint: string): readonly string[] {
    return this.hints.get(fingerprint)?.addresses ?? [];
  }

  /** The home relay of a group's device, as the group's devices told this node. */
  relayHintFor(fingerprint: string): DeviceHint['relay'] {
    return this.hints.get(fingerprint)?.relay;
  }

  /** Whether `fp` is a device this node exchanges group records with. */
  private relevant(fp: string): boolean {
    const book = this.deps.book;
    if (this.deps.exits.of(fp).length > 0) return true;
    if (book.anchors().mine.has(fp)) return true;
    if (book.recordsFor(fp).length > 0) return true;
    // A member's device asks a group's device it knows of, before the group's device sent it anything.
    return book.view().groups.some((g) => g.members.some((m) => m.devices.some((d) => d.fingerprint === fp)));
  }

  private markAllDirty(): void {
    this.exchanges.markDirty(this.deps.peers.peerEntries().map((e) => e.fingerprint));
  }

  /**
   * Whether `fp` is here only for the news of its removal: a member's device that lost its access on
   * this group's device and has none through another group.
   */
  private exitOnly(fp: string): boolean {
    const book = this.deps.book;
    if (book.anchors().mine.has(fp) || !this.deps.exits.of(fp).some((e) => !e.dial)) return false;
    return !book
      .view()
      .groups.some((g) => !g.deleted && g.members.some((m) => m.devices.some((d) => d.fingerprint === fp)));
  }

  /**
   * What `to` is sent: its records, the joined groups (a device of this person's), the hints (a
   * member's), and the records it is owed of a removal; a device here only for those, only those.
   */
  private outgoing(to: string) {
    const owed = this.deps.exits.recordsFor(to);
    if (this.exitOnly(to)) return { records: owed, joined: new Map(), hints: new Map<string, DeviceHint>() };
    const out = this.ordinary(to);
    const sent = new Set(out.records);
    return { ...out, records: [...out.records, ...owed.filter((r) => !sent.has(r))] };
  }

  private ordinary(to: string): {
    records: GroupRecord[];
    joined: ReadonlyMap<string, ReadonlySet<string>>;
    hints: Map<string, DeviceHint>;
  } {
    const book = this.deps.book;
    const mine = book.anchors().mine.has(to);
    const hints = new Map<string, DeviceHint>();
    for (const g of book.view().groups) {
      if (g.role !== 'owner' || !g.members.some((m) => m.devices.some((d) => d.fingerprint === to))) continue;
      for (const d of g.devices) {
        const addresses = this.deps.peers.peerEntry(d.fingerprint)?.announcedAddresses ?? [];
        // Where its relay path meets it: a member on other relays reaches it there (never a token).
        const home = this.deps.peers.homeRelay?.(d.fingerprint);
        const relay = home && {
          url: home.url,
          ...(home.fingerprint ? { fingerprint: home.fingerprint } : {}),
        };
        if (addresses.length > 0 || relay)
          hints.set(d.fingerprint, { addresses, ...(relay ? { relay } : {}) });
      }
    }
    return { records: book.recordsFor(to), joined: mine ? book.joinedAnchors() : new Map(), hints };
  }

  /** One exchange opened here, to its end; the engine runs it when `entry` has a new link or news. */
  private async exchange(entry: ReadonlyPeerEntry): Promise<ExchangeNext> {
    const fp = entry.fingerprint;
    const { stream } = await openWithin(
      this.deps.peers.openStream(entry, GROUPS_SERVICE, GROUPS_OPEN_ARGS),
      EXCHANGE_TIMEOUT_MS,
      this.timers,
    );
    const exitOnly = this.exitOnly(fp);
    const owed = this.deps.exits.of(fp).length > 0;
    const out = this.outgoing(fp);
    writeExchange(stream, out.records, out.joined, out.hints);
    stream.end();
    if (owed) this.deps.exits.spend(fp);
    const got = await readExchange(stream, EXCHANGE_TIMEOUT_MS, this.timers);
    if ('problem' in got) {
      stream.destroy();
      this.refuse(entry.record.name, got.problem);
      return { then: 'retry', afterMs: RETRY_MS };
    }
    // It answers once it applied what it got: the news reached it.
    if (owed) this.deps.exits.delivered(fp);
    if (!exitOnly) await this.apply(fp, entry.record.name, got);
    return { then: 'done' };
  }

  /** What comes after an exchange with `entry` that failed with `err`. */
  private failed(entry: ReadonlyPeerEntry, err: unknown): ExchangeNext {
    // A full disk here is the owner's to fix: said louder than a link that went away.
    this.deps.log[isDiskProblem(err) ? 'warn' : 'debug'](
      `group exchange with ${entry.record.name} failed: ${errorMessage(err)}`,
    );
    const refusal = refusalOf(err);
    // A removed device that counts no group with this one any more has the news, or no use for it.
    if (refusal === 'PERMISSION_DENIED' && this.exitOnly(entry.fingerprint))
      this.deps.exits.delivered(entry.fingerprint);
    // One that serves no exchange (a browser pulls its own, src-web/node/group-sync.ts) is asked
    // again on the next change or link, not every RETRY_MS while it stays linked.
    return refusal === 'UNKNOWN_SERVICE' ? { then: 'wait' } : { then: 'retry', afterMs: RETRY_MS };
  }

  /**
   * Who an exchange from `fp` counts against: this person's own devices nobody (undefined), a
   * member's device its member (all of that member's devices together), any other device itself.
   */
  private principalOf(fp: string): string | undefined {
    const book = this.deps.book;
    if (book.anchors().mine.has(fp)) return undefined;
    for (const g of book.view().groups)
      for (const m of g.members) if (m.devices.some((d) => d.fingerprint === fp)) return `member ${m.root}`;
    return `device ${fp}`;
  }

  /** `principal`'s load here as of now: its starts within the last minute, and what is under way. */
  private loadOf(principal: string): PrincipalLoad {
    const now = this.timers.now();
    const load = this.principals.get(principal) ?? { started: [], underWay: 0 };
    load.started = load.started.filter((t) => now - t < MINUTE_MS);
    if (load.started.length === 0 && load.underWay === 0) this.principals.delete(principal);
    return load;
  }

  private begin(principal: string | undefined): void {
    if (principal === undefined) return;
    const load = this.loadOf(principal);
    load.underWay++;
    this.principals.set(principal, load);
    this.underWayAll++;
  }

  private end(principal: string | undefined): void {
    if (principal === undefined) return;
    const load = this.loadOf(principal);
    load.underWay = Math.max(0, load.underWay - 1);
    if (load.started.length > 0 || load.underWay > 0) this.principals.set(principal, load);
    else this.principals.delete(principal);
    this.underWayAll--;
  }

  private async answer(fp: string, name: string, stream: Duplex): Promise<void> {
    const got = await readExchange(stream, EXCHANGE_TIMEOUT_MS, this.timers);
    if ('problem' in got) {
      this.refuse(name, got.problem);
      stream.destroy();
      return;
    }
    const exitOnly = this.exitOnly(fp);
    if (!exitOnly) await this.apply(fp, name, got);
    // Both sides hear each other on this one: a retry waiting for this device is not needed.
    this.exchanges.heard(fp, this.deps.peers.peerEntry(fp)?.links.active?.mux);
    if (stream.writable && !stream.destroyed) {
      const owed = this.deps.exits.of(fp).length > 0;
      const out = this.outgoing(fp);
      writeExchange(stream, out.records, out.joined, out.hints);
      stream.end();
      if (owed) {
        this.deps.exits.spend(fp);
        // Only its answer to an exchange of this node's says the news reached it: one follows at once,
        // so that it is told (and refused from then on) rather than let in for the news all week.
        this.exchanges.markDirty([fp]);
      }
    }
  }

  /**
   * A served exchange that failed here (a full disk refused the records): said in the log, and to the
   * opener by the stream's reset, which it retries; nothing of it was applied.
   */
  private answerFailed(from: string, stream: Duplex, err: unknown): void {
    this.deps.log.warn({ peer: from }, `group records from ${from} not kept: ${errorMessage(err)}`);
    stream.destroy(err instanceof Error ? err : new Error(String(err)));
  }

  /** Applies what `from` sent: its records whole or not at all; joined groups from this person's only. */
  private async apply(from: string, name: string, got: GroupExchange): Promise<void> {
    const book = this.deps.book;
    const mine = book.anchors().mine.has(from);
    const { refused, signatures } = await book.receiveFrom(
      got.records,
      mine ? got.joined : undefined,
      this.principalOf(from),
    );
    if (refused) return this.refuse(name, refused, signatures);
    // Hints count only from a device of the group the hinted device is in.
    let hinted = false;
    for (const [fp, hint] of got.hints) {
      const ok = book
        .view()
        .groups.some(
          (g) =>
            g.role === 'member' &&
            g.devices.some((d) => d.fingerprint === fp) &&
            (g.devices.some((d) => d.fingerprint === from) || g.owners.some((d) => d.fingerprint === from)),
        );
      if (!ok) continue;
      this.hints.set(fp, hint);
      hinted = true;
    }
    if (hinted) this.events.emit('hints');
    this.events.emit('exchanged', from);
  }

  private refuse(from: string, why: string, signatures = 0): void {
    // How many signatures the refusal cost: a flood's cost can be read from the log.
    this.deps.log.warn(
      { peer: from, signatures },
      `group records from ${from} refused: ${why}; nothing applied (${signatures} signatures checked)`,
    );
  }

  /** Why `fp` (of `principal`) may not start an exchange now, or undefined (and it is counted). */
  private admitStart(fp: string, principal: string | undefined): string | undefined {
    if (this.exchanges.recent(fp, STARTED, MINUTE_MS) >= MAX_GROUP_EXCHANGES_PER_MINUTE)
      return `more than ${MAX_GROUP_EXCHANGES_PER_MINUTE} group exchanges a minute`;
    const load = principal === undefined ? undefined : this.loadOf(principal);
    if (load) {
      if (load.started.length >= MAX_GROUP_EXCHANGES_PER_MEMBER_MINUTE)
        return `more than ${MAX_GROUP_EXCHANGES_PER_MEMBER_MINUTE} group exchanges a minute from one member's devices together`;
      if (load.underWay >= MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER)
        return `more than ${MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER} group exchanges at once from one sender (a member's devices count together); try again in a few seconds`;
      if (this.underWayAll >= MAX_GROUP_EXCHANGES_AT_ONCE)
        return `more than ${MAX_GROUP_EXCHANGES_AT_ONCE} group exchanges at once; try again in a few seconds`;
    }
    this.exchanges.note(fp, STARTED, MINUTE_MS);
    if (principal !== undefined && load) {
      load.started.push(this.timers.now());
      this.principals.set(principal, load);
    }
    return undefined;
  }
}
