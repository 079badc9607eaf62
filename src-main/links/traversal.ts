/**
 * Direct across NATs, per relay link (docs/adr/0081-direct-across-nats.md): over a `traverse` stream
 * (traverse-protocol.ts) both peers tell each other their candidates, and while the pair has no direct
 * link the side with the lower fingerprint coordinates a synchronised simultaneous open
 * (transport/nat/simultaneous-open.ts) from fresh local ports, timed from the RTT it measures over the
 * relay link. A mapped address is learned, so the direct path dials it. Where it cannot work (a NAT
 * that changes ports, and no mapping) nothing is tried and the reason is kept for `peers`.
 *
 * Every address the peer names passes the target rules (transport/nat/punch-targets.ts) one by one: a
 * bad one is dropped and counted, the rest stand. A mapped address new from the peer is dialed only
 * within the same per-peer budget as simultaneous opens, so a peer that names a new one on every line
 * cannot make this node dial without end. A round of opens that gave up is tried again later
 * (punch-rounds.ts), never left for good.
 */
import type { Duplex } from 'node:stream';
import { backoffDelayMs } from '../core/backoff.js';
import { systemTimers, type TimerHandle, type Timers } from '../transport/nat/timers.js';
import { errorMessage } from '../core/errors.js';
import { explainRelayed } from '../transport/nat/nat-kind.js';
import { securePunchedSocket } from '../transport/nat/punched-link.js';
import { punchTargets, screenCandidates } from '../transport/nat/punch-targets.js';
import { freePort, simultaneousOpen } from '../transport/nat/simultaneous-open.js';
import {
  decodeTraverse,
  encodeTraverse,
  TraverseLines,
  type OutgoingTraverse,
  type TraverseMessage,
} from './traverse-protocol.js';
import { retryAfterGiveUpMs, roundAttempts, usedDuringWait } from './punch-rounds.js';

/** How long after the agreed start the connects go on, in ms (kernel SYN retries come at 1 s, 3 s). */
export const PUNCH_WINDOW_MS = 4_000;
/** How long a side waits for the other's `connect` or `sync`, in ms. */
export const PUNCH_ANSWER_TIMEOUT_MS = 5_000;
/** Simultaneous opens tried in a relay link's first round before giving up (with backoff between them). */
export const MAX_PUNCH_ATTEMPTS = 5;
/** Punch offers one side answers per relay link: what a peer can make it spend is bounded. */
const MAX_PUNCH_ANSWERS = 2 * MAX_PUNCH_ATTEMPTS;
/**
 * Simultaneous opens with one peer, offered or answered, within PUNCH_BUDGET_WINDOW_MS, across its
 * relay links: a peer that links again and again gets no fresh budget with each link.
 */
export const MAX_PUNCHES_PER_PEER = 2 * MAX_PUNCH_ATTEMPTS;
/** The window MAX_PUNCHES_PER_PEER counts over, in ms (10 min). */
export const PUNCH_BUDGET_WINDOW_MS = 10 * 60 * 1000;
/** Shortest wait between the coordinator's `sync` and its own connects, in ms (a LAN's RTT rounds to 0). */
const MIN_HALF_RTT_MS = 1;

import type { TraversalDeps } from './traversal-deps.js';
import { background } from '../core/background.js';

export type { OwnCandidates, PeerCandidates, TraversalDeps, TraversalState } from './traversal-deps.js';

export class TraverseSession {
  private readonly lines = new TraverseLines();
  private waiting: { t: 'connect' | 'sync'; resolve: (m: TraverseMessage) => void } | undefined;
  private punching = false;
  private answers = 0;
  private timer: TimerHandle | undefined;
  private ended = false;
  private readonly stopOwn: () => void;
  private readonly timers: Timers;
  /** What this node last told, to see its own candidates change. */
  private told = '';
  /** The owner's uses of the pair the relay link's mux does not count: pings, here or the peer's (`used`). */
  private noted = 0;

