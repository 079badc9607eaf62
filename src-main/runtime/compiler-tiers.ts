/**
 * V8's compilers beyond the interpreter (TurboFan, and Sparkplug, the baseline compiler) wait until a
 * long-running process has started (docs/design/compiler-and-gc-tiers.md §Compiler tiers; ADR 0062).
 * Loading and initialising the agent's modules runs much code a few hundred times, enough for V8 to
 * compile some of it with TurboFan on its background threads: the optimized code of functions that
 * never run again once the process serves, and the malloc arenas of the threads that compiled it, would
 * stay for the life of the process.
 *
 * So they are off from the start (set at run time, before the process's modules load) and come on when
 * the entry point of a long-running process (`clawbridge agent`, `clawbridge relay`, the window's agent
 * process) says it serves (`startupOver()`), or, for any other process, once it has used
 * STARTUP_CPU_SECONDS of CPU (read after each batch of collections: a short command such as `clawbridge
 * peers` ends first; one that works longer gets them). V8 keeps counting how hot each function is
 * meanwhile, so what is hot when they come on is optimized at once: a transfer right after the start
 * runs as fast as before.
 *
 * A process that mostly waits (the relay: a heartbeat a minute per node, a registration now and then)
 * can keep TurboFan off after its start too, until it is busy (`startupOver({ optimizeWhenBusy: true })`,
 * ADR 0075): the first function TurboFan compiles brings the compiler's own code into RSS and a malloc
 * arena for its thread, and any steady trickle of work (an idle relay's registrations and heartbeats)
 * makes some function hot enough in the end. "Busy" is CPU time, not a count: BUSY_CPU_SHARE of one
 * core over BUSY_WINDOW_MS or more, read after each batch of collections (a process at work allocates,
 * so collects; an idle one is not woken for it). The relay's Sparkplug comes on at the start's end:
 * its code is small and in V8's heap.
 *
 * The agent waits the same way, but for work that lasts (`busyForCpuMs`: busy spans in a row that used
 * SUSTAINED_BUSY_CPU_MS of CPU, ADR 0076): an idle agent's heartbeats make Node's buffer and timer
 * functions hot in the end, and linking several peers or a burst of API calls does at once, each
 * keeping the compiler's memory for good. TurboFan pays off for work that lasts, such as a transfer,
 * which runs its first seconds on the interpreter: the agent holds Sparkplug until then too
 * (`sparkplugWhenBusy`), whose own compiler code and baseline code of the links' set-up an idle agent
 * would hold too, while a terminal's or an echo's round trips take no longer on the interpreter
 * (docs/design/compiler-and-gc-tiers.md §Knobs).
 *
 * The busy spans are read only after collections, each over a second or more: a burst of messages, or
 * a file transfer's first seconds, ended before they added up, and ran on the interpreter from start to
 * end every time. So what sees bulk work begin says so (core/work-hooks.ts: a file transfer's bytes, a
 * burst of messages), and the compilers come on then, as the busy spans would have turned them on
 * (docs/design/compiler-and-gc-tiers.md §Work announced).
 */
import { setFlagsFromString } from 'node:v8';
import { onWorkThatLasts } from '../core/work-hooks.js';

/** CPU time (user + system) after which a process that never said it serves gets the compilers, in s. */
export const STARTUP_CPU_SECONDS = 3;

/** V8 options naming these compilers: one given on the command line keeps the user's choice. */
const COMPILER_FLAGS = ['--turbofan', '--no-turbofan', '--opt', '--no-opt', '--sparkplug', '--no-sparkplug'];

let held = false;

/**
 * Whether the entry point will say itself when the start is over (startupEndsWhenServing): then a
 * start that used STARTUP_CPU_SECONDS (a slow or loaded machine; an agent run from sources) does not end
 * the hold by CPU, which would turn both compilers on for good before the agent could ask to wait for
 * work that lasts (ADR 0076).
 */
let startSaysWhenOver = false;

/**
 * Share of one core (¼) a process waiting for work must use over BUSY_WINDOW_MS or more to get
 * TurboFan. A relay registering a few nodes and carrying their round trips stays well under it
 * (test/integration/relay-idle-compilers.test.ts); one forwarding a bulk transfer uses most of a core,
 * and still a quarter of one on a machine four times oversubscribed. CPU time rather than the event
 * loop's utilization: on a loaded machine light work takes longer, not more CPU
 * (docs/design/compiler-and-gc-tiers.md §Knobs).
 */
export const BUSY_CPU_SHARE = 0.25;

/** The shortest span, in ms (1 s), over which BUSY_CPU_SHARE is measured. */
export const BUSY_WINDOW_MS = 1_000;

/**
 * CPU time, in ms (1.5 s), an agent must spend in busy spans in a row before TurboFan comes on (ADR
 * 0076): work that lasts, not a burst. A burst of API calls stays under it; a bulk transfer spends it
 * within its first seconds (docs/design/compiler-and-gc-tiers.md §Knobs).
 */
export const SUSTAINED_BUSY_CPU_MS = 1_500;

