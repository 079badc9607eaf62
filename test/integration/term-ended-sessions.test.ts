/**
 * A command that ended leaves nothing behind on the serving node: once `term b -- true` has exited, b
 * lists no terminal for a and holds no session waiting for a resume. It used to keep each one for the
 * whole resume window (60 s), listed in `clawbridge connections` and counted against the 64 terminals
 * a peer may hold, so a script that ran `term` in a loop was refused after 64 runs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cliJson, stopAll } from '../helpers/processes.js';
import { startPair, term } from './terminal-setup.js';
import { until } from '../helpers/wait.js';

after(stopAll);

interface Listed {
  kind: string;
}

const served = async (home: string) =>
  (await cliJson<Listed[]>(['connections', '--json', '--home', home])).filter(
    (c) => c.kind === 'terminal-served',
  );

test('commands that ended leave no session on the serving node', async () => {
  const pair = await startPair({ relayOnly: false });
  for (let i = 0; i < 3; i++) {
    const r = await term(pair, ['true']);
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await term(pair, ['sh', '-c', 'echo out; exit 3']);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, 'out\n');
  // Well inside the 60 s a lost stream is kept for.
  await until(
    'b to forget the ended sessions',
    async () => (await served(pair.homeB)).length === 0,
    30_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: b still lists ${JSON.stringify(await served(pair.homeB))}`);
  });
});
