/**
 * The engine every per-peer exchange of signed records runs on (docs/adr/0117-one-exchange-engine.md):
 * "my devices"' introductions (pairing/introductions.ts) and the groups' exchange
 * (groups/group-exchange-service.ts). Each opens one stream to a peer whenever the peer has a new
 * link or something new to hear, sends its records, reads the other side's, and tries again later when
 * that failed; each also answers the same stream opened the other way, at a bounded rate. What differs
 * is what they send and keep; the machinery is this one:
 *
 * - a peer's state is one value of `PeerExchangeState`: `idle`, `running` (one exchange at a time), or
 *   `retrying` (a timer set; nothing starts before it fires), with what every state keeps beside it
 *   (the link its last exchange went over, whether it has news to hear, the back-off it is on, the
 *   times it started exchanges here);
 * - `check()` starts an exchange with each peer the caller wants one with, that has a link, is idle,
 *   and has a new link or news; `markDirty` says who has news, `heard` that the peer's own exchange
 *   just told both sides everything;
 * - what an exchange returns says what comes next: done, wait for a change, retry after a fixed wait,
 *   or back off (doubling up to a cap while it keeps being refused);
 * - a sweep looks the peers over every `sweepMs` while the caller says it is worth it (`sweepWhile`),
 *   and wakes nothing otherwise;
 * - the rate a peer may start exchanges here (`admit`, `recent`, `note`) is kept in its state too;
 * - `openWithin` bounds an open with ClawError('TIMEOUT') and closes a stream that opens too late.
 *
 * Timers are injected, so a fake clock drives it (test/unit/services/peer-exchanges.test.ts).
 */
import type { Duplex } from 'node:stream';
import { inBackground, type FailureLog } from '../core/background.js';
import { ClawError } from '../core/errors.js';

/** The timers the engine uses (tests pass a fake clock; the real ones are unref'd). */
export interface ExchangeTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realExchangeTimers: ExchangeTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A rate window's length, in ms: the limits on exchanges a peer starts are per minute. */
export const MINUTE_MS = 60_000;
/** The window `admit` counts a peer's exchanges in. */
const STARTED = 'started';

/** What a peer's state keeps whatever it is doing. */
interface Kept {
  /** The link its last exchange (either way) went over: a new link exchanges again. */
  readonly lastLink: object | undefined;
  /** It has something new to hear since its last exchange. */
  readonly dirty: boolean;
  /** The wait its next back-off would take, in ms, while refusals come in a row. */
  readonly backoffMs: number | undefined;
  /** Times (ms) of what it did here, by window (`started`, or the caller's own), newest last. */
  readonly windows: Readonly<Record<string, readonly number[]>>;
}

/** One peer's exchange: idle, one running, or a retry waiting for its timer. */
export type PeerExchangeState =
  | (Kept & { readonly kind: 'idle' })
  | (Kept & { readonly kind: 'running' })
  | (Kept & { readonly kind: 'retrying'; readonly timer: unknown; readonly dueAt: number });

/** What comes after one exchange this node opened. */
export type ExchangeNext =
  /** Both sides heard each other: idle until a new link or news; a back-off starts over. */
  | { readonly then: 'done' }
  /** Nothing to do until a new link or news (the peer serves no exchange). */
  | { readonly then: 'wait' }
  /** Try again after `afterMs` (a link that went away, a refused answer). */
  | { readonly then: 'retry'; readonly afterMs: number }
  /** Try again after a wait that doubles from `firstMs` up to `maxMs` while this repeats. */
  | { readonly then: 'back-off'; readonly firstMs: number; readonly maxMs: number };