/**
 * While TurboFan waits for the process to be busy: where the current measuring span began, the CPU
 * time when the busy spans in a row began (undefined: the last span was not busy), and how much of it
 * they must use (0: one busy span is enough).
 */
export interface BusyWait {
  atMs: number;
  cpuMicros: number;
  busyFromCpuMicros: number | undefined;
  forCpuMicros: number;
}

let waitingForBusy: (BusyWait & { sparkplug: boolean }) | undefined;

const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

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

/**
 * Called first thing by a long-running entry point (`clawbridge agent`, `clawbridge relay`, the window's
 * agent process): it will call startupOver itself once it serves, however much CPU its start takes.
 */
export function startupEndsWhenServing(): void {
  startSaysWhenOver = true;
}

/**
 * The process serves now (or has worked long enough): the compilers come on, for good; with
 * `optimizeWhenBusy`, TurboFan only once the process is busy (checkCompilers): for one span, or, with
 * `busyForCpuMs`, for spans in a row that used that much CPU; with `sparkplugWhenBusy`, Sparkplug then too.
 */
export function startupOver(
  opts: { optimizeWhenBusy?: boolean; busyForCpuMs?: number; sparkplugWhenBusy?: boolean } = {},
): void {
  if (!held) return;
  held = false;
  const sparkplugWhenBusy = opts.optimizeWhenBusy === true && opts.sparkplugWhenBusy === true;
  if (!sparkplugWhenBusy) setFlagsFromString('--sparkplug');
  if (opts.optimizeWhenBusy) {
    waitingForBusy = {
      atMs: performance.now(),
      cpuMicros: cpuMicros(process.cpuUsage()),
      busyFromCpuMicros: undefined,
      forCpuMicros: (opts.busyForCpuMs ?? 0) * 1000,
      sparkplug: sparkplugWhenBusy,
    };
    onWorkThatLasts(optimizeNow);
    return;
  }
  setFlagsFromString('--turbofan');
}

/** Ends the wait for a busy process: TurboFan (and Sparkplug, if it waited too) on, for good. */
function optimizeNow(): void {
  const w = waitingForBusy;
  if (!w) return;
  waitingForBusy = undefined;
  onWorkThatLasts(undefined);
  if (w.sparkplug) setFlagsFromString('--sparkplug');
  setFlagsFromString('--turbofan');
}

/** Whether the compilers are held (tests). */
export function compilersHeld(): boolean {
  return held;
}

/** Whether TurboFan waits for the process to be busy (tests). */
export function optimizerWaitsForBusy(): boolean {
  return waitingForBusy !== undefined;
}

/**
 * Whether a process that used `cpuMicrosUsed` of CPU over `spanMs` of wall time counts as busy. Pure.
 * Spans shorter than BUSY_WINDOW_MS say nothing yet (undefined).
 */
export function busyOver(spanMs: number, cpuMicrosUsed: number): boolean | undefined {
  if (spanMs < BUSY_WINDOW_MS) return undefined;
  return cpuMicrosUsed / 1000 >= BUSY_CPU_SHARE * spanMs;
}

/**
 * The policy's decision after a reading (wall time `nowMs`, the process's CPU time `cpuMicrosNow`),
 * pure, so that tests feed it readings: `'busy'` once a span of BUSY_WINDOW_MS or more was busy
 * (busyOver) and the busy spans in a row used `forCpuMicros`; otherwise what to wait with next (the
 * same while the span is too short to say; each span decided starts the next one, and one that was
 * not busy ends the row).
 */
export function afterReading(w: BusyWait, nowMs: number, cpuMicrosNow: number): BusyWait | 'busy' {
  const busy = busyOver(nowMs - w.atMs, cpuMicrosNow - w.cpuMicros);
  if (busy === undefined) return w;
  const busyFromCpuMicros = busy ? (w.busyFromCpuMicros ?? w.cpuMicros) : undefined;
  if (busyFromCpuMicros !== undefined && cpuMicrosNow - busyFromCpuMicros >= w.forCpuMicros) return 'busy';
  return { atMs: nowMs, cpuMicros: cpuMicrosNow, busyFromCpuMicros, forCpuMicros: w.forCpuMicros };
}

/**
 * Called after each batch of collections: ends the start-up's hold after STARTUP_CPU_SECONDS of CPU
 * (checkStartupCpu), and gives TurboFan to a process waiting for work once the policy says it is busy
 * (afterReading).
 */
export function checkCompilers(nowMs = performance.now(), usage = process.cpuUsage()): void {
  checkStartupCpu(usage);
  const w = waitingForBusy;
  if (!w) return;
  const next = afterReading(w, nowMs, cpuMicros(usage));
  if (next === 'busy') optimizeNow();
  else waitingForBusy = { ...next, sparkplug: w.sparkplug };
}

/**
 * Ends the hold once the process has used STARTUP_CPU_SECONDS of CPU (called after each batch of
 * collections), unless its entry point said it ends the start itself (startupEndsWhenServing).
 */
export function checkStartupCpu(usage: NodeJS.CpuUsage = process.cpuUsage()): void {
  if (held && !startSaysWhenOver && cpuMicros(usage) / 1e6 >= STARTUP_CPU_SECONDS) startupOver();
}
