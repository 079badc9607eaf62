/**
 * A group's device that restarts still tells a removed member's device that it is out
 * (groups/group-exits-file.ts): with real agents on loopback and a relay, M1 (relay-only) joins `lab`
 * (O2, owned by O1 and O2) and goes offline; O1 removes it, O2 hears of it, O1 stops and O2
 * restarts. M1 comes back: O2 is the only device that can tell it, and does — M1 stops listing `lab`
 * — and M1's dials never show up as a stranger's request on O2. Before the exits were kept, O2
 * forgot them at its restart and refused M1 as a stranger: M1 listed `lab` for good. Once told, a
 * knock of M1's (its owner adds O2 by fingerprint) is refused as a removal, not a pair request.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { groupsUntil, makeMember, mine, restart, startGroupNode } from '../helpers/group-agents.js';
import { agentCall, cli, peerOf, startRelay, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/**
 * The bound this test gives a device to learn a change: three times the 30 s for joining, as a
 * loaded machine (CI beside other work) took longer once; what it rules out is never hearing at all.
 */
const NEWS_MS = 90_000;

test('a removed device hears of its removal from a group device that restarted since', async () => {
  const relay = await startRelay();
  const [o1, o2, m1] = await Promise.all([
    startGroupNode('o1', 'exits', relay.url, false),
    startGroupNode('o2', 'exits', relay.url, false),
    startGroupNode('m1', 'exits', relay.url, true),
  ]);
  await mine(o1, o2);
  await agentCall(o1.home, 'groups.create', { name: 'lab' });
  await agentCall(o1.home, 'groups.add', { group: 'lab', devices: ['o2'] });
  await groupsUntil(o2, 'lab with o2', (gs) => gs[0]?.devices.length === 1);
  await makeMember(o1, m1, 'lab');
  await groupsUntil(m1, 'lab with o2', (gs) => gs[0]?.devices.map((d) => d.name).join() === 'o2', NEWS_MS);

  await m1.proc.stop();
  await agentCall(o1.home, 'groups.remove', { group: 'lab', member: 'm1' });
  await groupsUntil(o2, 'lab without members', (gs) => gs[0]?.members?.length === 0, NEWS_MS);
  await o1.proc.stop();
  await o2.proc.stop();
  const o2Again = await restart(o2);

  await restart(m1);
  await groupsUntil(m1, 'no group', (gs) => gs.length === 0, NEWS_MS);
  assert.deepEqual(
    await agentCall(o2Again.home, 'pending.list', {}),
    [],
    "m1's dials are no stranger's request on o2",
  );

  // Told, M1 is refused as removed for the exit's time: its owner adding O2 by fingerprint (as a
  // dial left over from before the news would) makes no pair request for O2's owner.
  assert.equal((await cli(['peers', 'add', o2.fingerprint, '--name', 'o2', '--home', m1.home])).code, 0);
  await until(
    'm1 sees o2 refuse it',
    async () => (await peerOf(m1.home, 'o2'))?.state === 'refused',
    NEWS_MS,
  );
  assert.match((await peerOf(m1.home, 'o2'))?.stateDetail ?? '', /refused by them/);
  assert.deepEqual(
    await agentCall(o2Again.home, 'pending.list', {}),
    [],
    "a removed member's knock after the news is no stranger's request on o2",
  );
});
