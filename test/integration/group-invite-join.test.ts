/**
 * A group joined with its invitation, with real agents on loopback and a relay (the member's devices
 * relay-only), as people type it: O1 (O2 marked mine to it) creates `lab` with O2 and invites; M1
 * enters the code (`group join`); M1 and M2 (marked mine to M1, never invited) list the group with
 * O2 and open a terminal on it; O1's `group history lab` lists M1's sessions on O2 with start and end,
 * gathered from O2's audit log.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { HistoryResult, InvitationInfo } from '../../src-main/group-members/group-members-contract.js';
import { groupsUntil, listGroups, mine, startGroupNode } from '../helpers/group-agents.js';
import { cli, cliJson, startRelay, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** The bound for a member (and its other devices) to see the group's devices. */
const JOIN_MS = 30_000;

test(
  "M1 joins with O1's code; M1 and M2 list lab with O2 and open terminals there; O1's history lists them",
  { timeout: 300_000 },
  async () => {
    const relay = await startRelay();
    const [o1, o2, m1, m2] = await Promise.all([
      startGroupNode('o1', 'invite', relay.url, false),
      startGroupNode('o2', 'invite', relay.url, false),
      startGroupNode('m1', 'invite', relay.url, true),
      startGroupNode('m2', 'invite', relay.url, true),
    ]);
    await mine(o1, o2);
    await mine(m1, m2);
    await cliJson(['group', 'create', 'lab', '--home', o1.home]);
    await cliJson(['group', 'add', 'lab', 'o2', '--home', o1.home]);
    const invitation = await cliJson<InvitationInfo>(['group', 'invite', 'lab', '--home', o1.home]);

    const joined = await cli(['group', 'join', invitation.code, '--home', m1.home], 150_000);
    assert.equal(joined.code, 0, `group join: ${joined.stderr}`);
    assert.match(joined.stdout, /joined group lab, invited by o1/);

    for (const m of [m1, m2]) {
      const [lab] = await groupsUntil(m, 'lab with o2', (gs) => gs[0]?.devices.length === 1, JOIN_MS);
      assert.equal(lab?.role, 'member', `${m.name} belongs to lab`);
      assert.deepEqual(
        lab?.devices.map((d) => d.fingerprint),
        [o2.fingerprint],
      );
    }
    const [owned] = await listGroups(o1);
    assert.deepEqual(
      owned?.members?.map((m) => [m.name, m.root]),
      [['m1', m1.fingerprint]],
      'the member is the device that entered the code',
    );

    // Each of the member's devices opens a terminal on O2 once O2 has the records.
    for (const m of [m1, m2]) {
      const word = `hello-from-${m.name}`;
      await until(
        `${m.name}: term o2 answers`,
        async () => {
          const r = await cli(['term', 'o2', '--home', m.home, '--', 'sh', '-c', `echo ${word}`], 20_000);
          return r.code === 0 && r.stdout.includes(word);
        },
        JOIN_MS,
      );
    }

    const history = await until(
      "O1's history of lab with both members' devices' sessions, ended",
      async () => {
        const h = await cliJson<HistoryResult>(['group', 'history', 'lab', '--home', o1.home]);
        const ended = h.sessions.filter((s) => s.end !== null);
        const from = new Set(ended.map((s) => s.memberDevice.fingerprint));
        return from.has(m1.fingerprint) && from.has(m2.fingerprint) && h;
      },
      JOIN_MS,
    );
    for (const s of history.sessions) {
      assert.equal(s.device.fingerprint, o2.fingerprint, 'every session ran on O2, the group device');
      assert.equal(s.member, 'm1', "both devices' sessions are the member's");
      assert.ok(Date.parse(s.start) <= Date.parse(s.end ?? s.start), 'a session starts before it ends');
    }
    assert.deepEqual(
      history.sources.map((s) => [s.device.name, s.answered]),
      [['o2', true]],
      'O2 answered O1',
    );
    const text = await cli(['group', 'history', 'lab', '--home', o1.home]);
    assert.match(text.stdout, /MEMBER\s+FROM\s+ON\s+START\s+END/);
    assert.match(text.stdout, /m1\s+\S*m2\s+o2\s+\S+Z\s+\S+Z/);
  },
);
