/**
 * Groups with real agents on loopback and a relay (issue items 1 and 2; ADR 0092): the owner's devices
 * O1–O3 (mine), a member's devices M1 and M2 (mine to each other, relay-only), an outsider X
 * (relay-only). O1 makes `lab` with O2 and O3 and M1 becomes its member (`group invite`, `group
 * join`); M1 and M2 then see O2 and O3 and open terminals on them over the relay, a forward only once
 * the owner allows it (and M1's `peers` says so, and says it again when the words change back),
 * nothing on O1, and cannot change the group; X reaches nothing. Then O3 goes
 * offline, O1 removes the member: M1's open terminal on O2 ends, a new one is refused, and O3, back,
 * lets neither M1 nor M2 in, and tells M2, offline at the removal, that it is out.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import {
  groupsUntil,
  listGroups,
  makeMember,
  mine,
  restart,
  startGroupNode,
  type GroupNode,
} from '../helpers/group-agents.js';
import { agentCall, CLI, cli, peerOf, startRelay, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** The bound for a member to see the group's devices. */
const JOIN_MS = 30_000;
/** The bound for a removal to end a member's open terminal. */
const REMOVAL_MS = 5_000;

const nodes: Record<string, GroupNode> = {};

/** `clawbridge term DEVICE --home FROM -- sh -c 'echo WORD'` to completion. */
function echo(from: GroupNode, device: string, word: string) {
  return cli(['term', device, '--home', from.home, '--', 'sh', '-c', `echo ${word}`], 20_000);
}

/** Whether a connection to the forward at `local` carries a word there and back. */
function through(local: string): Promise<boolean> {
  const [host, port] = [
    local.slice(0, local.lastIndexOf(':')),
    Number(local.slice(local.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const sock = connect(port, host);
    let got = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(5_000, () => done(false));
    sock.on('connect', () => sock.write('ping'));
    sock.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.includes('ping')) done(true);
    });
    sock.on('close', () => done(got.includes('ping')));
    sock.on('error', () => done(false));
  });
}

/** Waits until M's `term DEVICE` answers (the group's device lets it in once the records arrived). */
async function answers(from: GroupNode, device: string): Promise<void> {
  const word = `answer-${from.name}-${device}`;
  await until(
    `${from.name}: term ${device} answers`,
    async () => {
      const r = await echo(from, device, word);
      return r.code === 0 && r.stdout.includes(word);
    },
    JOIN_MS,
  );
}

