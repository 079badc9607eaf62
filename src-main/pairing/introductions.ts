/**
 * My devices introduce each other (docs/adr/0056-my-devices.md): the `members` service on
 * the registry. Whenever a peer marked mine here has a new link, or this node's membership log
 * changed, this node opens one `members` stream to it, sends its signed records (state/
 * membership.ts, protocol/member-records.ts), half-closes, and reads the peer's records back; the
 * peer does the same the other way on that stream. Each side applies what it received whole or not
 * at all, and passes anything new on to its other devices, so an introduction or a removal made on
 * one device reaches all of them that are linked to any other.
 *
 * A stream is refused (PERMISSION_DENIED) unless this node marks its opener mine: a one-sided mark
 * does nothing but say so (`theyMarkMine` on the opener's entry, shown by `peers`).
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { AuditSink } from '../audit/audit-writer.js';
import { background } from '../core/background.js';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage, refusalOf } from '../core/errors.js';
import { isDiskProblem } from '../core/file-errors.js';
import type { Identity } from '../crypto/identity.js';
import {
  MEMBERS_OPEN_ARGS,
  MEMBERS_SERVICE,
  membersOpenArgsProblem,
  type MemberRecord,
} from '../protocol/member-records.js';
import type { ChangeSource, PeerDirectory, ReadonlyPeerEntry, PeerStreams } from '../links/ports.js';
import {
  openWithin,
  PeerExchanges,
  realExchangeTimers,
  type ExchangeNext,
  type ExchangeTimers,
} from '../services/peer-exchanges.js';
import type { ServiceRegistry } from '../services/services.js';
import {
  introduce,
  planMembership,
  removal,
  withRecord,
  type IntroKnowledge,
  type MembershipEvent,
} from '../state/membership.js';
import type { NodeState } from '../state/node-state.js';
import type { MemberLog } from '../state/member-log.js';
import { memberAuditEvent, type MemberChange } from './member-audit.js';
import { readRecords, writeAll } from './member-lines.js';
import type { PeerRecord } from '../state/settings.js';
import { DisposableStore } from '../core/disposables.js';

/**
 * How long one exchange (its open, and each side's records) may take before it is given up and tried
 * again, in ms (5 s): a few lines each way; an open stuck on a link that went away must not hold the
 * next exchange back.
 */
export const MEMBERS_EXCHANGE_TIMEOUT_MS = 5_000;
/**
 * Exchanges one peer may start here per minute (30): each is a full list at most 1 MiB to check, and
 * an honest device starts one per new link or change; past this they are refused with a log line.
 */
export const MAX_EXCHANGES_PER_MINUTE = 30;
/**
 * Devices one peer's introductions may add here per hour (64): a person adds machines one at a time;
 * an exchange that would go past it is refused whole.
 */
export const MAX_INTRODUCED_PER_HOUR = 64;
/** First wait before an exchange that failed on a link that stays is tried again, in ms. */
const RETRY_MS = 2_000;
/**
 * Wait before asking again a device that refused as not marking this node, in ms (5 s, doubling to
 * 30 s while the link stays): its owner may be marking it that moment (the two marks race the link).
 */
const NOT_MINE_RETRY_MS = 5_000;
const NOT_MINE_RETRY_MAX_MS = 30_000;
/**
 * How often the devices are looked over even with no change signal, in ms (5 s): a link that came up
 * between two signals still gets its exchange. Unref'd; a look costs a pass over the peers. Only while
 * some peer is marked mine (ADR 0068): with none, a look finds nothing to do, and an idle agent was
 * woken for it every 5 s.
 */
export const SWEEP_MS = 5_000;

export interface IntroductionsDeps {
  identity: Pick<Identity, 'keyPem' | 'certDer' | 'fingerprint'>;
  log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  state: Pick<
    NodeState,
    | 'get'
    | 'peer'
    | 'peers'
    | 'pending'
    | 'isBlocked'
    | 'path'
    | 'setMine'
    | 'applyMembership'
    | 'removePeer'
    | 'block'
    | 'subscribe'
  >;
  /** The signed records this node keeps (member-log.ts): written before the state they go with. */
  members: Pick<MemberLog, 'records' | 'entries' | 'replace' | 'subscribe' | 'path'>;
  services: Pick<ServiceRegistry, 'register'>;
  peers: Pick<PeerDirectory, 'peerEntries'> &
    Pick<PeerStreams, 'openStream'> &
    ChangeSource & {
      peerEntry(fp: string): ReadonlyPeerEntry | undefined;
      /** Notes whether the peer marks this node as its owner's too; true when that changed. */
      noteMarksMine(fingerprint: string, marks: boolean | undefined): boolean;
      /** Tells clients something they show changed (whether a peer marks this node too). */
      changed?(): void;
    };
  /** Where this node dials a peer: what it tells the others in an introduction. */
  knownAbout(fingerprint: string): IntroKnowledge;
  audit?: AuditSink | undefined;
  /** The exchanges' timers and clock (tests pass a fake clock). */
  timers?: ExchangeTimers;
  now?: () => number;
}

