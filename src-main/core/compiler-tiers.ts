/**
 * V8's compilers beyond the interpreter (TurboFan, and Sparkplug, the baseline compiler) wait until a
 * long-running process has started (ADR 0062). Loading and initialising the agent's ~430 modules runs
 * much code a few hundred times, enough for V8 to compile some of it with TurboFan on its background
 * threads: the optimized code of functions that never run again once the process serves, and the malloc
 * arenas of the threads that compiled it, stayed for the life of the process (with this hold and
 * ADR 0062's other changes an idle agent held ~5 MB less and a relay ~3–6 MB less in `npm run
 * bench:footprint`; docs/performance.md, "Footprint").
 *
 * So they are off from the start (set at run time, before the process's modules load) and come on when
 * the entry point of a long-running process (`clawbridge agent`, `clawbridge relay`, the window's agent
 * process) says it serves (`startupOver()`), or, for any other process, once it has used
 * STARTUP_CPU_SECONDS of CPU (read after each batch of collections: a short command such as `clawbridge
 * peers` ends first; one that works longer gets them). V8 keeps counting how hot each function is
 * meanwhile, so what is hot when they come on is optimized at once: a transfer right after the start
 * runs as fast as before.
 */
import { setFlagsFromString } from 'node:v8';

/** CPU time (user + system) after which a process that never said it serves gets the compilers, in s. */
export const STARTUP_CPU_SECONDS = 3;

/** V8 options naming these compilers: one given on the command line keeps the user's choice. */
const COMPILER_FLAGS = ['--turbofan', '--no-turbofan', '--opt', '--no-opt', '--sparkplug', '--no-sparkplug'];

let held = false;

/** Whether the command line names one of the compilers (then the user's choice stands). Pure. */
export function namesCompilers(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => COMPILER_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)));
}

/** Turns the compilers off until the process has started (once; unless the command line names them). */
export function holdCompilersUntilStarted(execArgv: readonly string[] = process.execArgv): void {
  if (held || namesCompilers(execArgv)) return;
  held = true;
  setFlagsFromString('--no-turbofan');
  setFlagsFromString('--no-sparkplug');
}

/** The process serves now (or has worked long enough): the compilers come on, for good. */
export function startupOver(): void {
  if (!held) return;
  held = false;
  setFlagsFromString('--turbofan');
  setFlagsFromString('--sparkplug');
}

/** Whether the compilers are held (tests). */
export function compilersHeld(): boolean {
  return held;
}

/** Ends the hold once the process has used STARTUP_CPU_SECONDS of CPU (called after each batch of collections). */
export function checkStartupCpu(usage: NodeJS.CpuUsage = process.cpuUsage()): void {
  if (held && (usage.user + usage.system) / 1e6 >= STARTUP_CPU_SECONDS) startupOver();
}
