/**
 * Whether the relay refuses new nodes as full now, counted and said in the log (docs/relay-protocol.md
 * §Capacity): at once when it becomes full (or full for another reason), then at most every
 * FULL_LOG_EVERY_MS with the count refused meanwhile, and once when it has room again. What counts as
 * full is capacity.ts's to measure.
 */
import type { Logger } from 'pino';
import { RelayCloseCode } from '../protocol/relay-close-codes.js';
import type { FullReason, RelayCapacity } from './capacity.js';
import type { RelayMetrics } from './metrics.js';

/** While the relay stays full, how often its log repeats so, with the count refused meanwhile, in ms. */
export const FULL_LOG_EVERY_MS = 60_000;

export class RelayFullLog {
  /** Set while refusing new nodes as full: why, since when the log last said so, and how many since. */
  private full: { reason: FullReason; loggedAt: number; refused: number } | undefined;

  constructor(
    private readonly metrics: Pick<RelayMetrics, 'refusedFull' | 'full'>,
    private readonly log: Logger,
    private readonly capacity: Pick<RelayCapacity, 'describe' | 'refusal' | 'canAccept'>,
    /** Nodes connected now, for the log line. */
    private readonly nodes: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get isFull(): boolean {
    return this.full !== undefined;
  }

  /** A node refused as full for `reason`. */
  refused(reason: FullReason): void {
    this.metrics.refusedFull.inc({ reason });
    this.metrics.full.set(1);
    const now = this.now();
    if (this.full?.reason === reason && now - this.full.loggedAt < FULL_LOG_EVERY_MS) {
      this.full.refused += 1;
      return;
    }
    const before = this.full?.refused ?? 0;
    this.full = { reason, loggedAt: now, refused: 0 };
    this.log.warn(
      { reason, nodes: this.nodes(), refusedSinceLastLine: before },
      `relay full: refusing new nodes with close ${RelayCloseCode.RELAY_FULL} (${reason}: ${this.capacity.describe(reason)}); the nodes connected are still served`,
    );
  }

  /** A node was taken: if the relay was full, it says it has room again. */
  taken(): void {
    if (this.full) this.roomAgain();
  }

  /** At each sweep tick: a full relay that has room again says so. */
  check(): void {
    if (this.full && this.capacity.refusal() === undefined && this.capacity.canAccept()) this.roomAgain();
  }

  private roomAgain(): void {
    this.log.warn(
      { nodes: this.nodes(), refusedSinceLastLine: this.full?.refused ?? 0 },
      'relay has room again: taking new nodes',
    );
    this.full = undefined;
    this.metrics.full.set(0);
  }
}