/** What the engine needs from the exchange it runs. */
export interface PeerExchangeSpec<P extends { readonly fingerprint: string }> {
  /** What the exchange is called in a log line (`introductions`, `group exchange`). */
  readonly what: string;
  /** How often the peers are looked over while `sweepWhile(true)`, in ms. */
  readonly sweepMs: number;
  readonly log: FailureLog;
  /** The peers an exchange may go to now. */
  peers(): Iterable<P>;
  /** The link an exchange with `peer` would go over now, if any (compared by identity). */
  linkOf(peer: P): object | undefined;
  /** The peer's name, for a log line. */
  nameOf(peer: P): string;
  /** Whether to exchange with `peer` at all now; a peer not wanted has its news dropped. */
  wants(peer: P): boolean;
  /** One exchange opened here, to its end: what comes next. A throw goes to `failed`. */
  exchange(peer: P): Promise<ExchangeNext>;
  /** What comes after an exchange that threw (`err`), said in the log by the caller. */
  failed(peer: P, err: unknown): ExchangeNext;
}

const fresh = (): PeerExchangeState => ({
  kind: 'idle',
  lastLink: undefined,
  dirty: false,
  backoffMs: undefined,
  windows: {},
});

export class PeerExchanges<P extends { readonly fingerprint: string }> {
  /** Each peer's one state, by fingerprint. */
  private readonly states = new Map<string, PeerExchangeState>();
  private sweepTimer: unknown;
  private stopped = false;

  constructor(
    private readonly spec: PeerExchangeSpec<P>,
    private readonly timers: ExchangeTimers = realExchangeTimers,
  ) {}

  /** `fp`'s state (idle with nothing kept when it has none). */
  stateOf(fp: string): PeerExchangeState {
    return this.states.get(fp) ?? fresh();
  }

  /** Ends every timer; nothing starts after. */
  stop(): void {
    this.stopped = true;
    this.sweepWhile(false);
    for (const [fp, s] of this.states)
      if (s.kind === 'retrying') {
        this.timers.clearTimeout(s.timer);
        this.states.set(fp, { ...keptOf(s), kind: 'idle' });
      }
  }

