/**
 * The agent's direct listener on a taken port (links/direct-listener.ts): the agent still starts, on a
 * free port, and says so in a line a person reads (not only in the JSON log).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

test('a taken --listen port: the agent listens on a free one and says which', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = (blocker.address() as { port: number }).port;
  try {
    const agent = await startAgent(tempHome('direct-taken'), { listen: `127.0.0.1:${taken}`, ui: false });
    const m = /^127\.0\.0\.1:(\d+)$/.exec(agent.listen ?? '');
    assert.ok(m, `listens on loopback: ${agent.listen}`);
    assert.notEqual(Number(m[1]), taken);
    await until('the notice', () => agent.stderr().includes('is in use'), 30_000);
    assert.match(
      agent.stderr(),
      new RegExp(
        `^clawbridge: 127\\.0\\.0\\.1:${taken} is in use \\(another agent, or another program\\); listening for direct links on 127\\.0\\.0\\.1:${m[1]} instead$`,
        'm',
      ),
    );
    await agent.stop();
  } finally {
    blocker.close();
  }
});