test('item 1: the member and its other device reach the group devices, and nothing else', async () => {
  const relay = await startRelay();
  const [o1, o2, o3, m1, m2, x] = await Promise.all([
    startGroupNode('o1', 'grp', relay.url, false),
    startGroupNode('o2', 'grp', relay.url, false),
    startGroupNode('o3', 'grp', relay.url, false),
    startGroupNode('m1', 'grp', relay.url, true),
    startGroupNode('m2', 'grp', relay.url, true),
    startGroupNode('x', 'grp', relay.url, true),
  ]);
  Object.assign(nodes, { o1, o2, o3, m1, m2, x });
  await mine(o1, o2);
  await mine(o1, o3);
  await mine(o2, o3);
  await mine(m1, m2);

  await agentCall(o1.home, 'groups.create', { name: 'lab' });
  await agentCall(o1.home, 'groups.add', { group: 'lab', devices: ['o2', 'o3'] });
  await groupsUntil(o2, 'lab with o2 and o3', (gs) => gs[0]?.devices.length === 2);

  await makeMember(o1, m1, 'lab');
  const [o1b, m1b] = [o1, m1];

  for (const m of [m1b, m2]) {
    const [lab] = await groupsUntil(m, 'lab with o2 and o3', (gs) => gs[0]?.devices.length === 2, JOIN_MS);
    assert.equal(lab?.role, 'member');
    assert.deepEqual(lab?.devices.map((d) => d.name).sort(), ['o2', 'o3']);
    assert.equal(lab?.members, undefined, 'a member does not see the members');
  }
  for (const m of [m1b, m2]) for (const d of ['o2', 'o3']) await answers(m, d);
  const [onOwner] = await listGroups(o1b);
  assert.deepEqual(
    onOwner?.members?.map((m) => [m.name, m.devices.length]),
    [['m1', 2]],
    'the owner sees the member with both devices',
  );

  // A forward through o2 is refused until the owner allows `forward` in the group.
  const server = createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
  after(() => server.close());
  await once(server, 'listening');
  const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  await agentCall(m1b.home, 'forward.add', {
    local: '127.0.0.1:0',
    via: 'o2',
    remote: target,
    name: 'lab-fw',
  });
  const local = await until('the forward listening', async () => {
    const f = (await agentCall(m1b.home, 'forward.list', {})).find((x) => x.name === 'lab-fw');
    return f?.state === 'listening' && f.local;
  });
  assert.equal(await through(local), false, 'the forward is refused while the group allows only terminal');
  await agentCall(o1b.home, 'groups.allow', { group: 'lab', permissions: ['terminal', 'forward'] });
  await until('the forward through o2 carries bytes', () => through(local), JOIN_MS);
  // M1's `peers` says what O2 lets it do now (ALLOWED THERE), as the group's words change.
  const allowedThere = async () => (await peerOf(m1b.home, 'o2'))?.theyAllow?.toSorted().join();
  await until(
    'm1 lists o2 allowing terminal and forward',
    async () => (await allowedThere()) === 'forward,terminal',
    JOIN_MS,
  );
  await agentCall(o1b.home, 'groups.allow', { group: 'lab', permissions: ['terminal'] });
  await until(
    'm1 lists o2 allowing terminal alone',
    async () => (await allowedThere()) === 'terminal',
    JOIN_MS,
  );
  await until('the forward through o2 is refused again', async () => !(await through(local)), JOIN_MS);
  await agentCall(o1b.home, 'groups.allow', { group: 'lab', permissions: ['terminal', 'forward'] });
  await until(
    'm1 lists o2 allowing forward again',
    async () => (await allowedThere()) === 'forward,terminal',
    JOIN_MS,
  );

  const toO1 = await echo(m1b, 'o1', 'never');
  assert.notEqual(toO1.code, 0, 'M1 reaches no device of the owner outside the group');
  assert.doesNotMatch(toO1.stdout, /never/);

  await agentCall(x.home, 'peers.add', { fingerprint: o2.fingerprint, name: 'o2' });
  const fromX = await echo(x, 'o2', 'never');
  assert.notEqual(fromX.code, 0, 'the outsider is not let in');
  assert.doesNotMatch(fromX.stdout, /never/);

  for (const [method, params] of [
    ['groups.add', { group: 'lab', devices: ['m2'] }],
    ['groups.remove', { group: 'lab', member: 'm1' }],
    ['groups.allow', { group: 'lab', permissions: ['terminal', 'forward'] }],
  ] as const) {
    await assert.rejects(
      agentCall(m1b.home, method, params as never),
      /only the owner/,
      `M1 cannot ${method}`,
    );
  }
});

