import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  afterReading,
  BUSY_CPU_SHARE,
  BUSY_WINDOW_MS,
  type BusyWait,
  busyOver,
  namesCompilers,
  SUSTAINED_BUSY_CPU_MS,
} from '../../../src-main/runtime/compiler-tiers.js';
import { KEEP_V8_DEFAULTS_ENV } from '../../../src-main/runtime/gc-tuning.js';
import { nodeArgsFor } from '../../helpers/transpiled.js';

const script = fileURLToPath(new URL('../../helpers/compiler-tiers-child.ts', import.meta.url));

/** Whether a hot function was TurboFan-optimized in a child before and after its start-up ended. */
function optimized(
  env: NodeJS.ProcessEnv,
  mode: 'started' | 'cpu' | 'busy' | 'sustained' | 'announced' | 'slow-start' = 'started',
  nodeArgs: string[] = [],
): { before: boolean; waited?: boolean; waitedBaseline?: boolean; stillWaiting?: boolean; after: boolean } {
  const r = spawnSync(
    process.execPath,
    // Optimized on the main thread when marked, not on a background thread: on a loaded machine a
    // compile job queued behind other processes would otherwise still be pending when the child looks.
    [...nodeArgsFor(script, ['--allow-natives-syntax', '--no-concurrent-recompilation', ...nodeArgs]), mode],
    {
      encoding: 'utf8',
      env: { ...process.env, [KEEP_V8_DEFAULTS_ENV]: undefined, ...env },
      timeout: 120_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const { before, waited, waitedBaseline, stillWaiting, after } = JSON.parse(r.stdout) as {
    before: boolean;
    waited?: boolean;
    waitedBaseline?: boolean;
    stillWaiting?: boolean;
    after: boolean;
  };
  return {
    before,
    ...(waited === undefined ? {} : { waited }),
    ...(waitedBaseline === undefined ? {} : { waitedBaseline }),
    ...(stillWaiting === undefined ? {} : { stillWaiting }),
    after,
  };
}

test("a process's hot code is not optimized while it starts, and is once it serves (ADR 0062)", () => {
  // The control: with V8's defaults the same loop is optimized at once.
  assert.deepEqual(optimized({ [KEEP_V8_DEFAULTS_ENV]: '1' }), { before: true, after: true });
  assert.deepEqual(optimized({}), { before: false, after: true });
});

test('a process that never says it serves gets the compilers after a few seconds of CPU', () => {
  assert.deepEqual(optimized({}, 'cpu'), { before: false, after: true });
});

test('an agent whose start takes a few seconds of CPU still holds its compilers until busy (a slow or loaded machine)', () => {
  // Before, the CPU budget ended the hold during such a start, both compilers on for good.
  assert.deepEqual(optimized({}, 'slow-start'), {
    before: false,
    waited: false,
    stillWaiting: true,
    after: false,
  });
});

test('a process that optimizes when busy gets TurboFan after a busy span, not after a quiet one (ADR 0075)', () => {
  assert.deepEqual(optimized({}, 'busy'), { before: false, waited: false, after: true });
});

/**
 * Feeds the agent's policy (busyForCpuMs: SUSTAINED_BUSY_CPU_MS) spans of `[wall ms, CPU ms]` from a
 * wait begun at 0 ms and 0 CPU, and says after which span it decided the process is busy (undefined:
 * still waiting after the last).
 */
function busyAfterSpans(spans: [number, number][]): number | undefined {
  let w: BusyWait | 'busy' = {
    atMs: 0,
    cpuMicros: 0,
    busyFromCpuMicros: undefined,
    forCpuMicros: SUSTAINED_BUSY_CPU_MS * 1000,
  };
  let ms = 0;
  let cpuMs = 0;
  for (const [i, [spanMs, busyMs]] of spans.entries()) {
    ms += spanMs;
    cpuMs += busyMs;
    w = afterReading(w, ms, cpuMs * 1000);
    if (w === 'busy') return i;
  }
  return undefined;
}

test('the agent gets its compilers once busy spans in a row used SUSTAINED_BUSY_CPU_MS, not after a burst (ADR 0076)', () => {
  const W = BUSY_WINDOW_MS;
  // A burst (a hundred API calls at once, 0.7 s of CPU): one busy span, then a quiet one.
  const burst: [number, number][] = [
    [W, 700],
    [W, 10],
  ];
  assert.equal(busyAfterSpans(burst), undefined, 'a burst is not work that lasts');
  // On a loaded machine the same burst takes longer, not more CPU: still not sustained.
  assert.equal(
    busyAfterSpans([
      [3 * W, 700],
      [W, 10],
    ]),
    undefined,
    'a stretched burst neither',
  );
  // Busy spans in a row, together just short of it; then one more, and together they used it.
  const shortOfIt: [number, number][] = [...burst, [W, W / 2], [W, SUSTAINED_BUSY_CPU_MS - W / 2 - 1]];
  assert.equal(busyAfterSpans(shortOfIt), undefined, 'spans in a row short of the CPU');
  assert.equal(busyAfterSpans([...shortOfIt, [W, W]]), shortOfIt.length, 'the span that completes it');
  // A quiet span between two busy ones ends the row: the CPU before it does not count.
  assert.equal(
    busyAfterSpans([
      [W, W],
      [W, 10],
      [W, W / 2],
    ]),
    undefined,
  );
  // A reading too soon after the last says nothing, and keeps the span open.
  assert.equal(
    busyAfterSpans([
      [W / 2, W / 2],
      [W / 2, SUSTAINED_BUSY_CPU_MS],
    ]),
    1,
  );
});

test('the agent process holds both compilers until its spans were sustained, then has them (ADR 0076)', (t) => {
  // The real process checks the wiring: held at the start, on once the policy says busy. The policy's
  // decisions are the test above, fed readings; the child's own state and what V8 compiled meanwhile
  // are said, not asserted (the child's spans once ended the wait early by float rounding: see its t0).
  const seen = optimized({}, 'sustained');
  t.diagnostic(
    `while held: still waiting ${seen.stillWaiting}, turbofanned ${seen.waited}, baseline ${seen.waitedBaseline}`,
  );
  assert.deepEqual({ before: seen.before, after: seen.after }, { before: false, after: true });
});

test('the agent gets its compilers at once when bulk work is announced, with no busy span', () => {
  // A burst of messages or a transfer's first seconds end before busy spans add up (ADR 0076's wait):
  // what sees the work begin announces it (core/work-hooks.ts).
  assert.deepEqual(optimized({}, 'announced'), {
    before: false,
    stillWaiting: true,
    after: true,
  });
});

test('busy is a share of one core over a window or more', () => {
  assert.equal(busyOver(BUSY_WINDOW_MS - 1, 10e6), undefined, 'too short a span says nothing');
  assert.equal(busyOver(BUSY_WINDOW_MS, BUSY_CPU_SHARE * BUSY_WINDOW_MS * 1000), true);
  assert.equal(busyOver(BUSY_WINDOW_MS, BUSY_CPU_SHARE * BUSY_WINDOW_MS * 1000 - 1), false);
  // A relay's light work spread over a long quiet span is not busy.
  assert.equal(busyOver(30_000, 200_000), false);
});

test('compilers named on the command line keep the user’s choice', () => {
  assert.deepEqual(optimized({}, 'started', ['--turbofan']), { before: true, after: true });
  assert.equal(namesCompilers(['--no-opt']), true);
  assert.equal(namesCompilers(['--max-semi-space-size=1', '--sparkplug']), true);
  assert.equal(namesCompilers(['--expose-gc', '--turbofan-filter=x']), false);
});
