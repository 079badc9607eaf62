/**
 * The agent fixture itself (test/helpers/processes.ts): a start that must fail resolves with how the
 * agent ended and what it said, and a start expected to fail that comes up instead is an error (the
 * agent stopped); an agent started in a network namespace runs there (test/helpers/netns.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { createNetnsPair, netnsUnavailable, type NetnsPair } from '../helpers/netns.js';
import { assertAgentFailed, startAgent, stopAll, tempHome } from '../helpers/processes.js';

let pair: NetnsPair | undefined;
after(async () => {
  await stopAll();
  pair?.destroy();
});

test('a start that must fail: its exit code and stderr, checked by assertAgentFailed', async () => {
  const failure = await startAgent(tempHome('fixture-fails'), { listen: 'nonsense', expect: 'failure' });
  assert.equal(failure.code, 1);
  assert.equal(failure.signal, null);
  assert.match(failure.stderr, /^clawbridge: .*nonsense/);
  assertAgentFailed(failure, /^clawbridge: /);
  assert.throws(() => assertAgentFailed(failure, /^clawbridge: /, { code: 2 }), /exit code 2/);
  assert.throws(() => assertAgentFailed(failure, 'something else'), /nonsense/);
});

test('a start that must fail but runs is an error, and the agent is stopped', async () => {
  const home = tempHome('fixture-runs');
  await assert.rejects(
    startAgent(home, { listen: false, ui: false, expect: 'failure' }),
    /the agent started, though its start must fail/,
  );
  // Stopped: the home is free for the next agent at once.
  const again = await startAgent(home, { listen: false, ui: false });
  assert.equal(again.listen, undefined);
  await again.stop();
});

test(
  'an agent started in a network namespace runs there',
  { skip: netnsUnavailable() ?? false },
  async () => {
    pair = createNetnsPair();
    const agent = await startAgent(tempHome('fixture-netns'), { listen: `${pair.addrA}:0`, netns: pair.a });
    assert.match(agent.listen ?? '', new RegExp(`^${pair.addrA.replace(/\./g, '\\.')}:\\d+$`));
    assert.notEqual(
      readlinkSync(`/proc/${agent.child.pid}/ns/net`),
      readlinkSync('/proc/self/ns/net'),
      'its network is not this process’s',
    );
    await agent.stop();
  },
);
