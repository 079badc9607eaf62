/**
 * The web UI keeps its port across agent restarts, with a real agent on loopback: a `--ui-listen`
 * port taken at the first start sends it to another port, and the next start serves on that one again
 * (where a page left open in a browser looks for it), even once the configured port is free. When the
 * port it served on last is taken, it moves and says so: a line in its log naming the old port and the
 * new address, and `status --json` carrying `ui.movedFrom` (what the tray shows).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { StatusResult } from '../../src-main/api/contract.js';
import { cliJson, startAgent, stopAll, tempHome } from '../helpers/processes.js';

after(stopAll);

/** A listener holding a loopback port (0: any), as another program would. */
async function hold(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, port: (server.address() as { port: number }).port };
}

const closed = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

test('the web UI serves on the port it served on last; when that is taken it moves and says where', async () => {
  const home = tempHome('ui-port-kept');
  const configured = await hold();
  const opts = { listen: false as const, args: ['--ui-listen', `127.0.0.1:${configured.port}`] };

  // First start: the configured port is taken, so the UI lands elsewhere.
  let agent = await startAgent(home, opts);
  const fallback = agent.uiPort!;
  assert.notEqual(fallback, configured.port);
  await agent.stop('SIGTERM');
  // The configured port is free again, and a page is open on the fallback port: it stays there.
  await closed(configured.server);
  agent = await startAgent(home, opts);
  assert.equal(agent.uiPort, fallback, 'served where it served last');
  assert.doesNotMatch(agent.stderr(), /moved/);
  const kept = await cliJson<StatusResult>(['status', '--json', '--home', home]);
  assert.deepEqual(kept.ui, { address: `127.0.0.1:${fallback}` });
  await agent.stop('SIGTERM');

  // Now something else took that port: the UI moves, and says so where the owner looks.
  const taker = await hold(fallback);
  try {
    agent = await startAgent(home, opts);
    const moved = agent.uiPort!;
    assert.notEqual(moved, fallback);
    assert.match(
      agent.stderr(),
      new RegExp(
        `^clawbridge: the web UI moved: port ${fallback}, where it served last, is taken; it is at http://127\\.0\\.0\\.1:${moved}/ now`,
        'm',
      ),
    );
    const status = await cliJson<StatusResult>(['status', '--json', '--home', home]);
    assert.deepEqual(status.ui, { address: `127.0.0.1:${moved}`, movedFrom: fallback });
  } finally {
    await closed(taker.server);
  }
});
