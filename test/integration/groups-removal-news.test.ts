/**
 * A member's devices learn that they are out (docs/adr/0092-groups-reach-and-admission.md, "Amended"),
 * with real agents on loopback and a relay: the owner's devices O1–O3 (mine), a member's devices M1
 * and M2 (mine to each other, relay-only) in three groups. M1 leaves `dev`: M2 stops listing it and
 * the owner's side stops listing the member. O3 is dropped from `ci`: the member's list of its devices
 * shrinks; `ci` is deleted: M1 and M2 stop listing it. M1 is removed from `lab`, the last group that
 * let it reach O2 and O3, so O2 and O3 hang up on it as the removal reaches them: M1 and M2 still
 * stop listing `lab` (`group ls`), and cannot open a terminal there. Invited again, with M1 meeting
 * the code, the member comes back with both devices: M2 too lists `lab`, the owner lists it among
 * the member's devices, and O2, which had told M2 it was out, lets it in again.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { GroupInfo } from '../../src-main/groups/groups-contract.js';
import { groupsUntil, makeMember, mine, startGroupNode } from '../helpers/group-agents.js';
import { agentCall, cli, cliJson, startRelay, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** The bound this test gives a member's devices to learn a change (the issue's, for joining). */
const NEWS_MS = 30_000;

const names = (gs: readonly GroupInfo[]) => gs.map((g) => g.name).sort();
const devicesOf = (gs: readonly GroupInfo[], group: string) =>
  gs
    .find((g) => g.name === group)
    ?.devices.map((d) => d.name)
    .sort();

test("a member's devices learn of a leave, a dropped device, a deleted group and their removal; invited again, both are back", async () => {
  const relay = await startRelay();
  const [o1, o2, o3, m1, m2] = await Promise.all([
    startGroupNode('o1', 'news', relay.url, false),
    startGroupNode('o2', 'news', relay.url, false),
    startGroupNode('o3', 'news', relay.url, false),
    startGroupNode('m1', 'news', relay.url, true),
    startGroupNode('m2', 'news', relay.url, true),
  ]);
  await mine(o1, o2);
  await mine(o1, o3);
  await mine(o2, o3);
  await mine(m1, m2);

  for (const [group, devices] of [
    ['lab', ['o2', 'o3']],
    ['ci', ['o2', 'o3']],
    ['dev', ['o2']],
  ] as const) {
    await agentCall(o1.home, 'groups.create', { name: group });
    await agentCall(o1.home, 'groups.add', { group, devices: [...devices] });
  }
  await groupsUntil(o2, 'three groups', (gs) => gs.length === 3 && devicesOf(gs, 'dev')?.length === 1);
  for (const group of ['lab', 'ci', 'dev']) await makeMember(o1, m1, group);
  const member = (gs: readonly GroupInfo[]) =>
    names(gs).join() === 'ci,dev,lab' && devicesOf(gs, 'lab')?.length === 2;
  for (const m of [m1, m2]) await groupsUntil(m, 'lab, ci and dev', member, NEWS_MS);

  // A leave: M2 follows M1, and the owner's side hears of it.
  await cli(['group', 'leave', 'dev', '--home', m1.home]).then((r) => assert.equal(r.code, 0, r.stderr));
  for (const m of [m1, m2]) await groupsUntil(m, 'no dev', (gs) => names(gs).join() === 'ci,lab', NEWS_MS);
  for (const o of [o1, o2])
    await groupsUntil(
      o,
      'dev without members',
      (gs) => gs.find((g) => g.name === 'dev')?.members?.length === 0,
      NEWS_MS,
    );

  // A device dropped: the member's list of the group's devices shrinks.
  await agentCall(o1.home, 'groups.drop', { group: 'ci', devices: ['o3'] });
  for (const m of [m1, m2])
    await groupsUntil(m, 'ci with o2 alone', (gs) => devicesOf(gs, 'ci')?.join() === 'o2', NEWS_MS);

  // A group deleted.
  await agentCall(o1.home, 'groups.delete', { group: 'ci' });
  for (const m of [m1, m2]) await groupsUntil(m, 'no ci', (gs) => names(gs).join() === 'lab', NEWS_MS);

  // The member removed from the last group it had on O2 and O3: they hang up on it, yet it hears.
  await agentCall(o1.home, 'groups.remove', { group: 'lab', member: 'm1' });
  for (const m of [m1, m2]) await groupsUntil(m, 'no group', (gs) => gs.length === 0, NEWS_MS);
  for (const m of [m1, m2]) {
    const listed = await cliJson<GroupInfo[]>(['group', 'ls', '--home', m.home]);
    assert.deepEqual(listed, [], `group ls on ${m.name} lists nothing`);
    const r = await cli(['term', 'o2', '--home', m.home, '--', 'sh', '-c', 'echo never'], 20_000);
    assert.notEqual(r.code, 0, `${m.name} opens no terminal on o2`);
    assert.doesNotMatch(r.stdout, /never/);
  }

  // Invited again, M1 meeting the code: the person is back with all their devices, M2 included.
  await makeMember(o1, m1, 'lab');
  for (const m of [m1, m2]) await groupsUntil(m, 'lab again', (gs) => names(gs).join() === 'lab', NEWS_MS);
  await groupsUntil(
    o1,
    'the member with m1 and m2',
    (gs) =>
      gs
        .find((g) => g.name === 'lab')
        ?.members?.[0]?.devices.map((d) => d.fingerprint)
        .sort()
        .join() === [m1.fingerprint, m2.fingerprint].sort().join(),
    NEWS_MS,
  );
  await until(
    'm2: term o2 answers again',
    async () => {
      const r = await cli(['term', 'o2', '--home', m2.home, '--', 'sh', '-c', 'echo back-again'], 20_000);
      return r.code === 0 && r.stdout.includes('back-again');
    },
    NEWS_MS,
  );
});
