/**
 * V8 garbage-collector tuning for clawbridge processes, which move bulk data through Buffers
 * (docs/design/compiler-and-gc-tiers.md §Collector settings; ADR 0007). Every socket read allocates a
 * Buffer outside the JS heap; during a bulk transfer that external memory keeps V8's incremental marking
 * running almost constantly, and its marking steps and write barriers cost a relaying process up to
 * half its CPU (docs/design/compiler-and-gc-tiers.md §Knobs). Without it, a major
 * collection marks the whole live heap in one pause, which grows with the heap: an agent's heap is a few
 * tens of MB, but a relay serving many thousands of nodes can grow larger, so incremental marking comes
 * back on while the heap is large.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { onEachBurst } from '../core/work-hooks.js';
import { checkCompilers, holdCompilersUntilStarted } from './compiler-tiers.js';
import { IDLE_TRIM_AFTER_MS, startIdleTrim } from './idle-trim.js';

/** Environment variable that, set to `1`, keeps V8's defaults (to compare, or should a flag misbehave). */
export const KEEP_V8_DEFAULTS_ENV = 'CLAWBRIDGE_V8_DEFAULTS';

/**
 * Used heap above which incremental marking comes back on (64 MiB). A full, non-incremental major
 * collection pauses longer the larger the live heap (docs/design/compiler-and-gc-tiers.md §Knobs);
 * beyond this mark the pauses would cost interactive sessions more than the throughput is worth.
 */
export const INCREMENTAL_MARKING_ABOVE_BYTES = 64 * 1024 * 1024;

/** Used heap below which it goes off again (32 MiB): the gap keeps a heap near the mark from flapping. */
export const NO_INCREMENTAL_MARKING_BELOW_BYTES = 32 * 1024 * 1024;

/** Whether incremental marking should be on, given whether it is now and the used heap in bytes. Pure. */
export function wantIncrementalMarking(on: boolean, usedHeapBytes: number): boolean {
  if (usedHeapBytes > INCREMENTAL_MARKING_ABOVE_BYTES) return true;
  if (usedHeapBytes < NO_INCREMENTAL_MARKING_BELOW_BYTES) return false;
  return on;
}

let applied = false;

/** Node options that size the young generation: given on the command line, they are kept. */
const YOUNG_GENERATION_FLAGS = [
  '--semi-space-growth-factor',
  '--max-semi-space-size',
  '--min-semi-space-size',
];

/** V8's own growth factor of the young generation, let back during a burst of work (ADR 0104). */
const V8_SEMI_SPACE_GROWTH_FACTOR = 2;

/**
 * Keeps the young generation at its initial size (1 MiB a semispace) instead of letting V8 double it up
 * to 16 MiB when much survives a scavenge, as loading the agent's modules does (ADR 0053): grown, it
 * stays reserved and mostly resident for the life of the process, since V8 shrinks it only on a low
 * allocation rate seen at a collection, which an idle process never runs. A bulk transfer's young
 * garbage is small (Buffers live outside the heap), so more scavenges of a smaller space cost it little
 * (docs/design/compiler-and-gc-tiers.md §Collector settings). The growth factor is read at each
 * growth, so setting it here, before the agent's modules load, takes effect.
 *
 * A burst of messages is not like that: each message's objects live until its record is durable and
 * its receipt came, so a 1 MiB space promotes most of them and full collections of the old generation
 * took much of the agents' CPU. So during a burst announced by the data plane (core/work-hooks.ts) V8
 * may grow it as it would by default, and the idle trim after the burst shrinks it and holds it
 * small again (ADR 0104).
 * @returns whether the young generation is this module's to size (no flag of the user's sizes it)
 */
function keepYoungGenerationSmall(): boolean {
  if (process.execArgv.some((a) => YOUNG_GENERATION_FLAGS.some((f) => a.startsWith(f)))) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

/** Whether the young generation may grow now (a burst began since the last idle trim). */
let growing = false;

/** A burst began: V8 may grow the young generation as it would by default. */
function letYoungGenerationGrow(): void {
  if (growing) return;
  growing = true;
  setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH_FACTOR}`);
}

/** The process went quiet and the trim shrank what the burst grew: held at its size again. */
function holdYoungGenerationAgain(): void {
  if (!growing) return;
  growing = false;
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Turns incremental marking off for this process (once; unless CLAWBRIDGE_V8_DEFAULTS=1) and keeps it
 * off while the heap is small (wantIncrementalMarking, checked after each batch of collections: the
 * heap grows only by allocating, which collects, so an idle process is never woken for it; a timer
 * would be a steady share of an idle agent's wake-ups).
 * Call it first thing in an entry point: V8 reads the flag each time it decides how to collect, so
 * setting it after start-up takes effect from then on. (NODE_OPTIONS refuses this V8 flag, and
 * Electron's js-flags switch reaches the main process only when given on the command line.)
 * @returns whether the tuning is in effect
 */
export function tuneGcForBulkTransfer(
  env: NodeJS.ProcessEnv = process.env,
  idleTrimAfterMs = IDLE_TRIM_AFTER_MS,
): boolean {
  if (env[KEEP_V8_DEFAULTS_ENV] === '1') return applied;
  if (applied) return true;
  applied = true;
  const sizesYoung = keepYoungGenerationSmall();
  // TurboFan and Sparkplug wait until the process has started (compiler-tiers.ts, ADR 0062).
  holdCompilersUntilStarted();
  const usedHeap = () => getHeapStatistics().used_heap_size;
  let on = wantIncrementalMarking(false, usedHeap());
  if (!on) setFlagsFromString('--no-incremental-marking');
  // Without incremental marking V8's memory reducer never runs: the trim gives back what it would
  // have once the process is quiet (idle-trim.ts, ADR 0053).
  const trimmer = startIdleTrim(idleTrimAfterMs, sizesYoung ? holdYoungGenerationAgain : undefined);
  if (sizesYoung) onEachBurst(letYoungGenerationGrow);
  new PerformanceObserver((list) => {
    const want = wantIncrementalMarking(on, usedHeap());
    if (want !== on) setFlagsFromString(want ? '--incremental-marking' : '--no-incremental-marking');
    on = want;
    trimmer.collected(Math.max(...list.getEntries().map((e) => e.startTime)));
    checkCompilers();
  }).observe({ entryTypes: ['gc'] });
  return true;
}