  /** Looks the peers over every `sweepMs` while `on`, and not at all otherwise. */
  sweepWhile(on: boolean): void {
    const want = on && !this.stopped;
    if (want && this.sweepTimer === undefined) this.armSweep();
    if (!want && this.sweepTimer !== undefined) {
      this.timers.clearTimeout(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private armSweep(): void {
    this.sweepTimer = this.timers.setTimeout(() => {
      this.sweepTimer = undefined;
      this.armSweep();
      this.check();
    }, this.spec.sweepMs);
  }

  /** These peers have news to hear: each exchanges at its next chance (checked in a microtask). */
  markDirty(fingerprints: Iterable<string>): void {
    for (const fp of fingerprints) this.update(fp, (s) => ({ ...s, dirty: true }));
    queueMicrotask(() => this.check());
  }

  /**
   * `fp`'s own exchange just went both ways over `link` (this node answered it): nothing is left to
   * hear on this link, a retry waiting for it is not needed, and a back-off starts over.
   */
  heard(fp: string, link: object | undefined): void {
    const s = this.stateOf(fp);
    const kept: Kept = { ...keptOf(s), lastLink: link ?? s.lastLink, dirty: false, backoffMs: undefined };
    if (s.kind === 'retrying') this.timers.clearTimeout(s.timer);
    this.states.set(fp, s.kind === 'running' ? { ...kept, kind: 'running' } : { ...kept, kind: 'idle' });
  }

  /** `fp` is no peer any more: its next link, if it comes back, exchanges as a new one. */
  forget(fp: string): void {
    const s = this.states.get(fp);
    if (s?.kind === 'retrying') this.timers.clearTimeout(s.timer);
    if (s?.kind === 'running') this.states.set(fp, { ...s, lastLink: undefined });
    else this.states.delete(fp);
  }

  /** Starts an exchange with every wanted peer that is idle, linked, and has a new link or news. */
  check(): void {
    if (this.stopped) return;
    for (const peer of this.spec.peers()) {
      const fp = peer.fingerprint;
      const link = this.spec.linkOf(peer);
      const s = this.stateOf(fp);
      if (!link || s.kind !== 'idle') continue;
      if (s.lastLink === link && !s.dirty) continue;
      if (!this.spec.wants(peer)) {
        if (s.dirty) this.update(fp, (k) => ({ ...k, dirty: false }));
        continue;
      }
      // run() catches what the exchange meets; a throw past that (a bug) is logged, not the agent's end.
      inBackground(this.run(peer, link), this.spec.log, `${this.spec.what} with ${this.spec.nameOf(peer)}`);
    }
  }

  private async run(peer: P, link: object): Promise<void> {
    const fp = peer.fingerprint;
    this.states.set(fp, { ...keptOf(this.stateOf(fp)), kind: 'running', dirty: false, lastLink: link });
    let next: ExchangeNext;
    try {
      next = await this.spec.exchange(peer);
    } catch (err) {
      next = this.stopped ? { then: 'wait' } : this.spec.failed(peer, err);
    }
    const kept = keptOf(this.stateOf(fp));
    if (this.stopped || next.then === 'wait') this.states.set(fp, { ...kept, kind: 'idle' });
    else if (next.then === 'done') this.states.set(fp, { ...kept, kind: 'idle', backoffMs: undefined });
    else if (next.then === 'retry') this.retryAfter(fp, kept, next.afterMs, kept.backoffMs);
    else {
      const wait = kept.backoffMs ?? next.firstMs;
      this.retryAfter(fp, kept, wait, Math.min(wait * 2, next.maxMs));
    }
    if (this.stateOf(fp).kind === 'idle' && this.stateOf(fp).dirty) this.check();
  }

  /** Waits `ms` before `fp` may exchange again, with news to hear then. */
  private retryAfter(fp: string, kept: Kept, ms: number, backoffMs: number | undefined): void {
    const timer = this.timers.setTimeout(() => {
      const s = this.states.get(fp);
      if (s?.kind !== 'retrying' || s.timer !== timer) return;
      this.states.set(fp, { ...keptOf(s), kind: 'idle' });
      this.check();
    }, ms);
    this.states.set(fp, {
      ...kept,
      kind: 'retrying',
      dirty: true,
      backoffMs,
      timer,
      dueAt: this.timers.now() + ms,
    });
  }

  /**
   * Counts one exchange `fp` starts here, or refuses it (false): at most `perMinute` in any minute.
   */
  admit(fp: string, perMinute: number): boolean {
    if (this.recent(fp, STARTED, MINUTE_MS) >= perMinute) return false;
    this.note(fp, STARTED, MINUTE_MS);
    return true;
  }

  /** How many times `fp` was noted in `window` within the last `withinMs`. */
  recent(fp: string, window: string, withinMs: number): number {
    const now = this.timers.now();
    return (this.states.get(fp)?.windows[window] ?? []).filter((t) => now - t < withinMs).length;
  }

  /** Notes `count` events of `fp` in `window` now, forgetting those older than `withinMs`. */
  note(fp: string, window: string, withinMs: number, count = 1): void {
    const now = this.timers.now();
    this.update(fp, (s) => {
      const kept = (s.windows[window] ?? []).filter((t) => now - t < withinMs);
      return { ...s, windows: { ...s.windows, [window]: [...kept, ...Array<number>(count).fill(now)] } };
    });
  }

  /** Changes what `fp`'s state keeps, whatever it is doing. */
  private update(fp: string, change: (s: PeerExchangeState) => PeerExchangeState): void {
    this.states.set(fp, change(this.stateOf(fp)));
  }
}

/** What a state keeps, without what its kind adds. */
function keptOf(s: PeerExchangeState): Kept {
  return { lastLink: s.lastLink, dirty: s.dirty, backoffMs: s.backoffMs, windows: s.windows };
}

/**
 * `open`, or a ClawError('TIMEOUT') after `ms`; a stream that opens after that is closed at once.
 * @param timers the engine's (a fake clock in tests)
 */
export function openWithin<T extends { stream: Duplex }>(
  open: Promise<T>,
  ms: number,
  timers: ExchangeTimers = realExchangeTimers,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = timers.setTimeout(() => {
      late = true;
      reject(new ClawError('TIMEOUT', `no answer within ${ms / 1000} s`));
    }, ms);
    open.then(
      (v) => {
        timers.clearTimeout(timer);
        if (late) v.stream.destroy();
        else resolve(v);
      },
      (err: unknown) => {
        timers.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
