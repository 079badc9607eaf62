/**
 * One forward or proxy as it runs (local-forwards.ts): which state its listener is in, as one
 * discriminated union, and its counters. Its saved record is node state, read by name when needed, so
 * the run holds no copy that could drift from the settings.
 */
import type { ForwardInfo, ForwardState, ProxyInfo } from './forwards-contract.js';
import type { TcpListener } from './listener.js';
import type { RetrySchedule } from './retry-schedule.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import { isoTime } from '../core/iso-time.js';

/**
 * - `off`: switched off by the user (saved with `enabled: false`), port free;
 * - `listening`: bound, accepting connections;
 * - `retrying`: its port is taken; `retry` binds it again on the backoff schedule;
 * - `failed`: it could not listen for another reason (a bad address), until switched off and on.
 */
export type RunState =
  | { state: 'off' }
  | {
      state: 'listening';
      /** A UDP listener also says what the kernel dropped at its socket (udp-forward.ts). */
      listener: Pick<TcpListener, 'address' | 'close'> & { takeKernelDrops?(): number };
    }
  | { state: 'retrying'; error: string; retry: RetrySchedule }
  | { state: 'failed'; error: string };

export interface Counters {
  connections: number;
  bytesIn: number;
  bytesOut: number;
  /** Connections open now. */
  open: number;
  /** UDP forwards: whole datagrams each way, and those dropped (queue full, too large, too many flows). */
  datagramsIn: number;
  datagramsOut: number;
  dropped: number;
  /** Of `dropped`, those the kernel dropped at the listener's socket (its receive buffer was full). */
  kernelDropped: number;
}

export interface Run {
  /** The saved forward's name (set once more by add() when a port-0 listener is named after its port). */
  name: string;
  now: RunState;
  readonly counters: Counters;
  /**
   * Why the last connection failed or was cut, and when (ms), until a later one opens: a TCP forward's
   * client sees only a closed connection, so the forward's listing keeps saying why.
   */
  problem?: { message: string; at: number };
}

/** Counters of a listener that has carried nothing yet. */
export function zeroCounters(): Counters {
  return {
    connections: 0,
    bytesIn: 0,
    bytesOut: 0,
    open: 0,
    datagramsIn: 0,
    datagramsOut: 0,
    dropped: 0,
    kernelDropped: 0,
  };
}

export function newRun(name: string, now: RunState): Run {
  return { name, now, counters: zeroCounters() };
}

/** Cancels a retry the run has; the run's state is left to the caller. */
export function cancelRetry(run: Run): void {
  if (run.now.state === 'retrying') run.now.retry.cancel();
}

/** The API's name for a run's state: `retrying` and `failed` are both `error` (with why). */
export function apiState(now: RunState): ForwardState {
  return now.state === 'retrying' || now.state === 'failed' ? 'error' : now.state;
}

/** The address clients connect to: the bound one while listening, else the saved one. */
export function localAddress(run: Run, record: ForwardRecord): string {
  return run.now.state === 'listening' ? run.now.listener.address : record.listen;
}

/** What `forward list` and `proxy list` show of a run besides its names and addresses. */
export function runStatus(
  run: Run,
): Pick<
  ForwardInfo & ProxyInfo,
  'state' | 'open' | 'connections' | 'bytesIn' | 'bytesOut' | 'error' | 'retryAt' | 'lastProblem'
> {
  const { open, connections, bytesIn, bytesOut } = run.counters;
  const { now } = run;
  const retryAt = now.state === 'retrying' ? now.retry.retryAt : undefined;
  return {
    state: apiState(now),
    open,
    connections,
    bytesIn,
    bytesOut,
    ...(now.state === 'retrying' || now.state === 'failed' ? { error: now.error } : {}),
    ...(retryAt !== undefined ? { retryAt: isoTime(retryAt) } : {}),
    // Only while it listens: switched off or unable to listen, its state says more.
    ...(run.problem && now.state === 'listening'
      ? { lastProblem: { message: run.problem.message, at: isoTime(run.problem.at) } }
      : {}),
  };
}
