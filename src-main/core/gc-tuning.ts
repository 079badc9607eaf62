/**
 * V8 garbage-collector tuning for clawbridge processes, which move bulk data through Buffers (ADR 0007).
 * Every socket read allocates a Buffer outside the JS heap; at hundreds of MB/s that external memory
 * keeps V8's incremental marking running almost constantly, and its marking steps and write barriers
 * cost a relaying process up to half its CPU (measured: 3.6–6 ms of CPU per MB through the entry agent
 * of a TCP forward with V8's defaults, 1.3–2 ms without incremental marking). The JS heap itself stays
 * small (tens of MB), so a full, non-incremental collection pauses for a few milliseconds at most.
 */
import { setFlagsFromString } from 'node:v8';

/** The V8 flags applied, in order. */
export const GC_TUNING_FLAGS: readonly string[] = ['--no-incremental-marking'];

/** Environment variable that, set to `1`, keeps V8's defaults (to compare, or should a flag misbehave). */
export const KEEP_V8_DEFAULTS_ENV = 'CLAWBRIDGE_V8_DEFAULTS';

let applied = false;

/**
 * Applies GC_TUNING_FLAGS once per process, unless CLAWBRIDGE_V8_DEFAULTS=1. Call it first thing in
 * an entry point: V8 reads these flags each time it decides how to collect, so setting them after
 * start-up takes effect for everything after the call. (NODE_OPTIONS refuses this V8 flag, and
 * Electron's js-flags switch reaches the main process only when given on the command line.)
 * @returns whether the flags are in effect
 */
export function tuneGcForBulkTransfer(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[KEEP_V8_DEFAULTS_ENV] === '1') return applied;
  if (!applied) for (const flag of GC_TUNING_FLAGS) setFlagsFromString(flag);
  applied = true;
  return true;
}
