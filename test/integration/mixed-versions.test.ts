/**
 * Peers rarely update together (docs/desktop-app.md §Mixed versions): a node uses what its hello's
 * `features` list adds to protocol version 1 only with a peer whose hello lists it too, so an older
 * peer still gets everything it understands. One link between this build's agent and a peer that
 * announces an older release's features (up to `pty-modes`, before `pipes`, `early-data` and
 * `input-resume`): the peer is seen online, answers a ping, and a terminal this build opens to it
 * carries no argument the older peer would refuse; the same peer announcing this build's features gets
 * the newer argument. The peer is a raw peer (test/helpers/raw-peer.ts) that records the terminal's
 * OPEN and refuses it (what happens after is the terminal's own business, tested elsewhere).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownHello } from '../../src-main/links/control-service.js';
import { FEATURE_PTY_MODES, FEATURE_TERMINAL_TYPE } from '../../src-main/protocol/terminal-frames.js';
import { testIdentity } from '../helpers/identities.js';
import { cli, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { rawPeer } from '../helpers/raw-peer.js';

after(() => stopAll());

/** What a node of an older release says it can do: relay splices, terminal type and PTY modes. */
const OLDER_FEATURES = ['splice', FEATURE_TERMINAL_TYPE, FEATURE_PTY_MODES];

async function openArgsSeenBy(
  features: string[] | undefined,
  label: string,
): Promise<Record<string, unknown>> {
  const home = tempHome(`mixed-${label}`);
  await startAgent(home, { name: 'a', listen: '127.0.0.1:0' });
  const seen: Record<string, unknown>[] = [];
  const peer = await rawPeer(home, await testIdentity(`mixed-${label}`), {
    name: 'old',
    allow: 'terminal',
    features,
    serve: (req) => {
      if (req.service === 'terminal') seen.push(req.args as Record<string, unknown>);
      req.reject('UNKNOWN_SERVICE', 'this peer only records what it was asked');
    },
  });
  try {
    const pong = await cli(['ping', 'old', '--wait', '10s', '--home', home]);
    assert.equal(pong.code, 0, pong.stderr);
    assert.match(pong.stdout, /^pong from old via direct/);
    // stdin is not a terminal here, so term asks for pipes where the peer takes them (ADR 0038).
    const term = await cli(['term', 'old', '--home', home, '--', 'true']);
    assert.notEqual(term.code, 0, 'the peer refused the terminal, as it said it would');
    return await until('the terminal OPEN', () => seen[0], 30_000);
  } finally {
    peer.close();
  }
}

test('an older peer gets a terminal OPEN without the arguments it does not know; a current one gets them', async () => {
  const older = await openArgsSeenBy(OLDER_FEATURES, 'older');
  assert.equal('pty' in older, false, `no pty argument for a peer without pipes: ${JSON.stringify(older)}`);
  assert.deepEqual(older.command, ['true']);

  const current = await openArgsSeenBy(undefined, 'current');
  assert.ok(
    ownHello('x', [], undefined).features?.includes('pipes'),
    "ownHello('x', [], undefined).features?.includes('pipes')",
  );
  assert.equal(current.pty, false, `pipes for a peer that takes them: ${JSON.stringify(current)}`);
});
