/**
 * `peers` and `status` say which group lets a node in (ADR 0092: a member's device is a guest on the
 * group's device, the group's device a guest on the member's), with real agents on loopback and a
 * relay: O1 (O2 marked mine to it) creates `lab` with O2 and invites; M1 (relay-only) joins with the
 * code. On O2, M1 is listed `via group lab` and its JSON carries `groups: ['lab']`; on M1, O2 is; a
 * paired peer carries no `groups`. `peers rm` of a guest is refused with where its access is decided
 * (and `peers limit`, `allow`, `rename`, `route` with the group command that applies instead),
 * and the guest stays.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PeerInfo, StatusResult } from '../../src-main/api/contract.js';
import { mine, startGroupNode, type GroupNode } from '../helpers/group-agents.js';
import { agentCall, cli, cliJson, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** The bound for a member to see the group's devices. */
const JOIN_MS = 30_000;

/** `peers --json` on `at` once it lists a node with fingerprint `fp` online. */
async function listedOnline(at: GroupNode, fp: string): Promise<PeerInfo> {
  return until(
    `${at.name} lists ${fp.slice(0, 8)} online`,
    async () => {
      const list = await agentCall(at.home, 'peers.list', {});
      const p = list.find((x) => x.fingerprint === fp);
      return p?.state === 'online' && p;
    },
    JOIN_MS,
  );
}

test(
  'peers and status name the group that lets a node in; peers rm refuses a guest',
  { timeout: 300_000 },
  async () => {
    const relay = await startRelay();
    const [o1, o2, m1] = await Promise.all([
      startGroupNode('o1', 'gpeers', relay.url, false),
      startGroupNode('o2', 'gpeers', relay.url, false),
      startGroupNode('m1', 'gpeers', relay.url, true),
    ]);
    await mine(o1, o2);
    // Set up over the control socket, as the commands do (group-cli checks their words): a CLI process
    // costs ~0.4 s of CPU. The commands this test is about are run as a person runs them.
    await agentCall(o1.home, 'groups.create', { name: 'lab' });
    await agentCall(o1.home, 'groups.add', { group: 'lab', devices: ['o2'] });
    const invitation = await agentCall(o1.home, 'groups.invite', { group: 'lab' });
    const joined = await cli(['group', 'join', invitation.code, '--home', m1.home], 150_000);
    assert.equal(joined.code, 0, `group join: ${joined.stderr}`);

    // The member's device comes to the group's device: once linked, each lists the other as a guest.
    const onMember = await listedOnline(m1, o2.fingerprint);
    assert.deepEqual(onMember.groups, ['lab'], 'on M1, O2 is there through lab');
    const onDevice = await listedOnline(o2, m1.fingerprint);
    assert.deepEqual(onDevice.groups, ['lab'], 'on O2, M1 is there through lab');
    assert.equal(onDevice.name, 'm1/m1', "named MEMBER/DEVICE on the group's device");
    // What `peers --json` prints, over the control socket; the table's words are checked below.
    const paired = (await agentCall(o2.home, 'peers.list', {})).find((p) => p.fingerprint === o1.fingerprint);
    assert.ok(paired, 'O2 lists O1');
    assert.equal(paired.groups, undefined, 'a paired peer is there through no group');
    assert.ok(
      !(await agentCall(m1.home, 'peers.list', {})).some((p) => p.fingerprint === o1.fingerprint),
      "O1 is no device of lab: the member's device does not list it",
    );

    const status = await cliJson<StatusResult>(['status', '--home', o2.home]);
    assert.deepEqual(status.peers.find((p) => p.fingerprint === m1.fingerprint)?.groups, ['lab']);
    for (const [at, args] of [
      [o2, ['peers', '--wide']],
      [o2, ['status', '--wide']],
      [m1, ['peers', '--wide']],
    ] as const) {
      const text = await cli([...args, '--home', at.home]);
      assert.equal(text.code, 0, text.stderr);
      const row = text.stdout.split('\n').find((l) => l.startsWith(at === o2 ? 'm1/m1 ' : 'o2 '));
      assert.match(row ?? '', /via group lab/, `${at.name} ${args[0]} says which group`);
    }

    // A guest is no peer to remove here: the refusal says why and where, and the guest stays.
    for (const [at, ref] of [
      [o2, 'm1/m1'],
      [m1, 'o2'],
    ] as const) {
      const rm = await cli(['peers', 'rm', ref, '--home', at.home]);
      assert.notEqual(rm.code, 0, `${at.name}: peers rm ${ref} is refused`);
      assert.match(rm.stderr, /through group lab, not paired/);
      // What its reader can run: the owner's device `group ls` (then remove or drop), the member's
      // device `group leave lab`.
      assert.match(rm.stderr, at === o2 ? /`clawbridge group ls/ : /`clawbridge group leave lab/);
    }
    // Nor is it one to limit, rename or route: each refusal names the group command that applies,
    // one its reader can run: the owner's device the group's words (the list they would come to,
    // where the words asked for are known), the member's device none (only the owner changes them).
    for (const [at, ref] of [
      [o2, 'm1/m1'],
      [m1, 'o2'],
    ] as const) {
      const words = at === o2 ? /`clawbridge group allow lab LIST[ `]/ : /`clawbridge pair join CODE[ `]/;
      for (const [args, applies] of [
        [['peers', 'limit', ref, '127.0.0.1:22'], words],
        [
          ['peers', 'allow', ref, 'forward'],
          at === o2 ? /`clawbridge group allow lab terminal,forward[ `]/ : words,
        ],
        [['peers', 'rename', ref, 'someone'], /its name is the one its group gives it.*clawbridge group ls/],
        [['peers', 'route', ref, '--via', at === o2 ? 'o1' : 'o2'], /where its group's devices say it is/],
      ] as const) {
        const r = await cli([...args, '--home', at.home]);
        assert.notEqual(r.code, 0, `${at.name}: ${args.join(' ')} is refused`);
        assert.match(r.stderr, /through group lab, not paired/, `${at.name}: ${args.join(' ')} says why`);
        assert.match(r.stderr, applies, `${at.name}: ${args.join(' ')} names what applies`);
        if (at === m1)
          assert.doesNotMatch(r.stderr, /group allow/, `m1: ${args.join(' ')} names no owner's command`);
      }
    }
    // A member's device refused a word there is told the group's command, not `peers allow`, which
    // the group's device refuses for a node that is no peer of its.
    const file = join(tempHome('gpeers-file'), 'note.txt');
    writeFileSync(file, 'hello');
    const sent = await cli(['file', 'send', 'o2', file, '--home', m1.home], 60_000);
    assert.notEqual(sent.code, 0, `file send is refused: ${sent.stdout}`);
    assert.match(sent.stderr, /o2 does not allow files from m1\/m1/, 'says what is refused');
    assert.match(sent.stderr, /clawbridge group allow lab terminal,files/, 'and the group command');
    assert.doesNotMatch(sent.stderr, /peers allow/, 'not a command o2 refuses');
    const names = (await agentCall(o2.home, 'peers.list', {})).map((p) => p.name);
    assert.ok(names.includes('m1/m1'), `the guest keeps its name: ${names.join(', ')}`);
    const still = await listedOnline(o2, m1.fingerprint);
    assert.deepEqual(still.groups, ['lab'], 'the guest is still let in');
    const term = await cli(['term', 'o2', '--home', m1.home, '--', 'sh', '-c', 'echo still-in'], 20_000);
    assert.match(term.stdout, /still-in/, 'and its terminal still opens');
  },
);
