/**
 * `pair join` tells the joiner each step on stderr as it happens (issue "The first hour"): how the other
 * device was found, that the code was accepted, both fingerprints to compare — before the owner approves
 * — and then the final line as before. `pair new` says what to do when a device joins.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PairNewResult } from '../../src-main/api/contract.js';
import { groupFingerprint } from '../../src-main/core/fingerprint.js';
import {
  cli,
  cliJson,
  startProcess,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
  type Proc,
  nodeId,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

let relayUrl = '';
const homes = { a: '', b: '' };
const agents: Record<string, Proc> = {};

before(async () => {
  relayUrl = (await startRelay()).url;
  await Promise.all(
    (['a', 'b'] as const).map(async (name) => {
      homes[name] = tempHome(name);
      agents[name] = await startRelayAgent(homes[name], name, relayUrl);
    }),
  );
});

test('pair new says how to approve; pair join shows the fingerprints to compare before approval', async () => {
  const shown = await cli(['pair', 'new', '--home', homes.a]);
  assert.equal(shown.code, 0, shown.stderr);
  // The hints name the home the command was given, so they work when pasted.
  assert.ok(
    shown.stdout.includes(
      `when a device joins, \`clawbridge pending --home ${homes.a}\` shows it; compare its fingerprint, then \`clawbridge approve --latest --home ${homes.a}\``,
    ),
    shown.stdout,
  );
  const code = await cliJson<PairNewResult>(['pair', 'new', '--home', homes.a]);
  const idA = await nodeId(homes.a);
  const idB = await nodeId(homes.b);

  const join = startProcess(['pair', 'join', code.code, '--home', homes.b, '--timeout', '30s']);
  const compare = `compare with the other screen: ${groupFingerprint(idB.fingerprint)} (this device) and ${groupFingerprint(idA.fingerprint)} (a)`;
  await until(
    'the joiner shows the fingerprints',
    () => join.stderr().includes('waiting for approval...') || undefined,
    20_000,
  );
  const lines = join.stderr().split('\n');
  assert.deepEqual(lines.slice(0, 4), [
    `found the other device (via relay ${relayUrl})`,
    'code accepted by a',
    compare,
    'waiting for approval...',
  ]);
  assert.equal(join.stdout(), '', 'nothing final before approval');

  const approve = await cli(['approve', '--latest', '--home', homes.a]);
  assert.equal(approve.code, 0, approve.stderr);
  await until('the join ends', () => (join.child.exitCode !== null ? true : undefined), 20_000);
  assert.equal(join.child.exitCode, 0, join.stderr());
  assert.match(join.stdout(), /^paired with a \(fingerprint [0-9a-f ]+\)$/m);
});
