/**
 * Work that is started and not awaited (a served exchange, a timer's run, a close on the way out):
 * its rejection goes where the caller says, never unhandled. Node ends a process on an unhandled
 * rejection, and the agent's end takes every shell and forward it serves with it: a durable write that
 * met a full disk inside a served group exchange was enough (ADR 0099). Lint refuses a promise left
 * floating, `void` included (eslint.config.js, `no-floating-promises`); this is the way to say that a
 * promise is not awaited on purpose, and what becomes of its failure.
 *
 * Pure: no logger is imported here, so every layer (the agent, the relay, the page, the window) hands
 * in its own.
 */
import { errorMessage } from './errors.js';

/** What a caller reports a failure through: pino's logger fits, and so does `console`. */
export interface FailureLog {
  warn(message: string): void;
}

/**
 * Lets `work` run on; when it rejects, `report` is called with the error. A report that throws is
 * dropped: it must not become the unhandled rejection this is here to prevent.
 */
export function background(work: Promise<unknown>, report: (err: unknown) => void): void {
  work.catch((err: unknown) => {
    try {
      report(err);
    } catch {
      // Nothing left to tell: the report itself failed.
    }
  });
}

/** A report for `background` that logs `WHAT failed: why` as a warning. */
export function logFailure(log: FailureLog, what: string): (err: unknown) => void {
  return (err) => log.warn(`${what} failed: ${errorMessage(err)}`);
}

/** `background(work, logFailure(log, what))`: the usual case, in one call. */
export function inBackground(work: Promise<unknown>, log: FailureLog, what: string): void {
  background(work, logFailure(log, what));
}