/** A device that joined the owner's devices here, for the tray's notification. */
export interface DeviceJoined extends MembershipEvent {
  /** This node's name for the device that introduced it. */
  byName: string;
}

/** The window the devices one peer's introductions added here are counted in. */
const INTRODUCED = 'introduced';
const HOUR_MS = 3600_000;

export class Introductions {
  /** `joined`: a device became a peer here through an introduction. */
  readonly events = new Emitter<{ joined: [DeviceJoined] }>();
  /** Each device's exchange (its state, retries, the sweep, its rates): the shared engine. */
  private readonly exchanges: PeerExchanges<ReadonlyPeerEntry>;
  private readonly disposables = new DisposableStore();
  private readonly timers: ExchangeTimers;
  private readonly now: () => number;

  constructor(private readonly deps: IntroductionsDeps) {
    this.timers = deps.timers ?? realExchangeTimers;
    this.now = deps.now ?? (() => this.timers.now());
    this.exchanges = new PeerExchanges<ReadonlyPeerEntry>(
      {
        what: 'introductions',
        sweepMs: SWEEP_MS,
        log: deps.log,
        peers: () => deps.peers.peerEntries(),
        linkOf: (entry) => entry.links.active?.mux,
        nameOf: (entry) => entry.record.name,
        wants: (entry) => entry.record.mine === true,
        exchange: (entry) => this.exchange(entry),
        failed: (entry, err) => this.failed(entry, err),
      },
      this.timers,
    );
    deps.services.register(MEMBERS_SERVICE, {
      // Every peer may ask; only one marked mine here is answered (serve).
      permission: null,
      noun: 'introductions',
      // The owner's devices compare notes on it: no connection of its own, and no use of the pair.
      admits: 'held',
      background: true,
      handle: (req, served) => {
        const fp = req.peer.fingerprint;
        const problem = membersOpenArgsProblem(req.args);
        if (problem) return req.reject('BAD_REQUEST', `members stream: ${problem}`);
        const self = this.selfName();
        const peer = this.deps.state.peer(fp);
        if (peer?.mine !== true) {
          // Refused, but said: the opener marks this node as one of the owner's devices (so `peers`,
          // and `peers mine` here, need not ask the owner to mark this node there).
          this.setTheyMark(fp, true);
          this.deps.log.info(
            { peer: req.peer.name },
            `introductions from ${req.peer.name} ignored: not marked here as one of the owner's devices`,
          );
          return req.reject(
            'PERMISSION_DENIED',
            `${self} has not marked ${req.peer.name} as one of its owner's devices (its owner can run \`clawbridge peers mine ${req.peer.name} on\` there)`,
          );
        }
        if (!this.exchanges.admit(fp, MAX_EXCHANGES_PER_MINUTE)) {
          this.deps.log.warn(
            `introductions from ${req.peer.name} refused: more than ${MAX_EXCHANGES_PER_MINUTE} a minute`,
          );
          return req.reject(
            'TOO_MANY_STREAMS',
            `more than ${MAX_EXCHANGES_PER_MINUTE} introductions a minute`,
          );
        }
        let stream: Duplex;
        try {
          stream = served.hold();
        } catch {
          return;
        }
        this.setTheyMark(fp, true);
        background(this.answer(peer, stream), (err) => this.answerFailed(peer.name, stream, err));
      },
    });
  }

  start(): void {
    this.disposables.add(
      this.deps.peers.onChanged(() => this.exchanges.check()),
      this.deps.members.subscribe(() => this.markAllDirty()),
      this.deps.state.subscribe((change) => {
        // A device marked mine (here or by an introduction) exchanges at once.
        if (change.kind === 'peer' && change.after?.mine === true && change.before?.mine !== true)
          this.exchanges.markDirty([change.id]);
        if (change.kind === 'peer' && change.after === undefined) this.exchanges.forget(change.id);
        if (change.kind === 'peer' && change.after?.mine !== change.before?.mine) this.sweepWhileMine();
      }),
    );
    this.sweepWhileMine();
    this.reaffirm();
    this.exchanges.check();
  }

