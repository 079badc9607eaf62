/**
 * `clawbridge group …` against real agents on a relay only (no direct listener anywhere), as a person
 * types it (docs/cli.md §Groups): the owner creates `lab` with its own device and invites; the
 * member's device joins with the link and lists the group; the owner lists its member and the used
 * invitation with the joiner's fingerprint to compare; the code is single use; a cancelled code finds
 * nobody; a member cannot invite; the history answers; errors say what to do, and `--json` prints
 * what the agent answered.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GroupInfo } from '../../src-main/groups/groups-contract.js';
import type { HistoryResult, InvitationInfo } from '../../src-main/group-members/group-members-contract.js';
import {
  agentCall,
  cli,
  cliJson,
  nodeId,
  startAgent,
  startRelay,
  stopAll,
  tempHome,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

interface Node {
  name: string;
  home: string;
  fingerprint: string;
}

let owner: Node;
let member: Node;
let outsider: Node;

async function startNode(name: string, relayUrl: string): Promise<Node> {
  const home = tempHome(`group-cli-${name}`);
  await startAgent(home, { name, relay: relayUrl, listen: false });
  // Codes are met on the relay: wait until it is connected.
  await until(
    `${name} on the relay`,
    async () => (await agentCall(home, 'status', {})).relays.some((r) => r.connected),
    30_000,
  );
  return { name, home, fingerprint: (await nodeId(home)).fingerprint };
}

async function ok(args: string[], timeoutMs?: number): Promise<string> {
  const r = await cli(args, timeoutMs);
  assert.equal(r.code, 0, `clawbridge ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function fails(args: string[], timeoutMs?: number): Promise<string> {
  const r = await cli(args, timeoutMs);
  assert.notEqual(r.code, 0, `clawbridge ${args.join(' ')} should fail: ${r.stdout}`);
  return r.stderr;
}

before(async () => {
  const relay = await startRelay();
  [owner, member, outsider] = await Promise.all([
    startNode('owner-one', relay.url),
    startNode('mira', relay.url),
    startNode('xavier', relay.url),
  ]);
});

test(
  'the owner creates a group of its own device, invites, and the device entering the link is its member',
  { timeout: 180_000 },
  async () => {
    const created = await cliJson<GroupInfo>(['group', 'create', 'lab', '--home', owner.home]);
    assert.equal(created.role, 'owner');
    assert.match(
      await ok(['group', 'add', 'lab', 'owner-one', '--home', owner.home]),
      /owner-one\s+this device/,
    );

    const invitation = await cliJson<InvitationInfo>([
      'group',
      'invite',
      'lab',
      '--ttl',
      '5m',
      '--home',
      owner.home,
    ]);
    assert.equal(invitation.state, 'open');
    assert.match(invitation.link, /^clawbridge:\/\/group\?invite=/);
    const open = await cliJson<InvitationInfo[]>(['group', 'invitations', 'lab', '--home', owner.home]);
    assert.deepEqual(
      open.map((i) => [i.code, i.state]),
      [[invitation.code, 'open']],
    );

    const joinedText = await ok(['group', 'join', invitation.link, '--home', member.home], 150_000);
    assert.match(joinedText, /joined group lab, invited by owner-one/);
    assert.ok(
      joinedText.includes(owner.fingerprint.slice(0, 4)),
      `the inviter's fingerprint to compare is shown: ${joinedText}`,
    );

    const seen = await cliJson<GroupInfo[]>(['group', 'ls', '--home', member.home]);
    assert.deepEqual(
      seen.map((g) => [g.name, g.role, g.devices.map((d) => d.fingerprint)]),
      [['lab', 'member', [owner.fingerprint]]],
      "the member's device lists the group and its device",
    );
    assert.equal(seen[0]?.members, undefined, 'a member does not see the members');
    assert.match(
      await ok(['group', '--home', member.home]),
      /lab \(you are a member; members may: terminal\)/,
    );

    const owned = await cliJson<GroupInfo[]>(['group', 'ls', '--home', owner.home]);
    assert.deepEqual(
      owned[0]?.members?.map((m) => [m.name, m.root]),
      [['mira', member.fingerprint]],
    );
    const [used] = await cliJson<InvitationInfo[]>(['group', 'invitations', '--home', owner.home]);
    assert.equal(used?.state, 'used');
    assert.equal(used?.by?.fingerprint, member.fingerprint, "the joiner's fingerprint, to compare");
    assert.match(await ok(['group', 'invitations', '--home', owner.home]), /used\s+\S+\s+mira/);

    // Single use: another device with the same code finds nobody waiting for it.
    const again = await fails(['group', 'join', invitation.code, '--home', outsider.home], 90_000);
    assert.match(again, /code invalid or expired/);
    assert.deepEqual(await cliJson<GroupInfo[]>(['group', 'ls', '--home', outsider.home]), []);
  },
);

test(
  'a cancelled invitation finds nobody; cancelling it again says it is not open',
  { timeout: 120_000 },
  async () => {
    const shown = await ok(['group', 'invite', 'lab', '--home', owner.home]);
    const link = /^link: +(\S+)$/m.exec(shown)?.[1];
    assert.ok(link, `a link: ${shown}`);
    assert.ok(
      shown.includes(`on the member's device run: clawbridge group join '${link}'`),
      `the command with the link itself, quoted, not a placeholder: ${shown}`,
    );
    await ok(['group', 'cancel', /^code: +(\S+)$/m.exec(shown)?.[1] ?? 'none', '--home', owner.home]);
    const invitation = await cliJson<InvitationInfo>(['group', 'invite', 'lab', '--home', owner.home]);
    assert.match(
      await ok(['group', 'cancel', invitation.code, '--home', owner.home]),
      new RegExp(`invitation ${invitation.code} to lab cancelled`),
    );
    assert.match(
      await fails(['group', 'join', invitation.link, '--home', outsider.home], 90_000),
      /code invalid or expired/,
    );
    assert.match(
      await fails(['group', 'cancel', invitation.code, '--home', owner.home]),
      /not an open invitation of this node .*clawbridge group invitations/,
    );
  },
);

test(
  'only the owner invites or reads the history; a bad --ttl or an unknown group says what to do',
  { timeout: 60_000 },
  async () => {
    assert.match(
      await fails(['group', 'invite', 'lab', '--home', member.home]),
      /only the owner of group lab can invite members/,
    );
    assert.match(
      await fails(['group', 'history', 'lab', '--home', member.home]),
      /only the owner of group lab can see its history/,
    );
    assert.match(
      await fails(['group', 'invite', 'lab', '--ttl', '2s', '--home', owner.home]),
      /--ttl must be between 10s and 24h/,
    );
    assert.match(await fails(['group', 'invite', 'nope', '--home', owner.home]), /no group named 'nope'/);
    assert.match(
      await fails(['group', 'add', 'lab', 'nosuch', '--home', owner.home]),
      /no device named 'nosuch': a group holds this node \(owner-one\) and its peers marked mine; `clawbridge peers --home \S+` lists them/,
    );
    assert.match(await fails(['group', 'join', 'not-a-code', '--home', outsider.home]), /pair code/);
  },
);

test(
  "the owner's history of the group answers from its devices, with none unasked",
  { timeout: 60_000 },
  async () => {
    const history = await cliJson<HistoryResult>(['group', 'history', 'lab', '--home', owner.home]);
    assert.equal(history.group.name, 'lab');
    assert.deepEqual(
      history.sources.map((s) => [s.device.fingerprint, s.answered]),
      [[owner.fingerprint, true]],
    );
    assert.match(
      await ok(['group', 'history', 'lab', '--home', owner.home]),
      /no member sessions on the devices of lab/,
    );
  },
);

test(
  "a group's code is not pairing's: `pair list` leaves it out, and neither command spends the other's code",
  { timeout: 120_000 },
  async () => {
    const invitation = await cliJson<InvitationInfo>(['group', 'invite', 'lab', '--home', owner.home]);
    const { codes } = await agentCall(owner.home, 'pair.list', {});
    assert.deepEqual(codes, [], 'no pairing code open');
    assert.match(
      await fails(['pair', 'cancel', invitation.code, '--home', owner.home]),
      /not an open code of this node/,
    );
    // The link is no pairing invite: refused before anything is looked for, the code still open.
    assert.match(
      await fails(['pair', 'join', invitation.link, '--home', outsider.home]),
      /invite must start with clawbridge:\/\/join/,
    );
    // Looked up over the control socket, as `group invitations --json` does (the first test checks that
    // command's words): a CLI process costs ~0.4 s of CPU.
    const [stillOpen] = (await agentCall(owner.home, 'groups.invitations', {})).invitations;
    assert.equal(stillOpen?.state, 'open');
    // The bare code reaches the owner, which tells it is a group's before anything spends it.
    const asPairing = await fails(
      ['pair', 'join', invitation.code, '--timeout', '60s', '--home', outsider.home],
      90_000,
    );
    assert.ok(
      asPairing.includes(`\`clawbridge group join ${invitation.code} --home ${outsider.home}\``),
      `names the command that takes it, with the code: ${asPairing}`,
    );
    assert.match(asPairing, /the code is still good/);
    assert.deepEqual(await agentCall(outsider.home, 'peers.list', {}), [], 'the joiner paired with nobody');
    assert.deepEqual(await agentCall(owner.home, 'pending.list', {}), [], 'the owner has no request');
    const [open] = (await agentCall(owner.home, 'groups.invitations', {})).invitations;
    assert.equal(open?.state, 'open', 'the invitation is still open');
    assert.ok(
      (await ok(['group', 'cancel', invitation.code, '--home', owner.home])).includes('cancelled'),
      'and can be cancelled',
    );

    // A pairing code in `group join` is told apart as well, and stays open for `pair join`.
    const pairing = await agentCall(owner.home, 'pair.new', {});
    const asGroup = await fails(['group', 'join', pairing.code, '--home', outsider.home], 90_000);
    assert.ok(
      asGroup.includes(`\`clawbridge pair join ${pairing.code} --home ${outsider.home}\``),
      `names pair join with the code: ${asGroup}`,
    );
    const { codes: pairingOpen } = await agentCall(owner.home, 'pair.list', {});
    assert.deepEqual(
      pairingOpen.map((c) => c.code),
      [pairing.code],
      'the pairing code is still open',
    );
    await ok(['pair', 'cancel', pairing.code, '--home', owner.home]);
    const members = (await agentCall(owner.home, 'groups.list', {})).groups[0]?.members;
    assert.deepEqual(
      members?.map((m) => m.name),
      ['mira'],
      'nobody became a member',
    );
  },
);

test(
  'the owner renames the group and its member sees the new name; a member cannot, nor can a name be taken twice',
  { timeout: 120_000 },
  async () => {
    assert.match(await ok(['group', 'rename', 'lab', 'bench', '--home', owner.home]), /renamed lab to bench/);
    await until(
      "the member's device to list the group under its new name",
      // Polled over the control socket, as `group ls --json` asks: a CLI process a poll was ~0.4 s of CPU.
      async () => (await agentCall(member.home, 'groups.list', {})).groups.some((g) => g.name === 'bench'),
      60_000,
    );
    assert.match(
      await fails(['group', 'rename', 'bench', 'mine-now', '--home', member.home]),
      /only the owner of group bench can rename the group/,
    );
    await ok(['group', 'create', 'other', '--home', owner.home]);
    assert.match(
      await fails(['group', 'rename', 'bench', 'Other', '--home', owner.home]),
      /a group named 'Other' exists already/,
    );
    const names = (await agentCall(owner.home, 'groups.list', {})).groups.map((g) => g.name).sort();
    assert.deepEqual(names, ['bench', 'other'], 'the refused rename changed nothing');
  },
);

test(
  "each change of the group is in the audit log of the owner's device and of the member's, with who did it",
  { timeout: 60_000 },
  async () => {
    type Line = {
      kind: string;
      change?: string;
      by?: { name: string };
      peer?: { name: string };
      group?: string;
      outcome: string;
    };
    const lines = async (at: Node) =>
      (await agentCall(at.home, 'audit.list', {})).events as unknown as Line[];
    const said = (events: Line[]) =>
      new Set(
        events
          .filter((e) => e.kind === 'group-change' || e.kind === 'invitation')
          .map(
            (e) =>
              `${e.kind === 'group-change' ? 'group' : e.kind} ${e.change}${e.by ? ` by ${e.by.name}` : ''}${e.peer ? ` → ${e.peer.name}` : ''} @${e.group} ${e.outcome}`,
          ),
      );
    const onOwner = await until("the owner's lines", async () => {
      const s = said(await lines(owner));
      return s.has('group renamed by owner-one @bench ok') && s;
    });
    for (const line of [
      'group created by owner-one @lab ok',
      'group owner-added by owner-one → owner-one @lab ok',
      'group device-added by owner-one → owner-one @lab ok',
      'invitation made @lab ok',
      'invitation used → mira @lab ok',
      'invitation cancelled @lab ok',
      'group member-added by owner-one → mira @lab ok',
    ])
      assert.ok(onOwner.has(line), `the owner's device has "${line}": ${[...onOwner].join('; ')}`);
    const onMember = await until("the member's lines", async () => {
      const s = said(await lines(member));
      return s.has('group renamed by owner-one @bench ok') && s;
    });
    assert.ok(onMember.has('group joined by owner-one @lab ok'), `joined: ${[...onMember].join('; ')}`);
    assert.ok(
      !onMember.has('group created by owner-one @lab ok'),
      "the member's device writes its join, not the group's past",
    );
    assert.deepEqual(said(await lines(outsider)), new Set(), 'nothing on a device the group never reached');
    const text = await ok(['log', '--home', owner.home]);
    assert.match(text, /GROUP/, 'the table has a group column');
    assert.match(text, /group-change member-added by owner-one\s+mira \([0-9a-f]{8}\)\s+lab\s/, text);
  },
);
