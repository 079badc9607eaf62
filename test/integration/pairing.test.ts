/**
 * Pairing for real (issue acceptance): a relay and three agents as separate processes on loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerInfo, PendingInfo, PairNewResult } from '../../src-main/api/contract.js';
import {
  agentCall,
  cli,
  cliJson,
  startProcess,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
  type Proc,
  nodeId,
  startAgent,
} from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

let relayUrl = '';
const homes = { a: '', b: '', c: '' };
const agents: Record<string, Proc> = {};

// Over the control socket, as `peers --json` and `pending --json` ask: polled, a CLI process a poll
// cost ~40 processes of this file (the commands themselves are run where their output is the point).
const peers = (home: string): Promise<PeerInfo[]> => agentCall(home, 'peers.list', {});
const pending = (home: string): Promise<PendingInfo[]> => agentCall(home, 'pending.list', {});
// A code to join with, as `pair new --json` prints it: the first test runs the command itself; the
// others need only a code, and a CLI process costs ~0.4 s of CPU.
const newCode = (home: string): Promise<PairNewResult> => agentCall(home, 'pair.new', {});

before(async () => {
  relayUrl = (await startRelay()).url;
  await Promise.all(
    (['a', 'b', 'c'] as const).map(async (name) => {
      homes[name] = tempHome(name);
      agents[name] = await startRelayAgent(homes[name], name, relayUrl);
    }),
  );
});

test('code → pending via code → approve → paired, both online; the code is single use', async () => {
  const code = await cliJson<PairNewResult>(['pair', 'new', '--home', homes.a]);
  assert.match(code.code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.match(code.invite, /^clawbridge:\/\/join\?invite=[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}(&|$)/);
  const join = cli(['pair', 'join', code.code, '--home', homes.b, '--timeout', '30s']);
  const idB = await nodeId(homes.b);
  const req = await until(
    'B pending on A',
    async () => (await pending(homes.a)).find((p) => p.fingerprint === idB.fingerprint),
    30_000,
  );
  assert.equal(req.via, 'code');
  assert.equal(req.name, 'b');
  // The agent's notice names the command with this home, so it works when pasted.
  await until('the notice on A', () => /asks to pair/.test(agents.a!.stderr()), 30_000);
  assert.ok(
    agents.a!.stderr().includes(`\`clawbridge pending --home ${homes.a}\` to review`),
    agents.a!.stderr(),
  );
  const approve = await cli(['approve', '--latest', '--home', homes.a]);
  assert.equal(approve.code, 0, approve.stderr);
  assert.match(approve.stdout, /b may do here: terminal, forward/);
  const joined = await join;
  assert.equal(joined.code, 0, joined.stderr);
  assert.match(joined.stdout, /^paired with a \(fingerprint [0-9a-f ]+\)$/m);
  await until(
    'A sees B online',
    async () => (await peers(homes.a)).find((p) => p.name === 'b')?.online,
    30_000,
  );
  await until(
    'B sees A online',
    async () => (await peers(homes.b)).find((p) => p.name === 'a')?.online,
    30_000,
  );
  // The joiner granted the issuer nothing it did not choose.
  assert.deepEqual((await peers(homes.b)).find((p) => p.name === 'a')?.allow, []);

  const again = await cli(['pair', 'join', code.code, '--home', homes.c, '--timeout', '10s']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /code invalid or expired/);
});

test('a code with one secret character changed fails on both sides and burns the code', async () => {
  const code = await newCode(homes.a);
  const last = code.code.at(-1)!;
  const wrong = code.code.slice(0, -1) + (last === 'A' ? 'B' : 'A');
  const r = await cli(['pair', 'join', wrong, '--home', homes.c, '--timeout', '10s']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pairing failed: the code was wrong or someone interfered/);
  await until(
    'issuer reports the failure',
    () => /pairing with code .* failed/.test(agents.a!.stderr()),
    30_000,
  );
  assert.doesNotMatch(agents.a!.stderr(), /pairing failed: pairing failed/, 'said once');
  const retry = await cli(['pair', 'join', code.code, '--home', homes.c, '--timeout', '10s']);
  assert.match(retry.stderr, /code invalid or expired/, 'the right code no longer works either');
  assert.equal(
    (await pending(homes.a)).some((p) => p.name === 'c'),
    false,
    'nothing stored',
  );
});

test('Ctrl-C in pair join cancels it: the request on the issuer is withdrawn, and nothing pairs', async () => {
  const code = await newCode(homes.a);
  const join = startProcess(['pair', 'join', code.code, '--home', homes.c, '--timeout', '30s']);
  await until(
    'C pending on A',
    async () => (await pending(homes.a)).find((p) => p.name === 'c' && p.via === 'code'),
    30_000,
  );
  assert.equal(await join.stop('SIGINT'), 130);
  assert.match(join.stderr(), /pairing cancelled/);
  await until(
    'the request withdrawn on A',
    async () => !(await pending(homes.a)).some((p) => p.name === 'c' && p.via === 'code'),
    30_000,
  );
  const late = await cli(['approve', '--latest', '--home', homes.a]);
  assert.notEqual(late.code, 0, 'nothing left to approve');
  assert.equal(
    (await peers(homes.a)).some((p) => p.name === 'c'),
    false,
  );
  assert.equal(
    (await peers(homes.c)).some((p) => p.name === 'a'),
    false,
  );
  assert.match(agents.a!.stderr(), /c .* stopped waiting; its request to pair is withdrawn/);
});

test('reject makes the joiner print "rejected by a" and exit non-zero', async () => {
  const code = await newCode(homes.a);
  const join = cli(['pair', 'join', code.code, '--home', homes.c, '--timeout', '30s']);
  const req = await until(
    'C pending',
    async () => (await pending(homes.a)).find((p) => p.name === 'c'),
    30_000,
  );
  const rej = await cli(['reject', req.id, '--json', '--home', homes.a]);
  assert.equal(rej.code, 0, rej.stderr);
  assert.equal((JSON.parse(rej.stdout) as { name: string }).name, 'c');
  const r = await join;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /rejected by a/);
  assert.equal((await peers(homes.c)).length, 0);
});

test('peers remove: the removed node sees us offline within seconds and cannot link back', async () => {
  const removed = await cli(['peers', 'remove', 'b', '--home', homes.a]);
  assert.equal(removed.code, 0, removed.stderr);
  await until(
    'B sees A offline',
    async () => (await peers(homes.b)).find((p) => p.name === 'a')?.online === false,
    20_000,
  );
  // B keeps trying; A refuses it and it does not come back as pending.
  await sleep(3000, 'B must not come back within this window');
  assert.equal((await peers(homes.b)).find((p) => p.name === 'a')?.online, false);
  assert.equal(
    (await pending(homes.a)).some((p) => p.name === 'b'),
    false,
  );
});

test('paired again after a removal: the joiner keeps its own name and permissions for the issuer', async () => {
  // B calls A "office" and lets it open terminals; A removed B (the test before) and pairs again.
  // Set up over the control socket, as the commands do: what they print is not what this test is about.
  await agentCall(homes.b, 'peers.rename', { peer: 'a', name: 'office' });
  await agentCall(homes.b, 'peers.allow', { peer: 'office', permission: 'terminal' });
  const code = await newCode(homes.a);
  const join = cli(['pair', 'join', code.code, '--home', homes.b, '--timeout', '30s']);
  await until('B pending on A', async () => (await pending(homes.a)).find((p) => p.name === 'b'), 30_000);
  assert.equal((await cli(['approve', '--latest', '--home', homes.a])).code, 0);
  const joined = await join;
  assert.equal(joined.code, 0, joined.stderr);
  assert.match(joined.stdout, /^office may do here: terminal$/m);
  const idA = await nodeId(homes.a);
  const a = (await peers(homes.b)).filter((p) => p.fingerprint === idA.fingerprint);
  assert.deepEqual(
    a.map((p) => [p.name, p.allow]),
    [['office', ['terminal']]],
  );
});

test('paired again after a removal: the approver keeps its own name, permissions and limits too', async () => {
  // A calls B "laptop", lets it forward only to one place (and message, as approved by default); B
  // removes A, then pairs again by A's code.
  await agentCall(homes.a, 'peers.rename', { peer: 'b', name: 'laptop' });
  await agentCall(homes.a, 'peers.deny', { peer: 'laptop', permission: 'terminal' });
  await agentCall(homes.a, 'peers.limit', { peer: 'laptop', forwardTo: ['10.0.0.5:22'] });
  await agentCall(homes.b, 'peers.remove', { peer: 'office' });
  const code = await newCode(homes.a);
  const join = cli(['pair', 'join', code.code, '--home', homes.b, '--timeout', '30s']);
  const req = await until(
    'B pending on A by its code',
    // By the code: a request of B's by fingerprint alone (a dial left over from the removal) is not
    // what `approve --latest` approves, and was once seen first on a loaded machine.
    async () => (await pending(homes.a)).find((p) => p.name === 'b' && p.via === 'code'),
    30_000,
  );
  assert.deepEqual(req.knownAs, { name: 'laptop', allow: ['forward', 'message'] });
  const approved = await cli(['approve', '--latest', '--home', homes.a]);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, /^laptop may do here: forward, message$/m);
  assert.equal((await join).code, 0);
  const b = (await peers(homes.a)).find((p) => p.name === 'laptop');
  assert.deepEqual([b?.allow, b?.forwardTo], [['forward', 'message'], ['10.0.0.5:22']]);
});

test('adding a node by fingerprint on one side makes it pending via fingerprint on the other', async () => {
  const homeD = tempHome('d');
  const d = await startAgent(homeD, { name: 'd', relay: relayUrl, listen: '127.0.0.1:0' });
  const idA = await nodeId(homes.a);
  const idD = await nodeId(homeD);
  await agentCall(homeD, 'peers.add', { fingerprint: idA.fingerprint, name: 'a' });
  const req = await until(
    'D pending on A via fingerprint',
    async () => (await pending(homes.a)).find((p) => p.fingerprint === idD.fingerprint),
    30_000,
  );
  assert.equal(req.via, 'fingerprint');
  assert.equal(req.name, 'd');
  // Unapproved, D can do nothing: it is not online for A's peers list, and D sees A offline.
  assert.equal((await peers(homeD)).find((p) => p.name === 'a')?.online, false);
  // A fingerprint-only request is approved by id only with the fingerprint the owner compared.
  const unconfirmed = await cli(['approve', req.id, '--allow', 'none', '--home', homes.a]);
  assert.equal(unconfirmed.code, 1);
  assert.match(unconfirmed.stderr, /came with only a fingerprint, no pairing code: compare/);
  // The command it suggests does not carry the fingerprint: pasting it must not skip the comparison.
  assert.ok(!unconfirmed.stderr.includes(`--fingerprint ${idD.fingerprint}`), unconfirmed.stderr);
  assert.match(unconfirmed.stderr, /`clawbridge approve \S+ --fingerprint FINGERPRINT --home /);
  const wrongFp = await cli(['approve', req.id, '--fingerprint', idA.fingerprint, '--home', homes.a]);
  assert.equal(wrongFp.code, 1);
  assert.match(wrongFp.stderr, /nothing was approved/);
  const approve = await cli([
    'approve',
    req.id,
    '--fingerprint',
    idD.fingerprint.toUpperCase(),
    '--allow',
    'none',
    '--home',
    homes.a,
  ]);
  assert.equal(approve.code, 0, approve.stderr);
  await until('A–D link', async () => (await peers(homes.a)).find((p) => p.name === 'd')?.online, 30_000);
  assert.deepEqual((await peers(homes.a)).find((p) => p.name === 'd')?.allow, []);

  // C was rejected by A earlier: adding A by fingerprint does not make it pending again.
  const idC = await nodeId(homes.c);
  await agentCall(homes.c, 'peers.add', { fingerprint: idA.fingerprint, name: 'a' });
  await sleep(3000, 'C must not become pending within this window');
  assert.equal(
    (await pending(homes.a)).some((p) => p.fingerprint === idC.fingerprint),
    false,
  );
  await d.stop();
});

test('bad input: malformed codes and invites are one-line errors, nothing stored', async () => {
  for (const [input, re] of [
    ['ABC', /pair code must be 12 characters/],
    ['K7QX-M2RT-9WZU', /not a code character/],
    [
      'clawbridge://pair/K7QX-M2RT-9WZA?relay=http%3A%2F%2Fx',
      /invite relay must be a ws:\/\/ or wss:\/\/ URL/,
    ],
  ] as const) {
    const r = await cli(['pair', 'join', input, '--home', homes.c, '--timeout', '5s']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('approve --latest never approves a fingerprint-only stranger posing as the joiner', async () => {
  // The attack: while C's code-verified join waits, a stranger who knows only A's fingerprint sends a
  // hello under the name "c". `approve --latest` used to pick the newest request, whatever its kind.
  const idA = await nodeId(homes.a);
  const homeC2 = tempHome('c2');
  const homeS = tempHome('s');
  const [c2, stranger] = await Promise.all([
    startAgent(homeC2, { name: 'c2', relay: relayUrl, listen: '127.0.0.1:0' }),
    startAgent(homeS, { name: 'c2', relay: relayUrl, listen: false }),
  ]);
  const idC2 = await nodeId(homeC2);
  const idS = await nodeId(homeS);

  assert.equal((await cli(['approve', '--latest', '--home', homes.a])).code, 1, 'nothing verified yet');
  const code = await newCode(homes.a);
  const join = cli(['pair', 'join', code.code, '--home', homeC2, '--timeout', '60s']);
  await until(
    'C2 pending',
    async () => (await pending(homes.a)).find((p) => p.fingerprint === idC2.fingerprint),
    30_000,
  );
  await agentCall(homeS, 'peers.add', { fingerprint: idA.fingerprint, name: 'a' });
  const list = await until(
    'stranger pending after C2',
    async () => {
      const l = await pending(homes.a);
      return l.some((p) => p.fingerprint === idS.fingerprint) ? l : undefined;
    },
    30_000,
  );
  const fake = list.find((p) => p.fingerprint === idS.fingerprint)!;
  const real = list.find((p) => p.fingerprint === idC2.fingerprint)!;
  assert.equal(fake.via, 'fingerprint');
  assert.equal(fake.name, real.name, 'the stranger took the same name');
  assert.notEqual(fake.displayName, real.displayName, 'two requests with one name are told apart');
  assert.ok(
    fake.displayName.includes(idS.fingerprint.slice(0, 8)),
    'fake.displayName.includes(idS.fingerprint.slice(0, 8))',
  );
  const table = await cli(['pending', '--home', homes.a]);
  assert.ok(table.stdout.includes(`c2 (${idS.fingerprint.slice(0, 8)})`), table.stdout);
  assert.match(table.stdout, /fingerprint only: compare!/);

  const approve = await cli(['approve', '--latest', '--home', homes.a]);
  assert.equal(approve.code, 0, approve.stderr);
  const joined = await join;
  assert.equal(joined.code, 0, joined.stderr);
  const paired = (await peers(homes.a)).map((p) => p.fingerprint);
  assert.ok(paired.includes(idC2.fingerprint), 'the real joiner was approved');
  assert.ok(!paired.includes(idS.fingerprint), 'the stranger was not');
  assert.ok(
    (await pending(homes.a)).some((p) => p.fingerprint === idS.fingerprint),
    'still waiting',
  );
  // With only the fingerprint-only request left, --latest refuses and says how to proceed.
  const again = await cli(['approve', '--latest', '--home', homes.a]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no code-verified request is pending/);
  await agentCall(homes.a, 'pending.reject', { id: fake.id });
  await Promise.all([c2.stop(), stranger.stop()]);
});

test("pairing attempts are limited per source: a stranger's junk does not lock out a real joiner", async () => {
  // The attack: hellos with junk tags on circuits opened straight to A's ID (bypassing the relay's
  // rendezvous limit) used to use up A's node-wide budget, so a real joiner got "code invalid".
  const { attackPairing } = await import('../helpers/pairing-attacker.js');
  const idA = await nodeId(homes.a);
  const outcomes = await attackPairing(relayUrl, idA.fingerprint, 25);
  assert.equal(outcomes.filter((o) => o === 'code-invalid').length, 5, outcomes.join(','));
  assert.ok(
    outcomes.slice(5).every((o) => /^rate-limited \d+$/.test(o)),
    outcomes.join(','),
  );
  const homeE = tempHome('e');
  const e = await startAgent(homeE, { name: 'e', relay: relayUrl, listen: false });
  const code = await newCode(homes.a);
  const join = cli(['pair', 'join', code.code, '--home', homeE, '--timeout', '30s']);
  const req = await until(
    'E pending',
    async () => (await pending(homes.a)).find((p) => p.name === 'e'),
    30_000,
  );
  assert.equal(req.via, 'code');
  await agentCall(homes.a, 'pending.reject', { id: req.id });
  assert.match((await join).stderr, /rejected by a/);
  await e.stop();
});

test('an issuer killed while a joiner waits forgets that request when it starts again (approving it would pair one side)', async () => {
  const home = tempHome('crashing-issuer');
  let issuer = await startRelayAgent(home, 'issuer', relayUrl);
  const code = await newCode(home);
  const join = cli(['pair', 'join', code.code, '--home', homes.c, '--timeout', '30s']);
  await until('C pending on the issuer', async () => (await pending(home)).length > 0, 30_000);
  await issuer.stop('SIGKILL');
  const joined = await join;
  assert.equal(joined.code, 1);
  issuer = await startRelayAgent(home, 'issuer', relayUrl);
  assert.deepEqual(await pending(home), []);
  // For scripts: waiting for a request that does not come ends with exit 1.
  const waited = await cli(['pending', '--wait', '1s', '--home', home]);
  assert.equal(waited.code, 1);
  assert.equal(waited.stdout.trim(), 'no pending requests after 1s');
  // peers rename takes the new name as an argument: its refusal says so, not --name.
  const blank = await cli(['peers', 'rename', 'x', '   ', '--home', home]);
  assert.equal(blank.code, 1);
  assert.match(blank.stderr, /^clawbridge: the new name: a node name is blank$/m);
  await issuer.stop();
});

test('pair list shows open codes and pair cancel retires one: nobody can join with it after', async () => {
  const code = await newCode(homes.a);
  const listed = (await agentCall(homes.a, 'pair.list', {})).codes;
  assert.ok(
    listed.some((c) => c.code === code.code),
    'listed.some((c) => c.code === code.code)',
  );
  // --home before the subcommand, as every other command takes it.
  const table = await cli(['pair', '--home', homes.a, 'list']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`^${code.code}\\s`, 'm'));
  const cancelled = await cli(['pair', 'cancel', code.code, '--home', homes.a]);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.equal(cancelled.stdout.trim(), `code ${code.code} cancelled`);
  assert.ok(
    !(await agentCall(homes.a, 'pair.list', {})).codes.some((c) => c.code === code.code),
    'the cancelled code is no longer listed',
  );
  const again = await cli(['pair', 'cancel', code.code, '--home', homes.a]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is not an open code of this node/);
  const join = await cli(['pair', 'join', code.code, '--home', homes.c, '--timeout', '5s']);
  assert.equal(join.code, 1);
  assert.match(join.stderr, /code invalid or expired/);
});
