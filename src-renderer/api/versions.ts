/**
 * How new each part of the store's snapshot is, so an older answer never replaces newer data. The
 * agent numbers its `status` events (`seq`, docs/api.md §Events); a read carries no number, but it is
 * answered after the agent sent every event the page had seen when it asked, so it is at least as new
 * as the last `seq` seen then, and maybe newer. On one scale: a push of `seq` is 2·seq, a read sent
 * after seeing `seq` is 2·seq + 1. So a read beats the push it saw and loses to any later one (which
 * may have been built after the read was answered), and a later push beats it. Between two reads on
 * the same step, the one sent later wins, wherever it lands: the agent answers reads in the order they
 * came. No React, no DOM.
 */

/** The parts of the snapshot that are read or pushed on their own. */
export type Part = 'status' | 'pending' | 'forwards' | 'proxies' | 'settings';

/** What a read must show when its answer comes: see Versions.ticket. */
export interface Ticket {
  readonly generation: number;
  readonly version: number;
  /** Reads sent before this one, since the page opened. */
  readonly order: number;
}

interface Held {
  version: number;
  order: number;
}

/** A part pushed by an agent that numbers nothing (an older release): it replaces whatever is held. */
export const UNNUMBERED = -1;

export class Versions {
  /** The highest `seq` seen in an event since the last reset. */
  private seen = 0;
  /** Bumped by a reset: answers to reads sent before it are dropped. */
  private generation = 0;
  private sent = 0;
  private readonly held = new Map<Part, Held>();

  /** An event with `seq` arrived. A lower one than before is a restarted agent: it counts from 1 again. */
  saw(seq: number): void {
    if (seq < this.seen) this.reset();
    this.seen = seq;
  }

  /** Forgets everything (a new connection, a new agent): reads already sent no longer count. */
  reset(): void {
    this.generation++;
    this.seen = 0;
    this.held.clear();
  }

  /** Taken just before a read is sent. */
  ticket(): Ticket {
    return { generation: this.generation, version: 2 * this.seen + 1, order: this.sent++ };
  }

  /**
   * Whether a push of `seq` may replace `part`; records it when it may. Call `saw(seq)` first.
   * `UNNUMBERED` always may, and lets any read replace it afterwards.
   */
  acceptPush(part: Part, seq: number): boolean {
    if (seq !== UNNUMBERED) return this.accept(part, { version: 2 * seq, order: this.sent });
    this.held.set(part, { version: UNNUMBERED, order: -1 });
    return true;
  }

  /** Whether a read answer may replace `part`; records it when it may. */
  acceptRead(part: Part, ticket: Ticket): boolean {
    return ticket.generation === this.generation && this.accept(part, ticket);
  }

  private accept(part: Part, next: Held): boolean {
    const now = this.held.get(part);
    if (now && (next.version < now.version || (next.version === now.version && next.order < now.order)))
      return false;
    this.held.set(part, { version: next.version, order: next.order });
    return true;
  }
}
