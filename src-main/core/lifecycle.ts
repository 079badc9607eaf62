/**
 * Start and stop as one ordered list (docs/architecture.md §Composition, ADR 0048): the parts start in
 * the list's order and stop in reverse, as VS Code's registered disposables do. A composition root
 * writes its order once, as data, instead of a start, a stop and a failed-start clean-up by hand.
 *
 * - A start that throws stops what had started, in reverse, and the start rejects with that error.
 * - A stop that throws does not keep the parts before it from stopping; `stop()` rejects afterwards.
 * - `stop()` twice is one stop (the same promise); a stop asked for during the start waits for it.
 */
import { ClawError } from './errors.js';

/** One entry of the list. Both steps are optional; `name` says which one failed. */
export interface LifecyclePart {
  readonly name: string;
  /**
   * Starts the part. One that throws leaves nothing of its own running: only the parts before it are
   * stopped. Absent: the part runs from its construction and has only a stop.
   */
  start?(): void | Promise<void>;
  /** Stops the part; called once, and only once its start (if any) succeeded. */
  stop?(): void | Promise<void>;
}

export type LifecycleState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface Lifecycle {
  /** Starts every part in order; once only (a second call returns the first one's promise). */
  start(): Promise<void>;
  /** Stops what started, in reverse order; once only. */
  stop(): Promise<void>;
  readonly state: LifecycleState;
}

export interface LifecycleOptions {
  /**
   * A part's stop threw while a failed start was undone (the start's own error is what the start
   * rejects with); unreported when absent.
   */
  onUndoError?(part: string, err: unknown): void;
}

/** Runs `parts` as one lifecycle. The list is read when `start` runs, and not changed after. */
export function lifecycle(parts: readonly LifecyclePart[], opts: LifecycleOptions = {}): Lifecycle {
  let state: LifecycleState = 'idle';
  /** The parts whose start succeeded (or that have none), in start order. */
  const started: LifecyclePart[] = [];
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  /** Stops every started part, last first; returns what threw, by part. */
  const stopStarted = async (): Promise<{ part: string; err: unknown }[]> => {
    const failed: { part: string; err: unknown }[] = [];
    for (const part of started.splice(0).reverse()) {
      try {
        await part.stop?.();
      } catch (err) {
        failed.push({ part: part.name, err });
      }
    }
    return failed;
  };

  const run = async (): Promise<void> => {
    state = 'starting';
    for (const part of [...parts]) {
      try {
        await part.start?.();
      } catch (err) {
        for (const f of await stopStarted()) opts.onUndoError?.(f.part, f.err);
        state = 'stopped';
        throw err;
      }
      started.push(part);
    }
    state = 'running';
  };

  const halt = async (): Promise<void> => {
    // A start under way finishes (or fails and undoes itself) first: then exactly what started stops.
    await starting?.catch(() => undefined);
    state = 'stopping';
    const failed = await stopStarted();
    state = 'stopped';
    if (failed.length === 1) throw failed[0]!.err;
    if (failed.length > 1) {
      throw new AggregateError(
        failed.map((f) => f.err),
        `stopping ${failed.map((f) => f.part).join(', ')} failed`,
      );
    }
  };

  return {
    start: () => {
      if (stopping && !starting) {
        return Promise.reject(new ClawError('INTERNAL', 'this lifecycle was stopped before it started'));
      }
      return (starting ??= run());
    },
    stop: () => (stopping ??= halt()),
    get state() {
      return state;
    },
  };
}
