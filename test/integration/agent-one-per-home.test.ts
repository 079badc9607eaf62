/**
 * One agent per home, however it is started: two `clawbridge agent` on one home at the same moment
 * leave exactly one running, also when the home is reached through a symlink; and a flag the agent
 * could not use is not saved for the next start.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  CLI,
  cli,
  nodeId,
  stopAll,
  tempHome,
  type Proc,
  startAgent,
  assertAgentFailed,
} from '../helpers/processes.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'symlinks and Unix sockets' : false;

/** Waits until each agent either runs or exited; the exit codes, null for one still running. */
async function settle(agents: Proc[]): Promise<(number | null)[]> {
  await Promise.all(
    agents.map((a) =>
      a.waitForLine(/^agent .* running/m, 20_000).catch(() => {
        if (a.child.exitCode === null) throw new Error(`neither running nor exited: ${a.stderr()}`);
      }),
    ),
  );
  return agents.map((a) => a.child.exitCode);
}

test(
  'two agents started at once on one home (one by a symlink): one runs, the other says why',
  { skip },
  async () => {
    for (let round = 0; round < 3; round++) {
      const home = join(tempHome(`one-${round}`), 'home');
      // The home exists, so the symlink can point at it: made as `clawbridge id` makes it, in this
      // process (a CLI process costs ~0.4 s of CPU).
      await nodeId(home);
      const link = join(tempHome(`one-link-${round}`), 'link');
      symlinkSync(home, link);
      const agents = await Promise.all(
        [home, link].map((h) => startAgent(h, { listen: false, ui: false, expect: 'nothing' })),
      );
      const codes = await settle(agents);
      assert.deepEqual(
        [...codes].sort(),
        [1, null],
        `round ${round}: ${agents.map((a) => a.stderr()).join(' | ')}`,
      );
      const loser = agents.find((a) => a.child.exitCode === 1)!;
      assert.match(loser.stderr(), /an agent is already running for /);
      const status = await cli(['status', '--home', link]);
      assert.equal(status.code, 0, status.stderr);
      await Promise.all(agents.map((a) => a.stop()));
    }
  },
);

test('a flag the agent could not start with is not saved', async () => {
  const home = join(tempHome('bad-flag'), 'home');
  const first = await startAgent(home, { listen: false, ui: false, name: 'keep' });
  await first.stop();
  const before = readFileSync(join(home, 'config.json'), 'utf8');
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: binding it fails, nothing is sent.
  const r = await startAgent(home, { listen: '192.0.2.1:7475', ui: false, expect: 'failure' });
  assertAgentFailed(r, /^clawbridge: cannot listen for direct links on 192\.0\.2\.1:7475: /);
  assert.equal(readFileSync(join(home, 'config.json'), 'utf8'), before);
});

const asNobody =
  process.platform === 'win32' || process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0
    ? 'needs root and setpriv'
    : false;

/**
 * One running agent for the two tests below, which only ask it (one as another user, one while it is
 * suspended, resumed after): started on first use, so the file starts one agent less.
 */
let asked: Promise<{ home: string; agent: Proc }> | undefined;
function askedAgent(): Promise<{ home: string; agent: Proc }> {
  asked ??= (async () => {
    const home = join(tempHome('asked'), 'home');
    return { home, agent: await startAgent(home, { listen: false, ui: false }) };
  })();
  return asked;
}

test(
  'another user asking about this home is told it may not, not that no agent runs',
  { skip: asNobody },
  async () => {
    const { home } = await askedAgent();
    const r = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'status', '--home', home],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /^clawbridge: cannot reach the agent of .*: permission denied on .*; run the command as the user that owns that home, or use your own --home\n$/,
    );
  },
);

test('status against a suspended agent says so within 10 s, instead of waiting a minute', async () => {
  const { home, agent } = await askedAgent();
  process.kill(agent.child.pid!, 'SIGSTOP');
  try {
    const started = Date.now();
    const r = await cli(['status', '--home', home], 30_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the agent did not answer status within 10 s: it runs, but is stuck, suspended/);
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  } finally {
    process.kill(agent.child.pid!, 'SIGCONT');
  }
  await agent.stop();
});
