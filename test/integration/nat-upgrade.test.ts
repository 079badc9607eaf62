/**
 * Upgrade in place (docs/adr/0081-direct-across-nats.md), in the NAT lab (test/helpers/nat-lab.ts): two
 * port-preserving home NATs, whose direct path is blocked at first (a drop rule on one router toward the
 * other home), so the pair links through the relay. A 200 MiB download through a TCP forward starts
 * over the relay; the block is lifted, a simultaneous open makes a direct link, and the forward's
 * stream moves onto it (it resumes from what the peer consumed, ADR 0023): the relay link is closed on
 * both sides while the download is still running, and the file arrives byte-exact (sha256).
 *
 * Then the other way: the punched link's path goes dead (the drop rule again) while pings cross it,
 * and the pair is back on the relay within seconds, the punched link let go.
 *
 * Size: RESUME_TEST_MIB (default 200, the figure).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createNatLab, natLabUnavailable, type NatLab } from '../helpers/nat-lab.js';
import { agentCall, cli, peerOf } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { befriend, natNode, startNatAgent, startNatRelay } from '../helpers/nat-agents.js';
import {
  clientScript,
  endWorld,
  expectedHash,
  MIB,
  nodeIn,
  progressOf,
  serverScript,
} from './stream-resume-world.js';

const SIZE = Number(process.env.RESUME_TEST_MIB ?? 200) * MIB;
/** Client read rate: the download takes ~20 s, so the move lands well inside it. */
const READ_RATE = SIZE / 20;

const skip = natLabUnavailable();
let lab: NatLab | undefined;
/** The pair the first test left direct, for the second. */
let direct: { a: { home: string }; b: { home: string }; block: () => () => void } | undefined;

after(async () => {
  await endWorld();
  await lab?.destroy();
});

/** Drops what home `from`'s router forwards toward `toAddr` (the direct path), in a table of its own. */
function blockDirect(from: NatLab['homes'][number], toAddr: string): () => void {
  const ns = from.router.ns;
  const nft = (...args: string[]) => lab!.run(ns, ['nft', ...args]);
  nft('add', 'table', 'inet', 'hold');
  nft('add', 'chain', 'inet', 'hold', 'forward', '{ type filter hook forward priority -10 ; }');
  nft('add', 'rule', 'inet', 'hold', 'forward', 'ip', 'daddr', toAddr, 'drop');
  return () => void nft('delete', 'table', 'inet', 'hold');
}

test(
  'a download started over the relay moves to the punched direct link, byte-exact, and the relay link is closed',
  { skip, timeout: 180_000 },
  async () => {
    lab = await createNatLab([{ nat: 'preserve' }, { nat: 'preserve' }]);
    const [homeA, homeB] = lab.homes as [NatLab['homes'][number], NatLab['homes'][number]];
    const unblock = blockDirect(homeA, homeB.publicAddr);
    const relayUrl = await startNatRelay(lab, 'nat-up-relay');
    const [a, b] = await Promise.all([natNode('nat-up-a', 'a'), natNode('nat-up-b', 'b')]);
    await Promise.all([
      startNatAgent(lab, homeA.host.ns, a, relayUrl),
      startNatAgent(lab, homeB.host.ns, b, relayUrl),
    ]);
    await befriend(a, b);
    await until(
      'a and b linked through the relay',
      async () => (await peerOf(a.home, 'b'))?.path === 'relay',
      15_000,
    );

    const serverPort = 7624;
    const forwardPort = 7625;
    const server = nodeIn(lab.exec(homeB.host.ns), serverScript(serverPort, SIZE));
    await until('the file server', () => server.lines.includes('up'), 20_000);
    const added = await cli([
      'forward',
      'add',
      '--local',
      String(forwardPort),
      '--via',
      'b',
      '--remote',
      `127.0.0.1:${serverPort}`,
      '--name',
      'f',
      '--home',
      a.home,
    ]);
    assert.equal(added.code, 0, added.stderr);

    const want = expectedHash(SIZE);
    const client = nodeIn(lab.exec(homeA.host.ns), clientScript(forwardPort, READ_RATE));
    const progress = () => progressOf(client);
    await until(
      'a tenth of the download',
      () => progress() >= SIZE / 10 || client.lines.some((l) => /^(done|error)/.test(l)),
      60_000,
    );
    assert.equal((await peerOf(a.home, 'b'))?.path, 'relay', 'the download started over the relay');

    const lifted = performance.now();
    unblock();
    const bothDirectAlone = async () => {
      const [ab, ba] = await Promise.all([peerOf(a.home, 'b'), peerOf(b.home, 'a')]);
      return ab?.links?.join() === 'direct' && ba?.links?.join() === 'direct' && ab.path === 'direct';
    };
    await until('a and b direct, with no relay link left on either side', bothDirectAlone, 30_000);
    const movedAt = progress();
    console.log(
      `direct alone ${Math.round(performance.now() - lifted)} ms after the block was lifted, at ${Math.round(movedAt / MIB)} MiB of ${SIZE / MIB}`,
    );
    assert.ok(movedAt < SIZE, 'the move landed while the download was running');
    // The punched link's far end is a throwaway port: shown as punched, never as where b listens; and
    // b, reached across NATs, announced no loopback address to a.
    const ab = (await peerOf(a.home, 'b'))!;
    assert.equal(ab.addressWhere, 'punched');
    assert.equal(ab.listenAddress, `${homeB.host.addr}:7475`, 'where b listens is its hello’s');
    assert.deepEqual(
      ab.addresses.filter((x) => x.address.startsWith('127.')),
      [],
      'no loopback announced across machines',
    );

    const end = await until(
      'the download to end',
      () => client.lines.find((l) => /^(done|error)/.test(l)),
      120_000,
    );
    assert.equal(end, `done ${SIZE} ${want}`, 'the whole file arrived, byte-exact');
    assert.ok(await bothDirectAlone(), 'still direct, and the relay was not redialed meanwhile');
    direct = { a, b, block: () => blockDirect(homeA, homeB.publicAddr) };
  },
);

test(
  'when the punched path goes dead under traffic the pair is back on the relay within seconds',
  { skip, timeout: 60_000 },
  async (t) => {
    if (!direct) return t.skip('the first test left no direct pair');
    const { a, b } = direct;
    direct.block();
    const cut = performance.now();
    // Pings cross the dead path: unanswered, they show it dead within a retransmission timeout.
    const back = await until(
      'a reaches b through the relay',
      async () => {
        const r = await agentCall(a.home, 'ping', { peer: 'b', timeoutMs: 2_000 }).catch(() => undefined);
        return r?.path === 'relay' ? r : undefined;
      },
      30_000,
    );
    console.log(
      `back on the relay ${Math.round(performance.now() - cut)} ms after the path went dead (rtt ${back.rttMs} ms)`,
    );
    await until(
      'the punched link let go on both sides',
      async () => {
        const [ab, ba] = await Promise.all([peerOf(a.home, 'b'), peerOf(b.home, 'a')]);
        return ab?.links?.join() === 'relay' && ba?.links?.join() === 'relay';
      },
      30_000,
    );
  },
);
