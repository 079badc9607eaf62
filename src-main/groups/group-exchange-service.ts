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
import { background, inBackground } from '../core/background.js';
import { Emitter, type Disposer } from '../core/emitter.js';
import { errorMessage, refusalOf } from '../core/errors.js';
import { isDiskProblem } from '../core/file-errors.js';
import type { DomainPeers, DomainServices } from '../links/domain.js';
import type { ReadonlyPeerEntry } from '../links/ports.js';
import type { GroupRecord } from '../protocol/group-records.js';
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
  now?: () => number;
}

type LinkKey = object;

export class GroupExchanges {
  /** `exchanged`: an exchange with `fingerprint` ended with its records applied (or nothing new). */
  readonly events = new Emitter<{ exchanged: [string]; hints: [] }>();
  private readonly lastLink = new Map<string, LinkKey>();
  private readonly dirty = new Set<string>();
  private readonly running = new Set<string>();
  private readonly retryAt = new Map<string, NodeJS.Timeout>();
  private readonly startedBy = new Map<string, number[]>();
  /** Exchanges started by the devices of one principal (principalOf) in the last minute. */
  private readonly startedByPrincipal = new Map<string, number[]>();
  /** Exchanges other devices opened that are under way, per principal, and all of them. */
  private readonly underWay = new Map<string, number>();
  private underWayAll = 0;
  /** Where the group's devices may be dialed, as a device of the group told this member's device. */
  private readonly hints = new Map<string, DeviceHint>();
  private readonly disposers: Disposer[] = [];
  private sweep: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: GroupExchangesDeps) {
    this.now = deps.now ?? Date.now;
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
      this.deps.peers.onChanged(() => this.check()),
      this.deps.book.onChange(() => {
        this.keepSweep();
        this.markAllDirty();
      }),
    );
    this.keepSweep();
    this.check();
  }

  /**
   * Sweeps only while some record is kept here: an agent with no group wakes for none (its change
   * signal still starts an exchange, and a device that keeps records starts its own).
   */
  private keepSweep(): void {
    const keeps = this.deps.book.records().length > 0;
    if (keeps && !this.sweep) this.sweep = setInterval(() => this.check(), SWEEP_MS).unref();
    if (!keeps && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.sweep);
    for (const d of this.disposers.splice(0)) d();
    for (const t of this.retryAt.values()) clearTimeout(t);
    this.retryAt.clear();
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
    for (const e of this.deps.peers.peerEntries()) this.dirty.add(e.fingerprint);
    queueMicrotask(() => this.check());
  }

  private check(): void {
    if (this.stopped) return;
    for (const entry of this.deps.peers.peerEntries()) {
      const fp = entry.fingerprint;
      const link = entry.links.active?.mux;
      if (!link || this.running.has(fp) || this.retryAt.has(fp)) continue;
      if (this.lastLink.get(fp) === link && !this.dirty.has(fp)) continue;
      if (!this.relevant(fp)) {
        this.dirty.delete(fp);
        continue;
      }
      // exchange() catches what it meets; a throw past that (a bug) is logged, not the agent's end.
      inBackground(this.exchange(entry, link), this.deps.log, `group exchange with ${entry.record.name}`);
    }
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

  private async exchange(entry: ReadonlyPeerEntry, link: LinkKey): Promise<void> {
    const fp = entry.fingerprint;
    this.running.add(fp);
    this.dirty.delete(fp);
    this.lastLink.set(fp, link);
    try {
      const { stream } = await withTimeout(
        this.deps.peers.openStream(entry, GROUPS_SERVICE, GROUPS_OPEN_ARGS),
        EXCHANGE_TIMEOUT_MS,
      );
      const exitOnly = this.exitOnly(fp);
      const owed = this.deps.exits.of(fp).length > 0;
      const out = this.outgoing(fp);
      writeExchange(stream, out.records, out.joined, out.hints);
      stream.end();
      if (owed) this.deps.exits.spend(fp);
      const got = await readExchange(stream, EXCHANGE_TIMEOUT_MS);
      if ('problem' in got) {
        stream.destroy();
        this.refuse(entry.record.name, got.problem);
        this.retryLater(fp);
      } else {
        // It answers once it applied what it got: the news reached it.
        if (owed) this.deps.exits.delivered(fp);
        if (!exitOnly) await this.apply(fp, entry.record.name, got);
      }
    } catch (err) {
      if (!this.stopped) {
        // A full disk here is the owner's to fix: said louder than a link that went away.
        this.deps.log[isDiskProblem(err) ? 'warn' : 'debug'](
          `group exchange with ${entry.record.name} failed: ${errorMessage(err)}`,
        );
        const refusal = refusalOf(err);
        // A removed device that counts no group with this one any more has the news, or no use for it.
        if (refusal === 'PERMISSION_DENIED' && this.exitOnly(fp)) this.deps.exits.delivered(fp);
        // One that serves no exchange (a browser pulls its own, src-web/node/group-sync.ts) is asked
        // again on the next change or link, not every RETRY_MS while it stays linked.
        if (refusal !== 'UNKNOWN_SERVICE') this.retryLater(fp);
      }
    } finally {
      this.running.delete(fp);
    }
    if (this.dirty.has(fp)) this.check();
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

  private begin(principal: string | undefined): void {
    if (principal === undefined) return;
    this.underWay.set(principal, (this.underWay.get(principal) ?? 0) + 1);
    this.underWayAll++;
  }

  private end(principal: string | undefined): void {
    if (principal === undefined) return;
    const left = (this.underWay.get(principal) ?? 1) - 1;
    if (left > 0) this.underWay.set(principal, left);
    else this.underWay.delete(principal);
    this.underWayAll--;
  }

  private async answer(fp: string, name: string, stream: Duplex): Promise<void> {
    const got = await readExchange(stream, EXCHANGE_TIMEOUT_MS);
    if ('problem' in got) {
      this.refuse(name, got.problem);
      stream.destroy();
      return;
    }
    const exitOnly = this.exitOnly(fp);
    if (!exitOnly) await this.apply(fp, name, got);
    const link = this.deps.peers.peerEntry(fp)?.links.active?.mux;
    if (link) this.lastLink.set(fp, link);
    this.dirty.delete(fp);
    if (stream.writable && !stream.destroyed) {
      const owed = this.deps.exits.of(fp).length > 0;
      const out = this.outgoing(fp);
      writeExchange(stream, out.records, out.joined, out.hints);
      stream.end();
      if (owed) {
        this.deps.exits.spend(fp);
        // Only its answer to an exchange of this node's says the news reached it: one follows at once,
        // so that it is told (and refused from then on) rather than let in for the news all week.
        this.dirty.add(fp);
        queueMicrotask(() => this.check());
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

  private retryLater(fp: string): void {
    if (this.stopped) return;
    this.dirty.add(fp);
    clearTimeout(this.retryAt.get(fp));
    this.retryAt.set(
      fp,
      setTimeout(() => {
        this.retryAt.delete(fp);
        this.check();
      }, RETRY_MS).unref(),
    );
  }

  /** Why `fp` (of `principal`) may not start an exchange now, or undefined (and it is counted). */
  private admitStart(fp: string, principal: string | undefined): string | undefined {
    const now = this.now();
    const recent = (map: Map<string, number[]>, key: string) => {
      const times = (map.get(key) ?? []).filter((t) => now - t < 60_000);
      if (times.length > 0) map.set(key, times);
      else map.delete(key);
      return times;
    };
    const times = recent(this.startedBy, fp);
    if (times.length >= MAX_GROUP_EXCHANGES_PER_MINUTE)
      return `more than ${MAX_GROUP_EXCHANGES_PER_MINUTE} group exchanges a minute`;
    const together = principal === undefined ? undefined : recent(this.startedByPrincipal, principal);
    if (principal !== undefined) {
      if ((together?.length ?? 0) >= MAX_GROUP_EXCHANGES_PER_MEMBER_MINUTE)
        return `more than ${MAX_GROUP_EXCHANGES_PER_MEMBER_MINUTE} group exchanges a minute from one member's devices together`;
      if ((this.underWay.get(principal) ?? 0) >= MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER)
        return `more than ${MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER} group exchanges at once from one sender (a member's devices count together); try again in a few seconds`;
      if (this.underWayAll >= MAX_GROUP_EXCHANGES_AT_ONCE)
        return `more than ${MAX_GROUP_EXCHANGES_AT_ONCE} group exchanges at once; try again in a few seconds`;
    }
    times.push(now);
    this.startedBy.set(fp, times);
    if (principal !== undefined && together) {
      together.push(now);
      this.startedByPrincipal.set(principal, together);
    }
    return undefined;
  }
}

/** `p`, or a rejection after `ms` (a stream that opens later is closed at once). */
function withTimeout<T extends { stream: Duplex }>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Error(`no answer within ${ms / 1000} s`));
    }, ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        if (late) v.stream.destroy();
        else resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
