/**
 * After simultaneous opens give up, the pair is not relayed for good (docs/adr/0081-direct-across-nats.md
 * §Retry, give up for now, try again), in the NAT lab (test/helpers/nat-lab.ts): two port-preserving
 * home NATs whose direct path is blocked (a drop rule on one router toward the other home), so the pair
 * links through the relay and its round of opens gives up; `peers` says when the next try is. The block
 * is lifted, then:
 * - `peers retry` on the side that does not coordinate brings the pair direct, with no restart;
 * - with the agents restarted behind the block (a fresh budget of opens), only short uses — a `ping`
 *   every 2 s from the side that does not coordinate, none of them open when the next try is due —
 *   bring it direct on the backoff (docs/adr/0103-use-over-the-wait.md).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createNatLab, natLabUnavailable, type NatLab } from '../helpers/nat-lab.js';
import { agentCall, cli, peerOf, stopAll } from '../helpers/processes.js';
import { sleep, until } from '../helpers/wait.js';
import { befriend, natNode, startNatAgent, startNatRelay, type NatNode } from '../helpers/nat-agents.js';

const skip = natLabUnavailable();
let lab: NatLab | undefined;

after(async () => {
  await stopAll();
  await lab?.destroy();
});

/** The lab, its relay and the pair, made once for the file; each test starts the pair's agents. */
interface World {
  lab: NatLab;
  relayUrl: string;
  homes: [NatLab['homes'][number], NatLab['homes'][number]];
  a: NatNode;
  b: NatNode;
  coordinator: NatNode;
  other: NatNode;
  block(): void;
  heal(): void;
  /** The two added each other (once their agents first ran). */
  friends: boolean;
}
let world: Promise<World> | undefined;

async function makeWorld(): Promise<World> {
  lab = await createNatLab([{ nat: 'preserve' }, { nat: 'preserve' }]);
  const made = lab;
  const homes = made.homes as World['homes'];
  const nft = (...args: string[]) => made.run(homes[0].router.ns, ['nft', ...args]);
  const relayUrl = await startNatRelay(made, 'nat-heal-relay');
  const [a, b] = await Promise.all([natNode('nat-heal-a', 'a'), natNode('nat-heal-b', 'b')]);
  const [coordinator, other] = a.fingerprint < b.fingerprint ? [a, b] : [b, a];
  return {
    lab: made,
    relayUrl,
    homes,
    a,
    b,
    coordinator,
    other,
    block: () => {
      nft('add', 'table', 'inet', 'hold');
      nft('add', 'chain', 'inet', 'hold', 'forward', '{ type filter hook forward priority -10 ; }');
      nft('add', 'rule', 'inet', 'hold', 'forward', 'ip', 'daddr', homes[1].publicAddr, 'drop');
    },
    heal: () => nft('delete', 'table', 'inet', 'hold'),
    friends: false,
  };
}

/** Both agents running (started anew when `fresh`) with the direct path blocked. */
async function blockedPair(fresh: boolean): Promise<World> {
  world ??= makeWorld();
  const w = await world;
  w.block();
  if (fresh) {
    for (const n of [w.a, w.b]) {
      await n.proc?.stop();
      n.proc = undefined;
    }
  }
  await Promise.all([
    startNatAgent(w.lab, w.homes[0].host.ns, w.a, w.relayUrl),
    startNatAgent(w.lab, w.homes[1].host.ns, w.b, w.relayUrl),
  ]);
  if (!w.friends) await befriend(w.a, w.b);
  w.friends = true;
  return w;
}

/** Waits for the coordinator's round of opens to give up; `peers` there then says when the next is. */
async function givenUp(w: World): Promise<string> {
  // Five opens and their backoff: about 40 s.
  const p = await until(
    'the opens given up, with the next try said',
    async () => {
      const seen = await peerOf(w.coordinator.home, w.other.name);
      return seen?.path === 'relay' && seen.directRetryAt !== undefined && seen;
    },
    90_000,
  );
  return p.relayReason ?? '';
}

const bothDirect = async (w: World) =>
  (await peerOf(w.a.home, 'b'))?.path === 'direct' && (await peerOf(w.b.home, 'a'))?.path === 'direct';

test(
  'a pair whose opens gave up goes direct once the path heals and its owner runs `peers retry`',
  { skip, timeout: 150_000 },
  async () => {
    const w = await blockedPair(false);
    assert.match(
      await givenUp(w),
      /simultaneous opens failed .*; next try in \d+ (s|min) \(`peers retry` tries now\)/,
    );

    w.heal();
    const retried = await cli(['peers', 'retry', w.coordinator.name, '--home', w.other.home]);
    assert.equal(retried.code, 0, retried.stderr);
    await until('a and b direct again, with no restart', () => bothDirect(w), 30_000);
  },
);

test(
  'a pair whose opens gave up, used only by a ping every 2 s once healed, goes direct on the backoff',
  { skip, timeout: 300_000 },
  async () => {
    const w = await blockedPair(true);
    const reason = await givenUp(w);
    assert.match(reason, /next try in \d+ s/, 'the first wait after a give-up is a minute');

    w.heal();
    // The next try comes a minute after the give-up; a few more seconds for its open and the hand-over.
    // Before each ping the pair was idle for 2 s, and no stream of the owner's is open when it is due.
    let direct = false;
    for (let i = 0; i < 50 && !direct; i++) {
      // What `clawbridge ping` asks the agent, from this process: a CLI process a ping cost ~0.4 s of
      // CPU, 30 times over. A ping on a link closing as the path changes is tried again, as the CLI does.
      const pong = await until('a ping answered', () =>
        agentCall(w.other.home, 'ping', { peer: w.coordinator.name }),
      );
      assert.equal(pong.peer, w.coordinator.name, 'the coordinator answered the ping');
      direct = await bothDirect(w);
      if (!direct) await sleep(2_000, 'a short use every 2 s, as a pinging owner makes');
    }
    const seen = await peerOf(w.coordinator.home, w.other.name);
    assert.ok(direct, `a and b direct again by their pings alone; still ${seen?.path}: ${seen?.relayReason}`);
  },
);