  /** Looks over the devices every SWEEP_MS while some peer is marked mine, and not at all otherwise. */
  private sweepWhileMine(): void {
    this.exchanges.sweepWhile(this.deps.state.peers().some((p) => p.mine === true));
  }

  stop(): void {
    this.exchanges.stop();
    this.disposables.dispose();
  }

  /**
   * Brings config.json in line with the removals kept here, at start and before anything listens
   * (ADR 0065): a peer that config.json lists though a removal of it was kept after it was added (an
   * old config.json put back, or a crash between the two writes of a removal) is removed and blocked,
   * with a log line and an audit event; a removed node config.json does not know at all is blocked.
   * A peer added after the removal was kept (the owner paired it again here) stays.
   * @returns the fingerprints removed or blocked
   */
  applyKeptRemovals(): string[] {
    const { state, identity, members, log } = this.deps;
    const done: string[] = [];
    for (const { record, keptAt } of members.entries()) {
      const fp = record.subject;
      if (record.kind !== 'remove' || fp === identity.fingerprint || keptAt === undefined) continue;
      const peer = state.peer(fp);
      if (peer) {
        if (Date.parse(peer.addedAt) >= Date.parse(keptAt)) continue;
        state.removePeer(fp, new Date(this.now()), true);
        const byName = this.nameOf(record.by);
        log.info(
          { peer: peer.name },
          `${peer.name} (${fp.slice(0, 8)}) removed at start: ${state.path} lists it, but its removal from the owner's devices by ${byName} is kept here (${members.path})`,
        );
        this.recordAudit('removed', peer, record.by, byName, ', kept here; removed at start');
        done.push(fp);
      } else if (!state.isBlocked(fp) && !state.pending().some((p) => p.fingerprint === fp)) {
        state.block(fp, new Date(this.now()), true);
        done.push(fp);
      }
    }
    return done;
  }

  private nameOf(fp: string): string {
    return fp === this.deps.identity.fingerprint
      ? this.selfName()
      : (this.deps.state.peer(fp)?.name ?? fp.slice(0, 8));
  }

  /**
   * Marks a peer as one of the owner's devices, or not (the owner's decision, here): marking it signs
   * this node's introduction of it, which its other devices accept from this one.
   */
  markMine(fingerprint: string, on: boolean): PeerRecord {
    const { state, identity, members } = this.deps;
    const peer = state.peer(fingerprint);
    if (!peer) throw new ClawError('PEER_NOT_FOUND', `no peer ${fingerprint.slice(0, 8)}`);
    if (peer.mine === on) return peer;
    if (on) {
      const kept = members.records();
      const record = introduce(identity, kept, peer, this.deps.knownAbout(fingerprint), new Date(this.now()));
      members.replace(withRecord(kept, record));
    }
    const after = state.setMine(fingerprint, on);
    this.recordAudit(on ? 'marked' : 'unmarked', after, identity.fingerprint);
    if (!on) this.setTheyMark(fingerprint, undefined);
    this.deps.log.info(
      `${after.name} ${on ? 'marked' : 'no longer marked'} as one of the owner's devices${on ? '; introduced to the others once it marks this node too' : ''}`,
    );
    return after;
  }

  /**
   * Removes one of the owner's devices here and, through the signed removal this node keeps and
   * passes on, on all the others (a peer not marked mine is only removed here).
   * @returns whether the removal goes to the other devices
   */
  revoke(fingerprint: string): boolean {
    const { state, identity, members } = this.deps;
    const peer = state.peer(fingerprint);
    if (!peer?.mine) {
      state.removePeer(fingerprint);
      return false;
    }
    const kept = members.records();
    const record = removal(identity, kept, fingerprint, new Date(this.now()));
    // The record first (ADR 0065): a crash before the peer goes is finished by the next start.
    members.replace(withRecord(kept, record));
    state.removePeer(fingerprint, new Date(this.now()), true);
    this.reaffirm();
    this.recordAudit('removed', peer, identity.fingerprint);
    this.deps.log.info(`${peer.name} removed from the owner's devices here; the removal goes to the others`);
    return true;
  }

