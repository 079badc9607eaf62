/**
 * A node whose peer removed it, with only a relay between them: through a relay the refusal can only
 * come once the dialer's end of the handshake is done, so the link "comes up" and is closed at once.
 * The dialer must say it was refused (not "waiting for their approval") and back off like any failed
 * attempt instead of redialling every second.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, peerOf, startRelay, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

test('a peer removed over a relay shows refused and is not redialled every second', async () => {
  const relay = await startRelay();
  const [homeA, homeB] = [tempHome('refused-a'), tempHome('refused-b')];
  const agent = (home: string, name: string) =>
    startAgent(home, { name, relay: relay.url, listen: false, ui: false });
  const [, b] = await Promise.all([agent(homeA, 'a'), agent(homeB, 'b')]);
  const fp = async (home: string) => (await cli(['id', '--home', home])).stdout.split(/\s+/)[1]!;
  const [fpA, fpB] = [await fp(homeA), await fp(homeB)];
  assert.equal((await cli(['peers', 'add', fpB, '--name', 'b', '--home', homeA])).code, 0);
  assert.equal((await cli(['peers', 'add', fpA, '--name', 'a', '--home', homeB])).code, 0);
  await until('a and b linked', async () => (await peerOf(homeA, 'b'))?.state === 'online', 30_000);

  assert.equal((await cli(['peers', 'remove', 'a', '--home', homeB])).code, 0);
  await until(
    'a sees that b refuses it',
    async () => (await peerOf(homeA, 'b'))?.state === 'refused',
    20_000,
  );
  const peer = await peerOf(homeA, 'b');
  assert.match(peer?.stateDetail ?? '', /refused by them/);

  // b logs each refused attempt (a warning on its stderr): count them over 12 s. Backing off 1, 2,
  // 4, 8 s (+ jitter) gives at most 5; one a second would give 10 or more.
  const refusals = () =>
    b
      .stderr()
      .split('\n')
      .filter((l) => l.includes('refused relay link')).length;
  const before = refusals();
  await sleep(12_000, 'the window in which refused attempts are counted');
  const attempts = refusals() - before;
  assert.ok(attempts <= 6, `attempts refused in 12 s: ${attempts}`);
});