  constructor(
    private readonly stream: Duplex,
    /** The coordinator (lower fingerprint) offers punches; the other answers them. */
    private readonly coordinator: boolean,
    private readonly deps: TraversalDeps,
  ) {
    this.timers = deps.timers ?? systemTimers;
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', () => this.end());
    stream.on('close', () => this.end());
    stream.on('end', () => this.end());
    this.stopOwn = deps.own.onChanged(() => this.tell());
    this.tell();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.clearTimer();
    this.stopOwn();
    this.waiting = undefined;
    if (!this.stream.destroyed) this.stream.destroy();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private send(message: OutgoingTraverse): void {
    if (!this.ended && this.stream.writable) this.stream.write(encodeTraverse(message));
  }

  /** Tells the peer this node's candidates (now, and whenever they change: a reason to try again). */
  private tell(): void {
    const facts = this.deps.own.facts();
    const message: OutgoingTraverse = {
      t: 'candidates',
      nat: facts.nat,
      mapped: this.deps.own.mappedAddress() ?? null,
      hosts: this.deps.own.publicHosts().slice(0, 8),
    };
    const text = JSON.stringify(message);
    const changed = this.told !== '' && text !== this.told;
    this.told = text;
    this.send(message);
    if (changed) this.startRound();
    else this.judge();
  }

  /**
   * The owner asks for a direct link now (`peers retry`): the coordinator starts a round at once (within
   * the budget), the other side tells its candidates again, which makes the coordinator start one.
   */
  retryNow(): void {
    if (this.ended) return;
    if (!this.coordinator) {
      this.told = '';
      return this.tell();
    }
    this.startRound();
  }

  /**
   * The owner used the pair in a way the relay link's mux does not count (a ping): the coordinator
   * counts it; the other side tells the coordinator, when its hello says it takes `used` lines.
   */
  noteUse(): void {
    if (this.ended || this.deps.directUp()) return;
    if (this.coordinator) this.noted++;
    else if (this.deps.peerHearsUse === true) this.send({ t: 'used' });
  }

  /** The pair's use so far, a count that only grows; undefined where nothing counts it. */
  private uses(): number | undefined {
    return this.deps.uses === undefined ? undefined : this.deps.uses() + this.noted;
  }

  /** A new round of opens from now: after a change, a backoff or the owner's word. */
  private startRound(): void {
    const state = this.deps.state;
    if (this.ended || this.punching) return;
    if (state.gaveUp === undefined && this.timer === undefined && (state.roundAttempts ?? 0) === 0) {
      return this.judge();
    }
    // A spent budget stands whatever changed: the round starts once it allows one.
    if ((this.deps.budgetWaitMs?.() ?? 0) > 0) return this.budgetSpent();
    state.gaveUp = undefined;
    state.nextTryAt = undefined;
    state.roundAttempts = 0;
    this.clearTimer();
    this.judge();
    this.deps.changed();
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    try {
      for (const line of this.lines.push(chunk)) this.onMessage(decodeTraverse(line));
    } catch (err) {
      this.deps.log.debug(
        { peer: this.deps.peerId.slice(0, 8) },
        `traverse stream closed: ${errorMessage(err)}`,
      );
      this.end();
    }
  }

  private onMessage(m: TraverseMessage): void {
    if (m.t === 'candidates') return this.onCandidates(m);
    if (m.t === 'used') {
      if (this.coordinator) this.noted++;
      return;
    }
    if (this.waiting?.t === m.t) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      return resolve(m);
    }
    if (m.t === 'connect' && !this.coordinator) background(this.answer(m.port), this.failed);
    // Anything else (a `sync` not waited for) is late or out of turn: ignored.
  }

  /**
   * The peer's candidates, each screened by the target rules; a mapped address new from the peer is
   * learned (and so dialed) only within the budget. Heard while given up, they start a new round.
   */
  private onCandidates(m: Extract<TraverseMessage, { t: 'candidates' }>): void {
    const state = this.deps.state;
    const screened = screenCandidates(m.hosts, m.mapped ?? null);
    let dropped = screened.dropped;
    let mapped = screened.mapped;
    const before = state.peer?.mappedAddress ?? null;
    if (mapped !== null && mapped !== before) {
      if (this.deps.mayPunch()) this.deps.learnMapped(mapped);
      else {
        dropped++;
        mapped = before;
      }
    }
    if (dropped > 0) {
      state.droppedCandidates = (state.droppedCandidates ?? 0) + dropped;
      this.deps.log.debug(
        { peer: this.deps.peerId.slice(0, 8), dropped: state.droppedCandidates },
        'traverse: candidates dropped (not a target, or over the budget)',
      );
    }
    state.peer = { nat: m.nat, mapped: mapped !== null, mappedAddress: mapped, hosts: screened.hosts };
    if (state.gaveUp !== undefined) this.startRound();
    else this.judge();
    this.deps.changed();
  }

  /** Why the pair stays relayed, and on the coordinator whether to try a simultaneous open. */
  private judge(): void {
    const peer = this.deps.state.peer;
    if (!peer) return;
    const explanation = explainRelayed(this.deps.own.facts(), peer);
    this.deps.state.explanation = explanation;
    if (!this.coordinator || this.timer !== undefined || this.punching) return;
    this.schedule(0);
  }

  private canPunch(): boolean {
    const peer = this.deps.state.peer;
    const chance = this.deps.state.explanation?.chance;
    return (
      !this.ended &&
      !this.deps.directUp() &&
      peer !== undefined &&
      punchTargets(peer.hosts).length > 0 &&
      this.deps.own.publicHosts().length > 0 &&
      (chance === 'simultaneous-open' || chance === 'unknown') &&
      this.deps.state.gaveUp === undefined
    );
  }

