/**
 * A member's device reaches a group's device on a relay it was never given (ADR 0092 §4, "Amended"):
 * the group's devices tell it that device's home relay with its addresses. Two relays, A and B; the
 * owner's devices O1 and O3 at home on B and also on A, O2 on B only (so nothing takes O2 to A), with
 * direct links between the owner's devices; the member's devices M1 and M2 on A only and relay-only
 * (`--no-direct`), so the one way from them to O2 is relay B, which nobody gave them.
 * `lab` holds O2 and O3; M1 joins; M1 and M2 open terminals on O2.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { groupsUntil, makeMember, mine, startGroupNode, type GroupNode } from '../helpers/group-agents.js';
import { agentCall, cli, startRelay, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** The bound for a member to reach the group's devices. */
const JOIN_MS = 30_000;

/** Waits until `term DEVICE -- sh -c 'echo WORD'` from `from` answers. */
async function answers(from: GroupNode, device: string): Promise<void> {
  const word = `answer-${from.name}-${device}`;
  await until(
    `${from.name}: term ${device} answers`,
    async () => {
      const r = await cli(['term', device, '--home', from.home, '--', 'sh', '-c', `echo ${word}`], 20_000);
      return r.code === 0 && r.stdout.includes(word);
    },
    JOIN_MS,
  );
}

test("a member on another relay reaches a group's device at the home relay its group told it", async () => {
  const [a, b] = await Promise.all([startRelay(), startRelay()]);
  const [o1, o2, o3, m1, m2] = await Promise.all([
    startGroupNode('o1', 'home-relay', [b.url, a.url], false),
    startGroupNode('o2', 'home-relay', b.url, false),
    startGroupNode('o3', 'home-relay', [b.url, a.url], false),
    startGroupNode('m1', 'home-relay', a.url, true),
    startGroupNode('m2', 'home-relay', a.url, true),
  ]);
  await mine(o1, o2);
  await mine(o1, o3);
  await mine(o2, o3);
  await mine(m1, m2);
  await agentCall(o1.home, 'groups.create', { name: 'lab' });
  await agentCall(o1.home, 'groups.add', { group: 'lab', devices: ['o2', 'o3'] });
  await groupsUntil(o3, 'lab with o2 and o3', (gs) => gs[0]?.devices.length === 2);
  await makeMember(o1, m1, 'lab');

  for (const m of [m1, m2]) {
    await groupsUntil(m, 'lab with o2 and o3', (gs) => gs[0]?.devices.length === 2, JOIN_MS);
    await answers(m, 'o2');
  }
  const o2Seen = (await agentCall(m1.home, 'peers.list', {})).find((p) => p.name === 'o2');
  assert.equal(o2Seen?.path, 'relay', 'M1 reaches o2 over a relay');
  assert.equal(o2Seen?.homeRelay, b.url, "o2's home relay, which M1 was never given");
});
