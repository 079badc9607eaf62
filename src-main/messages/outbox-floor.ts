/**
 * The outbox's early-send floor (ADR 0066): the highest message ID a durable floor record vouches
 * for, and the floor record on its way to disk. A message whose ID is at or below the durable floor
 * may go on a link before its own record is durable: were the record lost, no later message could
 * reuse its ID or sort below it, so the receiver's mark never takes a new message for a repeat.
 */
import { uuidV7Time } from '../core/uuid-v7.js';
import { encodeOutboxRecord } from './box-records.js';

/**
 * How far past the clock a floor record vouches for IDs, in ms (1 s): the first message after a quiet
 * second waits for its own record before it goes on a link, and writes a floor (in the same batch) that
 * lets every message of the next second go while its record is being written (ADR 0066). After a
 * restart IDs continue above the floor, so their time may run up to this far ahead until the clock
 * catches up.
 */
export const EARLY_SEND_LEASE_MS = 1_000;

export class EarlySendFloor {
  /** The highest ID a durable floor record vouches for ('' none: after a restart every new ID sorts above it). */
  durable = '';
  /** The floor of the latest floor record written, durable or not yet. */
  writing = '';

  constructor(private readonly now: () => number) {}

  /** A floor record read back from the log. */
  replayed(id: string): void {
    if (id > this.durable) this.durable = id;
  }

  /**
   * A floor record EARLY_SEND_LEASE_MS past the clock (or past `lastId`'s time, if the IDs run ahead
   * of it), to go in the same batch as the entries it follows: once durable, the next second's
   * messages may go on a link while their records are written.
   */
  record(lastId: string): { payload: Uint8Array; done: (p: Promise<number>) => void } {
    const id = lastIdOfMs(Math.max(this.now(), uuidV7Time(lastId)) + EARLY_SEND_LEASE_MS);
    this.writing = id;
    return {
      payload: encodeOutboxRecord({ kind: 'floor', meta: { id } }).payload,
      done: (appended) =>
        void appended.then(
          () => {
            if (id > this.durable) this.durable = id;
          },
          () => undefined, // the log is broken: every later append fails too, and nothing goes early
        ),
    };
  }
}

/** The last UUIDv7 of millisecond `ms` (every random bit set): the floor that covers all of it. */
function lastIdOfMs(ms: number): string {
  const t = Math.floor(ms).toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7fff-bfff-ffffffffffff`;
}
