/**
 * An idle agent leaves the CPU alone: the desktop app runs one all day, often on a laptop's battery.
 * With nothing linked and its web UI served, its main thread ran 1.5 times a second for timers of its
 * own (the web UI's deadline sweep every second, the GC tuning's heap check every 2 s); now it wakes
 * only when something arrives. Counted from the thread's voluntary context switches in /proc (Linux):
 * each wake-up ends with one, when the thread blocks again; the involuntary ones are preemptions while
 * it runs, which count the machine's load rather than wake-ups (a full run once read 5 in 4 s, the
 * involuntary ones included, where the thread has ~0.1 a second of its own: ADR 0068).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { sleep, until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'linux' ? false : 'reads /proc';
/** How long the agent is watched, in ms, once its start-up is over. */
const WATCH_MS = 4_000;

/** How long the main thread must stay blocked, in ms, for its start-up work to count as over. */
const QUIET_MS = 1_000;
/**
 * The longest wait for that quiet, in ms: an agent that never goes quiet is then measured anyway, so it
 * fails on the count below (the thing this test pins) rather than on a wait.
 */
const SETTLE_MS = 20_000;

/** Times the process's main thread has blocked (given up the CPU of its own accord) so far. */
function mainThreadSwitches(pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)![1]);
}

test('an idle agent serving its web UI wakes less than once a second', { skip }, async () => {
  // Neither --ui-listen nor --no-ui: the web UI on its default port, as a user's agent serves it.
  const agent = await startAgent(tempHome('idle'), { listen: '127.0.0.1:0' });
  await agent.waitForLine(/^web UI on /m);
  // Start-up's own work (the first collections, the listeners, and the optimizing compilers' work that
  // ADR 0062 holds until the ready line: its compiled code is installed on this thread) is not what is
  // counted. Nothing announces its end, so the thread's own reading does: no wake-up for QUIET_MS.
  const pid = agent.child.pid!;
  const settleBy = Date.now() + SETTLE_MS;
  let last = { count: mainThreadSwitches(pid), at: Date.now() };
  await until(
    "the main thread quiet after start-up's work",
    () => {
      const count = mainThreadSwitches(pid);
      if (count !== last.count) last = { count, at: Date.now() };
      return Date.now() - last.at >= QUIET_MS || Date.now() >= settleBy;
    },
    { timeoutMs: SETTLE_MS + 5_000, everyMs: 100 },
  );
  const before = mainThreadSwitches(pid);
  await sleep(WATCH_MS, 'the window in which wake-ups are counted');
  const woke = mainThreadSwitches(pid) - before;
  assert.ok(
    woke < WATCH_MS / 1_000 / 2,
    `the agent's main thread ran ${woke} times in ${WATCH_MS / 1000} s with nothing to do`,
  );
});
