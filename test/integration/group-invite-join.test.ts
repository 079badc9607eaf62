/**
 * A group joined with its invitation, with real agents on loopback and a relay (the member's devices
 * relay-only), as people type it: O1 (O2 and O3 marked mine to it) creates `lab` with O2 and O3 and
 * invites; M1 enters the code (`group join`); M1 and M2 (marked mine to M1, never invited) list the
 * group with O2 and O3 and open a terminal on each; M2, which knocked on O2 before the join, leaves
 * no pair request there once it is let in as the member's device, and O3 never records one of the
 * member's; O1's `group history lab` (and `--json`) lists the member's sessions on O2 and on O3 with
 * start and end, gathered from each device's own audit log.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { HistoryResult } from '../../src-main/group-members/group-members-contract.js';
import { groupsUntil, listGroups, mine, startGroupNode } from '../helpers/group-agents.js';
import { agentCall, cli, startRelay, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** The bound for a member (and its other devices) to see the group's devices. */
const JOIN_MS = 30_000;

test(
  "M1 joins with O1's code; M1 and M2 list lab with O2 and O3 and open terminals on both; O1's history lists them",
  { timeout: 300_000 },
  async () => {
    const relay = await startRelay();
    const [o1, o2, o3, m1, m2] = await Promise.all([
      startGroupNode('o1', 'invite', relay.url, false),
      startGroupNode('o2', 'invite', relay.url, false),
      startGroupNode('o3', 'invite', relay.url, false),
      startGroupNode('m1', 'invite', relay.url, true),
      startGroupNode('m2', 'invite', relay.url, true),
    ]);
    await mine(o1, o2);
    await mine(o1, o3);
    await mine(m1, m2);
    // Set up over the control socket, as the commands do (group-cli checks their words): a CLI process
    // costs ~0.4 s of CPU. `group join` below is run as a person runs it.
    await agentCall(o1.home, 'groups.create', { name: 'lab' });
    await agentCall(o1.home, 'groups.add', { group: 'lab', devices: ['o2', 'o3'] });
    const groupDevices = [o2.fingerprint, o3.fingerprint].sort();
    const invitation = await agentCall(o1.home, 'groups.invite', { group: 'lab' });

    // M2 knocks on O2 before O2 has a record of it (its owner adds O2 by fingerprint, as a dial of
    // its that comes before the records): O2 holds a fingerprint-only request from it.
    await agentCall(m2.home, 'peers.add', { fingerprint: o2.fingerprint, name: 'o2' });
    const requestsOf = async (o: typeof o2, m: typeof m2) =>
      (await agentCall(o.home, 'pending.list', {})).filter((p) => p.fingerprint === m.fingerprint);
    await until('o2 holds a request from m2', async () => (await requestsOf(o2, m2)).length > 0, JOIN_MS);

    const joined = await cli(['group', 'join', invitation.code, '--home', m1.home], 150_000);
    assert.equal(joined.code, 0, `group join: ${joined.stderr}`);
    assert.match(joined.stdout, /joined group lab, invited by o1/);

    for (const m of [m1, m2]) {
      const [lab] = await groupsUntil(m, 'lab with o2 and o3', (gs) => gs[0]?.devices.length === 2, JOIN_MS);
      assert.equal(lab?.role, 'member', `${m.name} belongs to lab`);
      assert.deepEqual(lab?.devices.map((d) => d.fingerprint).sort(), groupDevices);
    }
    const [owned] = await listGroups(o1);
    assert.deepEqual(
      owned?.members?.map((m) => [m.name, m.root]),
      [['m1', m1.fingerprint]],
      'the member is the device that entered the code',
    );

    // Each of the member's devices opens a terminal on each group device once it has the records.
    for (const m of [m1, m2])
      for (const device of ['o2', 'o3']) {
        const word = `hello-from-${m.name}-on-${device}`;
        await until(
          `${m.name}: term ${device} answers`,
          async () => {
            const r = await cli(['term', device, '--home', m.home, '--', 'sh', '-c', `echo ${word}`], 20_000);
            return r.code === 0 && r.stdout.includes(word);
          },
          JOIN_MS,
        );
      }

    // Let in as a member's device, M2 is no stranger on O2: its request went, and none of the
    // member's devices is left asking on O2 or O3.
    for (const o of [o2, o3])
      for (const m of [m1, m2])
        await until(
          `no request from ${m.name} on ${o.name}`,
          async () => (await requestsOf(o, m)).length === 0,
          JOIN_MS,
        );
    // O3, which no device of the member knocked on but as a guest, never heard a request to pair.
    const members = new Set([m1.fingerprint, m2.fingerprint]);
    const asked = (await agentCall(o3.home, 'audit.list', {})).events.filter(
      (e) => e.kind === 'pairing' && e.step === 'requested' && members.has(e.peer?.fingerprint ?? ''),
    );
    assert.deepEqual(
      asked.map((e) => e.peer?.name),
      [],
      "no member's device asked O3 to pair, not even before O3 had the group's records",
    );

    // On O1, which served none of them: each of the member's devices on each group device, ended. (A
    // group device names a member's device `member/device`.)
    const pairs = (h: HistoryResult) =>
      new Set(
        h.sessions
          .filter((s) => s.end !== null)
          .map((s) => `${s.memberDevice.fingerprint}>${s.device.fingerprint}`),
      );
    const wanted = [m1, m2].flatMap((m) => [o2, o3].map((o) => `${m.fingerprint}>${o.fingerprint}`));
    const history = await until(
      "O1's history of lab with the member's sessions on o2 and o3, ended",
      async () => {
        // Over the control socket, as `group history --json` asks it (group-cli checks the command):
        // a CLI process a poll cost ~0.4 s of CPU.
        const h = await agentCall(o1.home, 'groups.history', { group: 'lab' });
        const seen = pairs(h);
        return wanted.every((p) => seen.has(p)) && h;
      },
      JOIN_MS,
    );
    for (const s of history.sessions) {
      assert.ok(groupDevices.includes(s.device.fingerprint), 'every session ran on a group device');
      assert.equal(s.member, 'm1', "both devices' sessions are the member's");
      assert.ok(s.end !== null, `the session on ${s.device.name} ended`);
      assert.ok(Date.parse(s.start) <= Date.parse(s.end), 'a session starts before it ends');
    }
    assert.deepEqual(
      history.sources.map((s) => [s.device.name, s.answered]).sort(),
      [
        ['o2', true],
        ['o3', true],
      ],
      'O2 and O3 answered O1',
    );
    const text = await cli(['group', 'history', 'lab', '--home', o1.home]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /MEMBER\s+FROM\s+ON\s+START\s+END/);
    for (const [from, on] of [
      ['m1', 'o2'],
      ['m1', 'o3'],
      ['m2', 'o2'],
      ['m2', 'o3'],
    ])
      assert.match(
        text.stdout,
        new RegExp(`m1\\s+m1/${from}\\s+${on}\\s+\\S+Z\\s+\\S+Z`),
        `${from} on ${on}`,
      );
  },
);
