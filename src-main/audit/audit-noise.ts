/**
 * Refusals are what anyone can make a node write (docs/security.md §Audit log): a peer allowed nothing
 * can open 100,000 streams to a service that does not exist in seconds, a stranger on a relay can try
 * to pair over and over. Written one line each, they filled the log and its rotations and pushed out
 * every terminal session before them. So refusals are kept apart and in check:
 *
 * - they go to their own file (`audit-refusals.log`, audit-files.ts), rotated on its own, so no number
 *   of them evicts a terminal, a connection, a permission change, an approval or a peer change;
 * - per peer (or, for a node with no identity yet, per source address) the first
 *   REFUSALS_PER_SOURCE_PER_MINUTE a minute are written in full, and the rest as one line with their
 *   `count` once the minute is over;
 * - over all peers and sources at most REFUSALS_PER_MINUTE lines a minute (fresh identities cost an
 *   attacker nothing), the rest again counted in one line.
 *
 * Every refusal is accounted for: the `count`s of a peer's lines add up to its refusals.
 */
import { BurstGate, OVERFLOW_KEY } from '../core/burst-gate.js';
import type { AuditInput } from './audit-events.js';

/** Refusals of one peer or source written in full per minute; the rest are counted. */
export const REFUSALS_PER_SOURCE_PER_MINUTE = 20;
/** Refusal lines written per minute over all peers and sources (the counting lines included). */
export const REFUSALS_PER_MINUTE = 200;
/** The window both limits count in, in ms. */
export const REFUSAL_WINDOW_MS = 60_000;

/** An event that is a refusal: written to the refusals file, subject to the limits above. */
export type NoiseEvent = Extract<
  AuditInput,
  { kind: 'refused' } | { kind: 'pairing' } | { kind: 'listener' }
>;

/**
 * Whether `event` is a refusal a peer or a stranger can provoke as often as it likes (as opposed to
 * something that happened here): a refused stream or link, a refused pairing attempt, a reverse
 * listener refused (a peer allowed `listen` asking for an address it may not have).
 */
export function isNoise(event: AuditInput): event is NoiseEvent {
  if (event.kind === 'refused') return true;
  if (event.kind === 'pairing') return event.step === 'refused';
  return event.kind === 'listener' && event.outcome === 'refused';
}

/**
 * Who a refusal is counted against: the peer (its fingerprint), or for a node not known here the
 * address it came from — a relay's URL (anyone on it), or a LAN host without its port.
 */
export function noiseSource(event: NoiseEvent): string {
  if (event.peer) return `${event.kind} ${event.peer.fingerprint}`;
  const address = event.address ?? '?';
  const host = /^[a-z]+:\/\//i.test(address) ? address : address.replace(/:\d+$/, '');
  return `${event.kind} ${host}`;
}

export interface RefusalLimiterOptions {
  /** Where refusals that pass go, and the lines that count the rest. */
  write(event: AuditInput): void;
  perSourcePerMinute?: number;
  perMinute?: number;
  windowMs?: number;
  now?: () => number;
}

/** The limits above, in front of the refusals file. */
export class RefusalLimiter {
  private readonly perSource: BurstGate<NoiseEvent>;
  private readonly overall: BurstGate<NoiseEvent>;
  private readonly perSourceLimit: number;
  private readonly overallLimit: number;

  constructor(private readonly opts: RefusalLimiterOptions) {
    const windowMs = opts.windowMs ?? REFUSAL_WINDOW_MS;
    this.perSourceLimit = opts.perSourcePerMinute ?? REFUSALS_PER_SOURCE_PER_MINUTE;
    this.overallLimit = opts.perMinute ?? REFUSALS_PER_MINUTE;
    const now = opts.now ?? Date.now;
    this.perSource = new BurstGate<NoiseEvent>({
      perWindow: this.perSourceLimit,
      windowMs,
      now,
      onHeld: (key, count, last) =>
        this.pass(
          key === OVERFLOW_KEY
            ? overallSummary(last, count, this.overallLimit)
            : sourceSummary(last, count, this.perSourceLimit),
          count,
        ),
    });
    this.overall = new BurstGate<NoiseEvent>({
      perWindow: this.overallLimit,
      windowMs,
      now,
      onHeld: (_key, count, last) => opts.write(overallSummary(last, count, this.overallLimit)),
    });
  }

  /** Writes `event`, or counts it towards a later line. */
  record(event: NoiseEvent): void {
    if (!this.perSource.admit(noiseSource(event), event)) return;
    this.pass(event, 1);
  }

  /** Writes every count held back now (the log is closing). */
  flush(): void {
    this.perSource.flush();
    this.overall.flush();
  }

  /** Through the overall limit: `event` stands for `weight` refusals. */
  private pass(event: NoiseEvent, weight: number): void {
    if (this.overall.admit(event.kind, event, weight)) this.opts.write(event);
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The line for `count` refusals of one peer or source held back in a minute: like the last of them. */
function sourceSummary(last: NoiseEvent, count: number, limit: number): NoiseEvent {
  const { time: _time, ...rest } = last;
  const what =
    last.kind === 'pairing'
      ? `${plural(count, 'more pairing attempt', 'more pairing attempts')} refused from here in a minute`
      : last.kind === 'listener'
        ? `${plural(count, 'more listener', 'more listeners')} refused to this peer in a minute`
        : `${plural(count, 'more refusal', 'more refusals')} of this peer in a minute`;
  return { ...rest, what: `${what} (the first ${limit} a minute are written one by one)`, count };
}

/** The line for `count` refusals over the overall limit, of any peer or source. */
function overallSummary(last: NoiseEvent, count: number, limit: number): NoiseEvent {
  const what = `${plural(count, 'more refusal', 'more refusals')} of several peers or sources in a minute (at most ${limit} lines a minute are written)`;
  if (last.kind === 'pairing') {
    return { kind: 'pairing', role: last.role, step: last.step, what, outcome: 'refused', count };
  }
  if (last.kind === 'listener')
    return { kind: 'listener', phase: last.phase, what, outcome: 'refused', count };
  return { kind: 'refused', service: last.service, what, outcome: 'refused', count };
}