  /**
   * Signs anew, as this node's own, the introduction of each device marked mine here whose kept record
   * was signed by a device since removed. One record is kept per device, and where two introductions
   * tie the higher signer wins, so the one kept here may be another device's (z's introduction of y,
   * not this node's). Once z is removed, a device that joins later counts nothing z signed (ADR 0058:
   * a removed signer is not one of the owner's), and would never hear of y from this node, though this
   * node marks y mine. Its own introduction (one seq higher, so it wins everywhere) says what this
   * node's owner decided, under a signature that still counts.
   */
  private reaffirm(): void {
    const { state, identity, members } = this.deps;
    let kept = members.records();
    const removed = (fp: string) =>
      fp !== identity.fingerprint &&
      (state.isBlocked(fp) || kept.some((r) => r.subject === fp && r.kind === 'remove'));
    let changed = false;
    for (const r of members.records()) {
      if (r.kind !== 'intro' || r.by === identity.fingerprint || !removed(r.by)) continue;
      const peer = state.peer(r.subject);
      if (peer?.mine !== true) continue;
      const known = this.deps.knownAbout(peer.fingerprint);
      kept = withRecord(kept, introduce(identity, kept, peer, known, new Date(this.now())));
      changed = true;
    }
    if (changed) members.replace(kept);
  }

  private selfName(): string {
    return this.deps.state.get().name ?? 'clawbridge';
  }

  private markAllDirty(): void {
    this.exchanges.markDirty(this.deps.state.peers().flatMap((p) => (p.mine ? [p.fingerprint] : [])));
  }

  private setTheyMark(fp: string, value: boolean | undefined): void {
    if (this.deps.peers.noteMarksMine(fp, value)) this.deps.peers.changed?.();
  }

  /** The records `to` gets from this node: all it keeps but those about `to` itself. */
  private recordsFor(to: string): MemberRecord[] {
    return this.deps.members.records().filter((r) => r.subject !== to);
  }

  /** One exchange opened here, to its end; the engine runs it when `entry` has a new link or news. */
  private async exchange(entry: ReadonlyPeerEntry): Promise<ExchangeNext> {
    const fp = entry.fingerprint;
    const { stream } = await openWithin(
      this.deps.peers.openStream(entry, MEMBERS_SERVICE, MEMBERS_OPEN_ARGS),
      MEMBERS_EXCHANGE_TIMEOUT_MS,
      this.timers,
    );
    this.setTheyMark(fp, true);
    writeAll(stream, this.recordsFor(fp));
    stream.end();
    const got = await readRecords(stream, MEMBERS_EXCHANGE_TIMEOUT_MS, this.timers);
    if ('problem' in got) {
      stream.destroy();
      this.refuse(entry.record.name, got.problem);
      return { then: 'retry', afterMs: RETRY_MS };
    }
    this.apply(fp, got.records);
    return { then: 'done' };
  }

  /** What comes after an exchange with `entry` that failed with `err`. */
  private failed(entry: ReadonlyPeerEntry, err: unknown): ExchangeNext {
    if (refusalOf(err) === 'PERMISSION_DENIED') {
      // One-sided: said in `peers`; their marking us opens a stream our way, and we ask again
      // (slower each time) in case their mark raced this link.
      this.setTheyMark(entry.fingerprint, false);
      this.deps.log.info(`introductions with ${entry.record.name} wait: ${errorMessage(err)}`);
      return { then: 'back-off', firstMs: NOT_MINE_RETRY_MS, maxMs: NOT_MINE_RETRY_MAX_MS };
    }
    // A full disk here is the owner's to fix: said louder than a link that went away.
    this.deps.log[isDiskProblem(err) ? 'warn' : 'debug'](
      `introductions with ${entry.record.name} failed: ${errorMessage(err)}`,
    );
    return { then: 'retry', afterMs: RETRY_MS };
  }

  /** The served side: read the opener's records, apply them, answer with this node's. */
  private async answer(peer: PeerRecord, stream: Duplex): Promise<void> {
    const got = await readRecords(stream, MEMBERS_EXCHANGE_TIMEOUT_MS, this.timers);
    if ('problem' in got) {
      this.refuse(peer.name, got.problem);
      stream.destroy(new ClawError('PROTOCOL', got.problem, { refusal: 'BAD_REQUEST' }));
      return;
    }
    this.apply(peer.fingerprint, got.records);
    // The opener has what it sent us, and now hears the rest.
    const fp = peer.fingerprint;
    // Both sides hear each other on this one: a retry waiting for this device is not needed.
    this.exchanges.heard(fp, this.deps.peers.peerEntry(fp)?.links.active?.mux);
    if (stream.writable && !stream.destroyed) {
      writeAll(stream, this.recordsFor(fp));
      stream.end();
    }
  }

