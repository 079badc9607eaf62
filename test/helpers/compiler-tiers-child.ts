/**
 * Child script for the compiler-tiers test (run with --allow-natives-syntax). Applies clawbridge's GC
 * tuning as the CLI does (honouring CLAWBRIDGE_V8_DEFAULTS), runs a hot function as a start-up's code
 * runs, and prints as JSON whether V8 had optimized it with TurboFan then, and again after
 * `startupOver()` (mode `started`) or after the process has used STARTUP_CPU_SECONDS of CPU (mode
 * `cpu`) and the function ran some more. Mode `busy`: `startupOver({ optimizeWhenBusy: true })`, then
 * whether it was optimized after a quiet span (`waited`) and after a busy one (`after`), the spans
 * given to checkCompilers as figures (a machine's load cannot make them flaky). Mode `sustained`: the
 * agent's `busyForCpuMs: SUSTAINED_BUSY_CPU_MS` and `sparkplugWhenBusy` (ADR 0076): `waited` (and
 * `waitedBaseline`, Sparkplug-compiled) after a burst (a busy span, then a quiet one) and busy spans in
 * a row short of that CPU; `after` once they used it. Mode `announced`: the agent's wait as in
 * `sustained`, then what sees bulk work begin announces it (core/work-hooks.ts): `stillWaiting` before
 * the announcement, `after` once announced. Mode `slow-start`: an entry point that says when its start
 * is over (startupEndsWhenServing) uses STARTUP_CPU_SECONDS first: `waited` after that CPU, then
 * `stillWaiting` once it says it serves with the agent's wait, and `after`.
 */
import {
  BUSY_WINDOW_MS,
  checkCompilers,
  checkStartupCpu,
  optimizerWaitsForBusy,
  startupEndsWhenServing,
  startupOver,
  STARTUP_CPU_SECONDS,
  SUSTAINED_BUSY_CPU_MS,
} from '../../src-main/runtime/compiler-tiers.js';
import { announceWorkThatLasts } from '../../src-main/core/work-hooks.js';
import { tuneGcForBulkTransfer } from '../../src-main/runtime/gc-tuning.js';
import { sleep } from './wait.js';

tuneGcForBulkTransfer(process.env);
const mode = process.argv[2] ?? 'started';
// V8's own status bits (src/runtime/runtime-test.cc): 1 << 4 is "TurboFan-optimized".
// A natives-syntax call cannot be written in TypeScript: it is compiled from a string.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
const TURBOFANNED = 1 << 4;
/** "Baseline" (Sparkplug-compiled) in the same bits. */
const BASELINE = 1 << 15;

// Short, so that making it hot (run) costs the child well under STARTUP_CPU_SECONDS of CPU before it
// says it started, even on a slow machine: past that its hold would end by CPU, not by the mode.
function hot(x: number): number {
  let s = 0;
  for (let i = 0; i < 20; i++) s += (x * i) % 7;
  return s;
}
let sink = 0;
const run = () => {
  for (let i = 0; i < 200_000; i++) sink += hot(i);
};
run();
const before = (status(hot) & TURBOFANNED) !== 0;
let waited: boolean | undefined;
let waitedBaseline: boolean | undefined;
/** Sustained mode: whether the policy still held TurboFan back after the spans short of the CPU. */
let stillWaiting: boolean | undefined;
if (mode === 'started') startupOver();
else if (mode === 'busy') {
  startupOver({ optimizeWhenBusy: true });
  // Synchronous from here to the last check: no collection's observer runs a real check in between.
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const at = (ms: number, cpuMs: number) =>
    checkCompilers(t0 + ms, { user: cpu0.user + cpuMs * 1000, system: cpu0.system });
  // A quiet span: 10 ms of CPU in more than a window.
  at(BUSY_WINDOW_MS + 100, 10);
  run();
  waited = (status(hot) & TURBOFANNED) !== 0;
  // A busy one: nearly a core for the next window.
  at(2 * BUSY_WINDOW_MS + 200, 10 + BUSY_WINDOW_MS);
} else if (mode === 'sustained') {
  startupOver({ optimizeWhenBusy: true, busyForCpuMs: SUSTAINED_BUSY_CPU_MS, sparkplugWhenBusy: true });
  // A whole ms: spans between fractional times came out a hair under BUSY_WINDOW_MS now and then
  // (float rounding), too short to decide, so the quiet span after the burst joined the next busy one
  // and the burst counted towards the row (stillWaiting false, at any load).
  const t0 = Math.ceil(performance.now());
  const cpu0 = process.cpuUsage();
  let ms = 0;
  let cpuMs = 0;
  /** One span of `spanMs` with `busyMs` of CPU in it. */
  const span = (spanMs: number, busyMs: number) => {
    ms += spanMs;
    cpuMs += busyMs;
    checkCompilers(t0 + ms, { user: cpu0.user + cpuMs * 1000, system: cpu0.system });
  };
  // A burst (a hundred API calls at once, 0.7 s of CPU): one busy span, then a quiet one.
  span(BUSY_WINDOW_MS, 700);
  span(BUSY_WINDOW_MS, 10);
  // Busy spans in a row, together just short of it.
  span(BUSY_WINDOW_MS, BUSY_WINDOW_MS / 2);
  span(BUSY_WINDOW_MS, SUSTAINED_BUSY_CPU_MS - BUSY_WINDOW_MS / 2 - 1);
  stillWaiting = optimizerWaitsForBusy();
  run();
  waited = (status(hot) & TURBOFANNED) !== 0;
  waitedBaseline = (status(hot) & BASELINE) !== 0;
  // One more: together they used it.
  span(BUSY_WINDOW_MS, BUSY_WINDOW_MS);
} else if (mode === 'announced') {
  startupOver({ optimizeWhenBusy: true, busyForCpuMs: SUSTAINED_BUSY_CPU_MS, sparkplugWhenBusy: true });
  stillWaiting = optimizerWaitsForBusy();
  // No busy span at all: a burst of messages or a transfer's bytes say it, as they begin.
  announceWorkThatLasts();
} else if (mode === 'slow-start') {
  startupEndsWhenServing();
  await spendStartupCpu();
  run();
  waited = (status(hot) & TURBOFANNED) !== 0;
  startupOver({ optimizeWhenBusy: true, busyForCpuMs: SUSTAINED_BUSY_CPU_MS, sparkplugWhenBusy: true });
  stillWaiting = optimizerWaitsForBusy();
} else await spendStartupCpu();

/** Works until the CPU budget is spent, as a long command does; the GC observer reads it. */
async function spendStartupCpu(): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (process.cpuUsage().user / 1e6 < STARTUP_CPU_SECONDS + 0.2 && performance.now() < deadline) {
    for (let i = 0; i < 1_000; i++) sink += [i, `${i}`].length;
  }
  // The observer runs after the collections' batch is dispatched: give it a turn.
  await sleep(50, "the GC observer runs after the collections' batch is dispatched");
  checkStartupCpu();
}
run();
const after = (status(hot) & TURBOFANNED) !== 0;
process.stdout.write(
  JSON.stringify({
    before,
    ...(waited === undefined ? {} : { waited }),
    ...(waitedBaseline === undefined ? {} : { waitedBaseline }),
    ...(stillWaiting === undefined ? {} : { stillWaiting }),
    after,
    sink: sink > 0,
  }),
);