test('item 2: a removal ends the open terminal, refuses new ones, and reaches an offline device', async () => {
  const { o1, o2, o3, m1, m2 } = nodes as Required<typeof nodes>;
  assert.ok(o1 && o2 && o3 && m1 && m2, 'item 1 set the nodes up');
  const open = spawn(
    process.execPath,
    [CLI, 'term', 'o2', '--home', m1.home, '--', 'sh', '-c', 'echo started; sleep 120'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  open.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  open.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const ended = new Promise<number | null>((resolve) => open.on('exit', (code) => resolve(code)));
  await until('the terminal on o2 started', () => out.includes('started'), 20_000);

  // O3 goes offline, and M2 with it: M2 comes back still holding the records that let it in.
  await o3.proc.stop();
  await m2.proc.stop();
  await agentCall(o1.home, 'groups.remove', { group: 'lab', member: 'm1' });
  const code = await until(
    "M1's terminal on o2 ended",
    () => (open.exitCode !== null || open.signalCode !== null ? { code: open.exitCode } : undefined),
    REMOVAL_MS,
  ).finally(() => open.kill());
  await ended;
  assert.notEqual(code.code, 0, 'the terminal ended with an error, not by its program');
  assert.match(err, /o2 no longer lets this node in: removed from group lab/, 'says why, and which group');

  // O3 is offline: `group ls` says so in a few words that name it, not a relay's sentence.
  const [labOnO1] = await listGroups(o1);
  const o3Line = labOnO1?.devices.find((d) => d.name === 'o3');
  assert.equal(o3Line?.online, false, 'o3 is offline');
  assert.ok(
    (o3Line?.why ?? '').length <= 80 && !(o3Line?.why ?? '').includes(o3.fingerprint.slice(0, 8)),
    `o3's reason is short and names no fingerprint: ${o3Line?.why}`,
  );

  // O2's audit log names the group on M1's session, start and end (what `group history` reads).
  await until("the session with its group in o2's audit log", async () => {
    const { events } = await agentCall(o2.home, 'audit.list', {});
    const lines = events.filter(
      (e) => e.kind === 'terminal' && e.peer?.fingerprint === m1.fingerprint && e.group === 'lab',
    );
    return (
      lines.some((e) => e.kind === 'terminal' && e.phase === 'start') &&
      lines.some((e) => e.kind === 'terminal' && e.phase === 'end')
    );
  });

  // And the removal itself, on the group's device where it took effect, with who decided it.
  await until("the removal in o2's audit log", async () => {
    const { events } = await agentCall(o2.home, 'audit.list', {});
    return events.some((e) => {
      const f = e as unknown as { change?: string; by?: { name: string } };
      return (
        e.kind === 'group-change' &&
        f.change === 'member-removed' &&
        f.by?.name === 'o1' &&
        e.peer?.fingerprint === m1.fingerprint &&
        e.group === 'lab'
      );
    });
  });

  const again = await echo(m1, 'o2', 'never');
  assert.notEqual(again.code, 0, 'a new terminal is refused');

  // On o2, M2 (offline, so not told yet), let in only to hear of it, names the group it was removed
  // from (M1, told at once, is let in no more).
  // Waited for over the control socket (a CLI process a poll cost ~0.4 s of CPU), then `peers` once.
  await until('o2 lists m2 as removed from lab', async () =>
    (await peerOf(o2.home, 'm1/m2'))?.guestOf?.includes('removed from group lab'),
  );
  const table = await cli(['peers', '--home', o2.home]);
  const listed = table.stdout
    .split('\n')
    .find((l) => l.startsWith('m1/m2 ') && l.includes('removed from group lab'));
  assert.ok(listed, `peers on o2 lists m1/m2 as removed from group lab: ${table.stdout}`);
  assert.doesNotMatch(listed, /via a group/);
  // The owner's history keeps the removed member's name.
  const history = await cli(['group', 'history', 'lab', '--home', o1.home], 60_000);
  assert.match(history.stdout, /m1 \(not a member now\)\s+m1\/m1\s+o2/, history.stdout + history.stderr);

  // M1, which heard of its removal, is stopped too, and O2, which would tell M2 (ADR 0092,
  // "Amended"), so M2 cannot hear of it from either: it dials O3 with its old records as O3 comes
  // back with its old ones.
  await m1.proc.stop();
  await o2.proc.stop();
  const [o3b, m2b] = await Promise.all([restart(o3), restart(m2)]);
  Object.assign(nodes, { o3: o3b, m2: m2b });
  // At once: O3 lets no member in until its records are fresh (an exchange with O1).
  const first = await echo(m2b, 'o3', 'never');
  assert.notEqual(first.code, 0, 'M2 is refused by o3 as it comes back');
  assert.doesNotMatch(first.stdout, /never/);
  // Once they are, the member is gone there, for both of its devices, and M2 hears of it from O3.
  await groupsUntil(o3b, 'lab without members', (gs) => gs[0]?.members?.length === 0);
  await groupsUntil(m2b, 'no lab: it heard of the removal', (gs) => gs.length === 0);
  const m1b = (nodes.m1 = await restart(m1));
  for (const m of [m1b, m2b]) {
    const r = await echo(m, 'o3', 'never');
    assert.notEqual(r.code, 0, `${m.name} is refused by o3`);
    assert.doesNotMatch(r.stdout, /never/);
  }
});
