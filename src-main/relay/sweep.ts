/**
 * The relay's one timer (ADR 0054, 0061; docs/design/relay-memory.md): each tick ends the connections
 * that did not authenticate within authTimeoutMs and runs the relay's other upkeep; a few times per ping
 * interval it also passes over every connection for the idle and slow-consumer deadlines and the
 * heartbeat. It only reads connections and ends them through `drop`; what a connection is, and how it
 * is torn down, is the relay's (relay.ts).
 */
import type { RelayLimits } from '../protocol/relay-limits.js';
import type { RelayCloseCodeName } from '../protocol/relay-close-codes.js';
import type { RelayConn } from './connection.js';
import type { RelayMetrics } from './metrics.js';

/** Upper bound of the sweep period (auth, idle and slow-consumer deadlines), in ms. */
export const MAX_SWEEP_MS = 1_000;
/** Heartbeat checks per pingIntervalMs: a quiet node is pinged, and a dead one cut, within this fraction of it. */
export const HEARTBEAT_TICKS = 3;
/** Silence, in ping intervals, after which the relay pings a connection (a live client pings every one). */
export const PING_AFTER_SILENT_INTERVALS = 1.2;

/** The limits the sweep enforces. */
export type SweepLimits = Pick<
  RelayLimits,
  | 'authTimeoutMs'
  | 'idleTimeoutMs'
  | 'slowConsumerTimeoutMs'
  | 'pingIntervalMs'
  | 'idlePingIntervalMs'
  | 'maxMissedPongs'
>;

/** What the sweep reads and whom it tells. */
export interface SweepParts {
  readonly limits: SweepLimits;
  /** Every connection the relay holds (the pass reads it; the relay alone adds and removes). */
  readonly conns: ReadonlySet<RelayConn>;
  readonly metrics: Pick<RelayMetrics, 'disconnects' | 'authFailures'>;
  /** Ends a connection with a close code and stops routing to it (the relay's drop). */
  drop(conn: RelayConn, code: RelayCloseCodeName): void;
  /** The relay's other upkeep, once a tick at `now` (per-IP buckets, splice deadlines, capacity, trim). */
  upkeep(now: number): void;
  /** The clock, in ms. */
  now(): number;
}

/**
 * How often the sweep ticks, and how often a tick also passes over every connection, in ms: a few
 * passes per ping interval, so 15,000 idle nodes cost one loop every 5 s, not one a second.
 */
export function sweepPeriods(l: SweepLimits): { sweepMs: number; passEveryMs: number } {
  const passMs = Math.min(
    l.pingIntervalMs / HEARTBEAT_TICKS,
    l.idleTimeoutMs / 4,
    l.slowConsumerTimeoutMs / 4,
  );
  const sweepMs = Math.max(10, Math.min(MAX_SWEEP_MS, l.authTimeoutMs / 4, passMs));
  // Less half a tick, so timer jitter does not skip a tick's worth of pass.
  return { sweepMs, passEveryMs: Math.max(sweepMs, passMs) - sweepMs / 2 };
}

export class RelaySweep {
  /** Connections that have not authenticated yet: the only ones each tick looks at. */
  private readonly authing = new Set<RelayConn>();
  private readonly periods: { sweepMs: number; passEveryMs: number };
  private lastPassAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly parts: SweepParts) {
    this.periods = sweepPeriods(parts.limits);
  }

  /** A new connection: it has authTimeoutMs from its `openedAt` to authenticate. */
  watch(conn: RelayConn): void {
    this.authing.add(conn);
  }

  /** The connection authenticated or closed: no auth deadline for it any more. */
  forget(conn: RelayConn): void {
    this.authing.delete(conn);
  }

  /** Starts the one timer (unref'd: it keeps no process alive). */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.periods.sweepMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One tick at the clock's time: what the timer runs. */
  tick(): void {
    const now = this.parts.now();
    const l = this.parts.limits;
    for (const conn of this.authing) {
      if (conn.phase === 'auth' && now - conn.openedAt >= l.authTimeoutMs) {
        this.authing.delete(conn);
        this.parts.metrics.authFailures.inc({ reason: 'auth_timeout' });
        this.parts.drop(conn, 'AUTH_TIMEOUT');
      } else if (conn.phase !== 'auth') this.authing.delete(conn);
    }
    if (now - this.lastPassAt >= this.periods.passEveryMs) {
      this.lastPassAt = now;
      this.pass(now);
    }
    this.parts.upkeep(now);
  }

  /**
   * One pass over every connection (a few times per ping interval; ADR 0054, 0061): the idle and
   * slow-consumer deadlines, and the heartbeat. A connection heard from (a frame, a ping of its own or
   * a pong) within PING_AFTER_SILENT_INTERVALS of its interval needs nothing: our clients ping every
   * pingIntervalMs while they have circuits and every idlePingIntervalMs without, so a live node is
   * never pinged by the relay. A quieter one is pinged, at most every half interval; one silent for
   * (maxMissedPongs + 1) intervals is terminated (an idle one meets idleTimeoutMs first).
   */
  private pass(now: number): void {
    const { limits: l, metrics } = this.parts;
    const busy = l.pingIntervalMs;
    const idle = l.idlePingIntervalMs;
    for (const conn of this.parts.conns) {
      if (conn.phase === 'closed') continue;
      if (conn.phase === 'ready' && conn.pausedBy === 0 && now - conn.lastActive >= l.idleTimeoutMs) {
        metrics.disconnects.inc({ reason: 'idle_timeout' });
        this.parts.drop(conn, 'IDLE_TIMEOUT');
        continue;
      }
      if (conn.pressuredSince !== 0 && now - conn.pressuredSince >= l.slowConsumerTimeoutMs) {
        metrics.disconnects.inc({ reason: 'slow_consumer' });
        this.parts.drop(conn, 'SLOW_CONSUMER');
        continue;
      }
      // A paused connection cannot read its pongs; the slow-consumer deadline bounds how long it stays paused.
      if (conn.pausedBy > 0) {
        conn.lastHeard = now;
        continue;
      }
      const interval = conn.circuitCount > 0 ? busy : idle;
      const silent = now - conn.lastHeard;
      if (silent >= (l.maxMissedPongs + 1) * interval) {
        metrics.disconnects.inc({ reason: 'heartbeat' });
        conn.ws.terminate();
      } else if (silent >= interval * PING_AFTER_SILENT_INTERVALS && now - conn.lastPinged >= interval / 2) {
        conn.lastPinged = now;
        conn.ws.ping();
      }
    }
  }
}
