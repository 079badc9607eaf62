/**
 * "Mine" at pairing, on both ends of `pair` (issue 57 item 1, ADR 0056), as a person types it, over a
 * relay only (no direct listener anywhere): `pair new --mine` on one device and `pair join --mine` on
 * the other leave each marking the other once the owner approves (`approve --latest`, no flag: the
 * code's mark); a code made without it is approved `--mine`; a code made with it is approved
 * `--no-mine` and marks nothing. The devices marked so introduce each other (a and c, by b) and ping.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PairNewResult, PeerInfo, PendingInfo } from '../../src-main/api/contract.js';
import {
  agentCall,
  cli,
  cliJson,
  startRelay,
  stopAll,
  tempHome,
  type CliResult,
  nodeId,
  startAgent,
} from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

/** The bounded wait the issue names for an introduction to reach every device. */
const WITHIN_MS = 10_000;

interface Node {
  name: string;
  home: string;
  fingerprint: string;
}

let relayUrl = '';

/** `clawbridge agent` on the relay only (`--no-direct`). */
async function startNode(name: string): Promise<Node> {
  const home = tempHome(`pair-mine-${name}`);
  await startAgent(home, { name, relay: relayUrl, listen: false });
  const { fingerprint } = await nodeId(home);
  // Codes are listened for on the relay: wait until it is connected.
  await until(
    `${name} on the relay`,
    async () => (await agentCall(home, 'status', {})).relays.some((r) => r.connected),
    30_000,
  );
  return { name, home, fingerprint };
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `clawbridge ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const peers = (n: Node): Promise<PeerInfo[]> => agentCall(n.home, 'peers.list', {});

/**
 * `joiner` joins a code of `issuer`'s (`pair new` with `newFlags`, `pair join` with `joinFlags`);
 * `issuer`'s owner approves the request with `approveFlags`. Returns `approve`'s output and the
 * request as `pending --json` listed it.
 */
async function pairByCode(
  issuer: Node,
  joiner: Node,
  flags: { newFlags: string[]; joinFlags: string[]; approveFlags: string[] },
): Promise<{ approved: string; request: PendingInfo; pendingText: string }> {
  const code = await cliJson<PairNewResult>(['pair', 'new', ...flags.newFlags, '--home', issuer.home]);
  const join: Promise<CliResult> = cli(
    ['pair', 'join', code.invite, ...flags.joinFlags, '--timeout', '60s', '--home', joiner.home],
    90_000,
  );
  const request = await until(
    `${joiner.name}'s request on ${issuer.name}`,
    async () =>
      (await agentCall(issuer.home, 'pending.list', {})).find((p) => p.fingerprint === joiner.fingerprint),
    30_000,
  );
  const pendingText = await ok(['pending', '--home', issuer.home]);
  const approved = await ok(['approve', '--latest', ...flags.approveFlags, '--home', issuer.home]);
  const joined = await join;
  assert.equal(joined.code, 0, joined.stderr);
  return { approved, request, pendingText };
}

/** Waits until `at` lists `peer` online and marked mine, and `peer` marks `at` too (not one-sided). */
async function mineBothWays(at: Node, peer: Node): Promise<PeerInfo> {
  return until(
    `${peer.name} mine on ${at.name}, both ways`,
    async () =>
      (await peers(at)).find(
        (p) =>
          p.fingerprint === peer.fingerprint && p.mine && p.theyMarkMine === true && p.state === 'online',
      ),
    30_000,
  );
}

let a: Node;
let b: Node;
let c: Node;

before(async () => {
  relayUrl = (await startRelay()).url;
  [a, b, c] = await Promise.all([startNode('a'), startNode('b'), startNode('c')]);
});

test('pair new --mine and pair join --mine: approve --latest marks the joiner mine, and each marks the other', async () => {
  const { approved, request, pendingText } = await pairByCode(a, b, {
    newFlags: ['--mine'],
    joinFlags: ['--mine'],
    approveFlags: [],
  });
  assert.equal(request.mine, true, 'the request says its code was made as one of my devices');
  assert.match(pendingText, /code \(verified\), one of my devices/);
  assert.match(approved, /b is marked as one of your devices/);
  await mineBothWays(a, b);
  const aOnB = await mineBothWays(b, a);
  assert.match(await ok(['peers', '--home', a.home]), /\bb\b.*\byes\b/);
  // The joiner gives its new device what an introduced one gets (mineAllow), not join's "nothing".
  assert.deepEqual(aOnB.allow, ['terminal', 'forward', 'message']);
});

test('a code made without --mine is approved --mine; then a and c, introduced by b, ping both ways over the relay', async () => {
  const { request } = await pairByCode(b, c, {
    newFlags: [],
    joinFlags: ['--mine'],
    approveFlags: ['--mine'],
  });
  assert.equal(request.mine, undefined, 'a code made without --mine marks nothing');
  await mineBothWays(b, c);
  const cOnA = await until(
    'c introduced to a',
    async () =>
      (await peers(a)).find((p) => p.fingerprint === c.fingerprint && p.mine && p.state === 'online'),
    WITHIN_MS,
  );
  const aOnC = await until(
    'a introduced to c',
    async () =>
      (await peers(c)).find((p) => p.fingerprint === a.fingerprint && p.mine && p.state === 'online'),
    WITHIN_MS,
  );
  assert.equal(cOnA.introducedBy, b.fingerprint);
  assert.equal(aOnC.introducedBy, b.fingerprint);
  assert.equal(cOnA.path, 'relay');
  assert.match(await ok(['ping', 'c', '--home', a.home]), /via relay/);
  assert.match(await ok(['ping', 'a', '--home', c.home]), /via relay/);
});

let d: Node;

test('a code made with --mine approved --no-mine: a peer, not marked mine, and nothing is introduced to it', async () => {
  d = await startNode('d');
  const { approved } = await pairByCode(a, d, {
    newFlags: ['--mine'],
    joinFlags: [],
    approveFlags: ['--no-mine'],
  });
  assert.doesNotMatch(approved, /one of your devices/);
  const dOnA = await until(
    'd online on a',
    async () => (await peers(a)).find((p) => p.fingerprint === d.fingerprint && p.state === 'online'),
    30_000,
  );
  assert.equal(dOnA.mine, false);
  // b and c are a's devices; d is not one: they never hear of it.
  await sleep(3000, 'd must not be introduced within this window');
  for (const n of [b, c]) {
    assert.ok(!(await peers(n)).some((p) => p.fingerprint === d.fingerprint), `d introduced to ${n.name}`);
  }
});

test('peers mine on a device that marks this node already: no line asking its owner to mark this node there', async () => {
  // d (the test above) is a's peer, not marked mine either way.
  const first = await ok(['peers', 'mine', 'd', 'on', '--home', a.home]);
  assert.match(first, /it counts once d marks this node too/, 'd does not mark a yet: said');
  assert.match(
    first,
    /run `clawbridge peers mine a on`/,
    'naming this node as it is called, not a placeholder',
  );
  // a asked d for introductions, and d refused (a shows it one-sided): d has heard that a marks it.
  await until(
    'a told that d does not mark it yet',
    async () => (await peers(a)).find((p) => p.fingerprint === d.fingerprint)?.theyMarkMine === false,
    WITHIN_MS,
  );
  const second = await ok(['peers', 'mine', 'a', 'on', '--home', d.home]);
  assert.match(second, /a is marked as one of your devices/);
  assert.doesNotMatch(second, /counts once/, 'a marks d already');
  await mineBothWays(a, d);
});
