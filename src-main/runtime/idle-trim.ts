/**
 * Gives memory back once a process goes quiet (docs/design/compiler-and-gc-tiers.md §The idle trim;
 * ADR 0053). Without incremental marking (ADR 0007) V8's memory reducer never runs — it works by
 * incremental marking — so what a busy minute grew would stay committed for good: the young generation
 * at its largest (16 MiB a semispace, two of them, where an idle agent needs 1 MiB), old-space pages
 * freed but kept, and the free lists of the Buffer pools (transport/frame-buffers.ts: up to 10 MiB of
 * slabs and batches).
 *
 * "Quiet" is read from the collections themselves: a process that allocates collects, so one with no
 * collection for IDLE_TRIM_AFTER_MS allocates little; the timer that checks is refreshed by each batch
 * of collections and is unref'd, so an idle process that allocates nothing is woken once, not every
 * few seconds. The trim then empties the pools that asked (releaseWhenIdle) and, when there is
 * something to give back (the first quiet spell of the process, freed buffers, a grown young
 * generation, free pages, or Buffers' memory grown since the last trim), runs one full collection
 * with `--optimize-for-size` set for its duration,
 * which shrinks the young generation to its initial size and releases free pages; the flag is unset
 * right after, so bulk transfers keep V8's usual sizing.
 *
 * The same collections flush the bytecode of functions that have not run since the collection before
 * (`--bytecode-old-age=1` for their duration; V8's own threshold, 5 full collections, is never reached
 * by a process that collects once a quiet spell): the start-up's parsing, option handling and wiring
 * ran once and will not run again, and their bytecode is a share of an idle agent's heap. A function
 * flushed and called later compiles again from its source, as it did the first time (ADR 0073).
 */
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IDLE_TRIM_AFTER_MS, installTrimmer, releaseAllIdle, type TrimOutcome } from '../core/idle-hooks.js';

export { IDLE_TRIM_AFTER_MS, type TrimOutcome };

/**
 * Committed heap beyond the used heap, in bytes (4 MiB), above which a quiet process is trimmed even
 * with its young generation already small: pages freed by the last collections but still held.
 */
export const TRIM_SLACK_BYTES = 4 * 1024 * 1024;

/**
 * Full collections a function's bytecode survives unused before V8 flushes it: 1 during a trim, V8's
 * default (5) otherwise. Set by flag, since V8 has no API for it; V8 reads it at each collection.
 */
export const TRIM_BYTECODE_OLD_AGE = 1;
const V8_BYTECODE_OLD_AGE = 5;

/** Young generation (new space) size above which it is worth a trim, in bytes (2 MiB: its start size is 1). */
export const TRIM_NEW_SPACE_ABOVE_BYTES = 2 * 1024 * 1024;

/** Whether a quiet process with these figures has memory worth a full collection to give back. Pure. */
export function worthTrimming(figures: {
  /** No trim has collected yet: the start-up's bytecode is there to flush (TRIM_BYTECODE_OLD_AGE). */
  firstTrim: boolean;
  newSpaceBytes: number;
  committedBytes: number;
  usedBytes: number;
  releasedBytes: number;
  /** Memory outside the heap held for JS objects (Buffers) now, and after the last trim. */
  externalBytes: number;
  externalAfterLastTrimBytes: number;
}): boolean {
  return (
    figures.firstTrim ||
    figures.releasedBytes > 0 ||
    figures.newSpaceBytes > TRIM_NEW_SPACE_ABOVE_BYTES ||
    figures.committedBytes - figures.usedBytes > TRIM_SLACK_BYTES ||
    // Buffers that died in the old generation keep their memory until a full collection: a relay
    // after a burst holds much of it that way (docs/design/compiler-and-gc-tiers.md §Knobs).
    figures.externalBytes - figures.externalAfterLastTrimBytes > TRIM_SLACK_BYTES
  );
}

/** Whether a trim has collected in this process. */
let collectedOnce = false;

/** External memory after the last trim (or at start), in bytes. */
let externalAfterLastTrim = 0;

let collect: (() => void) | undefined;

/**
 * A full collection on demand: `--expose-gc` set for as long as it takes a fresh context to pick up
 * `gc`, then unset (no other context gets it). The flag cannot be given on the command line for the
 * reasons ADR 0007 gives for its own.
 */
function collector(): () => void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
  }
  return collect;
}

/** Trims now: empties the pools and, when worth it, collects with `--optimize-for-size`. */
export function trimNow(): TrimOutcome {
  const releasedBytes = releaseAllIdle();
  const heap = getHeapStatistics();
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  const worth = worthTrimming({
    firstTrim: !collectedOnce,
    newSpaceBytes: newSpace?.space_size ?? 0,
    committedBytes: heap.total_heap_size,
    usedBytes: heap.used_heap_size,
    releasedBytes,
    externalBytes: heap.external_memory,
    externalAfterLastTrimBytes: externalAfterLastTrim,
  });
  if (!worth) return { releasedBytes, collected: false };
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString(`--bytecode-old-age=${TRIM_BYTECODE_OLD_AGE}`);
  try {
    // Twice: the first frees dead Buffers' memory on a background thread, which the second completes
    // (and counts), so the figures read after it, and the memory itself, are current.
    collector()();
    collector()();
  } finally {
    setFlagsFromString('--no-optimize-for-size');
    setFlagsFromString(`--bytecode-old-age=${V8_BYTECODE_OLD_AGE}`);
  }
  collectedOnce = true;
  externalAfterLastTrim = getHeapStatistics().external_memory;
  return { releasedBytes, collected: true };
}

/**
 * The trim's timer, fed by the GC observer of gc-tuning.ts: `collected(lastStart)` after each batch of
 * collections. Collections the trim ran itself (they start while it runs) do not re-arm it.
 */
export interface IdleTrimmer {
  collected(lastGcStartMs: number): void;
  /** Stops the timer (tests). */
  stop(): void;
}

export function startIdleTrim(
  afterMs = IDLE_TRIM_AFTER_MS,
  onTrim: (o: TrimOutcome) => void = () => undefined,
): IdleTrimmer {
  // Libraries that know a burst just ended (the relay after many registrations) trim through core's hook.
  installTrimmer(trimNow);
  let trimmingFrom = Number.POSITIVE_INFINITY;
  let trimmingTo = Number.NEGATIVE_INFINITY;
  const timer = setTimeout(() => {
    trimmingFrom = performance.now();
    const outcome = trimNow();
    trimmingTo = performance.now();
    onTrim(outcome);
  }, afterMs);
  timer.unref();
  return {
    collected(lastGcStartMs) {
      if (lastGcStartMs >= trimmingFrom && lastGcStartMs <= trimmingTo) return;
      timer.refresh();
    },
    stop: () => clearTimeout(timer),
  };
}
