import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { echoFloorClient, ECHO_FLOORS } from '../../../bench/echo-floor.js';
import { until } from '../../helpers/wait.js';

/** PIDs of the processes whose command line names the floor's hop script. */
function hopPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('echo-floor-hop.ts'))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('echo floors', () => {
  it('echoes each key through the chain in raw mode and ends every process on close', async () => {
    const before = new Set(hopPids());
    const term = await echoFloorClient('echo-floor-test', 3).open();
    try {
      // Two Node processes before cat: the one in our PTY and the one that owns cat's PTY.
      assert.equal(hopPids().filter((p) => !before.has(p)).length, 2);
      // Ctrl-C too: it comes back from cat only when the first process put our PTY in raw mode, as
      // `clawbridge term` does (in cooked mode it would end the chain with SIGINT instead).
      for (const ch of ['a', 'b', '\x03']) {
        const ms = await term.key(ch);
        assert.ok(ms > 0 && ms < 5_000, `echo of ${JSON.stringify(ch)} in ${ms} ms`);
      }
    } finally {
      await term.close();
    }
    await until('the hop processes to end', () => !hopPids().some((p) => !before.has(p)), 5_000);
    assert.deepEqual(
      hopPids().filter((p) => !before.has(p)),
      [],
      'no process of the chain is left',
    );
  });

  it('has the process counts of the paths it stands for, and refuses a chain without cat', () => {
    assert.deepEqual(Object.fromEntries(ECHO_FLOORS), { 'echo-floor-4': 4, 'echo-floor-3': 3 });
    assert.throws(() => echoFloorClient('x', 1), /at least 2 processes/);
    assert.throws(() => echoFloorClient('x', 2.5), /at least 2 processes/);
  });
});