  /** A step that threw past its own handling (a bug): said in the log; the path stays relayed. */
  private readonly failed = (err: unknown): void =>
    this.deps.log.info({}, `a simultaneous open failed: ${errorMessage(err)}`);

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      background(this.offer(), this.failed);
    }, ms);
  }

  /**
   * Gives the round up and sets when the next one starts on its own: `wait` ms from now, or the
   * backoff for the rounds given up so far. When it comes and the owner did not use the pair during
   * it, it waits again (usedDuringWait).
   */
  private giveUp(why: string, waitMs?: number): void {
    const state = this.deps.state;
    state.gaveUp = why;
    const wait = Math.max(
      waitMs ?? retryAfterGiveUpMs(state.roundsGivenUp ?? 1),
      this.deps.budgetWaitMs?.() ?? 0,
    );
    state.nextTryAt = this.timers.now() + wait;
    this.clearTimer();
    const usesBefore = this.uses();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (!usedDuringWait(usesBefore, this.uses())) return this.giveUp(why, wait);
      this.startRound();
    }, wait);
  }

  /** Given up until the peer's budget allows an open again. */
  private budgetSpent(): void {
    const wait = this.deps.budgetWaitMs?.() ?? PUNCH_BUDGET_WINDOW_MS;
    this.giveUp(
      `${MAX_PUNCHES_PER_PEER} simultaneous opens with this peer in ${PUNCH_BUDGET_WINDOW_MS / 60_000} min (the most it may cost)`,
      Math.max(1_000, wait),
    );
    this.deps.changed();
  }

  private waitFor(t: 'connect' | 'sync'): Promise<TraverseMessage> {
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        if (this.waiting?.t === t) this.waiting = undefined;
        reject(new Error(`no ${t} from the peer within ${PUNCH_ANSWER_TIMEOUT_MS} ms`));
      }, PUNCH_ANSWER_TIMEOUT_MS);
      this.waiting = {
        t,
        resolve: (m) => {
          this.timers.clearTimeout(timer);
          resolve(m);
        },
      };
    });
  }

  /** The coordinator's punch: offer, measure the RTT by the answer, sync, connect half an RTT later. */
  private async offer(): Promise<void> {
    if (!this.canPunch()) return;
    const state = this.deps.state;
    if (!this.deps.mayPunch()) return this.budgetSpent();
    this.punching = true;
    state.punchAttempts++;
    state.roundAttempts = (state.roundAttempts ?? 0) + 1;
    try {
      const port = await freePort();
      const sent = this.timers.now();
      const answered = this.waitFor('connect');
      this.send({ t: 'connect', port });
      const answer = await answered;
      if (answer.t !== 'connect') return;
      const rtt = this.timers.now() - sent;
      this.send({ t: 'sync' });
      await new Promise((r) =>
        this.timers.setTimeout(() => r(undefined), Math.max(MIN_HALF_RTT_MS, rtt / 2)),
      );
      await this.connect(port, answer.port);
      state.punchError = undefined;
    } catch (err) {
      state.punchError = errorMessage(err);
      this.deps.log.info(
        { peer: this.deps.peerId.slice(0, 8) },
        `simultaneous open failed: ${state.punchError}`,
      );
      const rounds = state.roundsGivenUp ?? 0;
      if (this.ended) return;
      if ((state.roundAttempts ?? 0) >= roundAttempts(rounds, MAX_PUNCH_ATTEMPTS)) {
        state.roundsGivenUp = rounds + 1;
        this.giveUp(`${state.punchAttempts} simultaneous opens failed (last: ${state.punchError})`);
      } else {
        this.schedule(backoffDelayMs((state.roundAttempts ?? 1) - 1));
      }
      this.deps.changed();
    } finally {
      this.punching = false;
    }
  }

  /** The answerer's side: a port of its own, then connects the moment `sync` arrives. */
  private async answer(peerPort: number): Promise<void> {
    if (this.punching || this.answers >= MAX_PUNCH_ANSWERS || this.deps.directUp()) return;
    // Nothing to aim at (a peer that named only addresses no open may target), or its budget is spent.
    if (punchTargets(this.deps.state.peer?.hosts ?? []).length === 0 || !this.deps.mayPunch()) return;
    this.answers++;
    this.punching = true;
    try {
      const port = await freePort();
      const synced = this.waitFor('sync');
      this.send({ t: 'connect', port });
      await synced;
      await this.connect(port, peerPort);
    } catch (err) {
      this.deps.state.punchError = errorMessage(err);
      this.deps.changed();
    } finally {
      this.punching = false;
    }
  }

  private async connect(localPort: number, peerPort: number): Promise<void> {
    const hosts = punchTargets(this.deps.state.peer?.hosts ?? []);
    const socket = await simultaneousOpen({
      localPort,
      candidates: hosts.map((host) => ({ host, port: peerPort })),
      startAt: Date.now(),
      withinMs: PUNCH_WINDOW_MS,
    });
    if (this.ended || this.deps.directUp()) {
      socket.destroy();
      return;
    }
    const link = await securePunchedSocket(socket, {
      identity: this.deps.identity,
      selfId: this.deps.identity.fingerprint,
      peerId: this.deps.peerId,
    });
    this.deps.log.info(
      { peer: this.deps.peerId.slice(0, 8), remote: link.remote },
      'simultaneous open made a direct link',
    );
    this.deps.attach(link);
  }
}