  /**
   * A served exchange that failed here (a full disk refused the records): said in the log, and to the
   * opener by the stream's reset, which it retries; nothing of it was applied.
   */
  private answerFailed(from: string, stream: Duplex, err: unknown): void {
    this.deps.log.warn({ peer: from }, `introductions from ${from} not kept: ${errorMessage(err)}`);
    stream.destroy(err instanceof Error ? err : new Error(String(err)));
  }

  private refuse(from: string, why: string): void {
    this.deps.log.warn({ peer: from }, `introductions from ${from} refused: ${why}; nothing applied`);
  }

  /** Applies what `from` sent, whole or not at all. */
  private apply(from: string, records: MemberRecord[]): void {
    const { state, identity, log } = this.deps;
    // Checked again: the peer may have been unmarked or removed while its records came.
    const sender = state.peer(from);
    if (sender?.mine !== true) return;
    const result = planMembership(
      { ...state.get(), members: this.deps.members.records() },
      identity.fingerprint,
      from,
      records,
      new Date(this.now()),
    );
    if ('refused' in result) return this.refuse(sender.name, result.refused);
    const { plan } = result;
    const recent = this.exchanges.recent(from, INTRODUCED, HOUR_MS);
    if (plan.added.length > 0 && recent + plan.added.length > MAX_INTRODUCED_PER_HOUR) {
      return this.refuse(
        sender.name,
        `it would add ${plan.added.length} devices, past ${MAX_INTRODUCED_PER_HOUR} an hour from one device`,
      );
    }
    for (const note of plan.notes) log[note.level]({ peer: sender.name }, note.line);
    if (!plan.changed) return;
    // A signer this exchange adds is named as it will be here.
    const byName = (fp: string) =>
      fp === identity.fingerprint
        ? this.selfName()
        : (state.peer(fp)?.name ?? plan.added.find((a) => a.fingerprint === fp)?.name ?? fp.slice(0, 8));
    // Names read before the write: a removed signer's name goes with it.
    const words = {
      added: plan.added.map((a) => ({ ...a, byName: byName(a.by) })),
      removed: plan.removed.map((r) => ({ ...r, byName: byName(r.by) })),
    };
    // The records first (ADR 0065): a removal kept and not yet applied is applied at the next start.
    this.deps.members.replace(plan.members);
    state.applyMembership(plan);
    if (plan.removed.length > 0 || plan.members.some((r) => r.kind === 'remove')) this.reaffirm();
    if (plan.added.length > 0) this.exchanges.note(from, INTRODUCED, HOUR_MS, plan.added.length);
    // Whose list it came in: the signer may be a device this node had not met (ADR 0058).
    const via = (by: string) => (by === from ? '' : `, passed on by ${sender.name}`);
    for (const a of words.added) {
      log.info(
        { peer: a.name },
        `${a.name} (${a.fingerprint.slice(0, 8)}) joined the owner's devices here, introduced by ${a.byName}${via(a.by)}`,
      );
      this.recordAudit('introduced', { name: a.name, fingerprint: a.fingerprint }, a.by, a.byName, via(a.by));
      this.events.emit('joined', a);
    }
    for (const r of words.removed) {
      log.info(
        { peer: r.name },
        `${r.name} (${r.fingerprint.slice(0, 8)}) removed from the owner's devices by ${r.byName}${via(r.by)}`,
      );
      this.recordAudit('removed', { name: r.name, fingerprint: r.fingerprint }, r.by, r.byName, via(r.by));
    }
  }

  private recordAudit(
    change: MemberChange,
    peer: { name: string; fingerprint: string },
    by: string,
    byName?: string,
    via = '',
  ): void {
    const name =
      byName ??
      (by === this.deps.identity.fingerprint
        ? this.selfName()
        : (this.deps.state.peer(by)?.name ?? by.slice(0, 8)));
    this.deps.audit?.record(memberAuditEvent(change, peer, { name, fingerprint: by }, via));
  }
}
