/**
 * A permission taken away is taken away at once (docs/architecture.md §State and its owners): the
 * serving node checks every stream against its node state at the moment the stream opens, so removing
 * a peer's `terminal` permission through one client (here: an API connection on the control socket,
 * as the window or a script would) refuses that peer's very next terminal, with no agent restart and
 * no new link; granting it again lets the next one in.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { peerOf, stopAll } from '../helpers/processes.js';
import { controlConnection } from '../helpers/control-connection.js';
import { startPair, term } from './terminal-setup.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

test(
  'a terminal permission removed through the API is enforced on the next open, on the same link',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    const ok = await term(pair, ['sh', '-c', 'echo first']);
    assert.equal(ok.stdout, 'first\n', ok.stderr);
    const linkA = (await peerOf(pair.homeA, 'b'))?.since;
    const linkB = (await peerOf(pair.homeB, 'a'))?.since;
    assert.ok(linkA && linkB, 'both sides are linked');

    const api = await controlConnection(pair.homeB);
    try {
      await api.call('peers.deny', { peer: 'a', permission: 'terminal' });
      const refused = await term(pair, ['sh', '-c', 'echo second']);
      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, '', 'nothing ran');
      assert.match(refused.stderr, /permission denied: b does not allow terminals from a/);

      await api.call('peers.allow', { peer: 'a', permission: 'terminal' });
      const back = await term(pair, ['sh', '-c', 'echo third']);
      assert.equal(back.stdout, 'third\n', back.stderr);
    } finally {
      await api.close();
    }
    // The same links throughout: the change reached the check without a reconnect.
    assert.equal((await peerOf(pair.homeA, 'b'))?.since, linkA, "a's link to b was not replaced");
    assert.equal((await peerOf(pair.homeB, 'a'))?.since, linkB, "b's link to a was not replaced");
  },
);
