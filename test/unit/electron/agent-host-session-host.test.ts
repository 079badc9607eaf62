/**
 * The desktop app's session host (docs/adr/0022-session-host.md §The desktop app) with Electron's
 * utilityProcess faked over child_process.fork (test/helpers/fake-electron-utility.ts): the agent's
 * process asks main for a host, main (agent-host.ts + session-host-launcher.ts) forks the real
 * session-host-process.ts, the host outlives a `kill -9` of the agent's process, the agent the
 * supervisor starts again adopts it with its session, and Quit ends it. The agent is a stand-in
 * (test/helpers/session-host-agent-child.ts) that runs the real SessionHostClient, as runAgent's
 * terminals do; no Electron binary runs here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgentHost } from '../../../src-main/electron/agent-host.js';
import { bundledEntry } from '../../helpers/bundled-entry.js';
import { fakeUtilityProcess } from '../../helpers/fake-electron-utility.js';
import type { SessionHostAgentReport } from '../../helpers/session-host-agent-child.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { isAlive } from '../../helpers/process-alive.js';
import { START_MS } from '../../helpers/processes.js';
import { until } from '../../helpers/wait.js';

// Bundled from the source for plain Node (test/helpers/bundled-entry.ts): each process they start
// costs ~2 CPU-s less than one loading the modules through tsx.
const AGENT = await bundledEntry(
  fileURLToPath(new URL('../../helpers/session-host-agent-child.ts', import.meta.url)),
);
const HOST = await bundledEntry(
  fileURLToPath(new URL('../../../src-main/electron/session-host-process.ts', import.meta.url)),
);
const FAST = { firstMs: 300, maxMs: 2_000, stableAfterMs: 60_000 };

async function reportOf(
  home: string,
  notPid?: number,
  timeoutMs = START_MS,
): Promise<SessionHostAgentReport> {
  const report = () =>
    readdirSync(home)
      .filter((n) => /^report-\d+\.json$/.test(n))
      .map((f) => JSON.parse(readFileSync(join(home, f), 'utf8')) as SessionHostAgentReport)
      .find((r) => r.pid !== notPid);
  return until(`an agent report in ${home}`, report, timeoutMs);
}

test(
  "main forks the session host for the agent; it outlives a kill -9 of the agent's process, the restarted agent adopts it, Quit ends it",
  { timeout: 60_000 },
  async () => {
    const home = tempDir('cb-app-host-');
    const fake = fakeUtilityProcess();
    const logs: string[] = [];
    const conn = startAgentHost(fake.electron, {
      home,
      entry: AGENT,
      sessionHost: { entry: HOST, logPath: join(home, 'session-host.log') },
      restartDelays: FAST,
      log: (line) => logs.push(line),
    });
    try {
      const first = await reportOf(home);
      assert.equal(first.error, undefined, first.error);
      assert.ok(first.created, 'the first agent opened a session on the host main started');
      assert.equal(fake.forked.length, 2, 'main forked the agent, then the host');
      const host = fake.forked[1]!;
      assert.equal(first.hostPid, host.pid);
      assert.ok(existsSync(join(home, 'session-host.log')), 'the host logs where main said');

      // The agent's process crashes; the host is main's child, not the agent's.
      fake.forked[0]!.child.kill('SIGKILL');
      const second = await reportOf(home, first.pid);
      assert.equal(second.error, undefined, second.error);
      assert.equal(second.hostPid, first.hostPid, 'the restarted agent adopted the same host');
      assert.deepEqual(second.adopted, [first.created], 'with the session the first agent opened');
      assert.equal(fake.forked.length, 3, 'no second host was forked');
      assert.ok(isAlive(host.pid!), 'isAlive(host.pid!)');

      await conn.stop();
      assert.notEqual(host.exitCode, undefined, 'Quit ended the host');
      assert.equal(isAlive(host.pid!), false);
    } finally {
      await conn.stop();
      for (const p of fake.forked) if (p.exitCode === undefined) p.child.kill('SIGKILL');
    }
  },
);

test(
  'without a session host entry, main offers none and the agent keeps its sessions itself',
  { timeout: 2 * START_MS },
  async () => {
    const home = tempDir('cb-app-nohost-');
    const fake = fakeUtilityProcess();
    const conn = startAgentHost(fake.electron, {
      home,
      entry: AGENT,
      restartDelays: FAST,
      log: () => undefined,
    });
    try {
      const r = await reportOf(home);
      assert.equal(r.error, 'main offers no host');
      assert.equal(fake.forked.length, 1);
    } finally {
      await conn.stop();
    }
  },
);
