/**
 * After simultaneous opens give up, the pair is not relayed for good (docs/adr/0081-direct-across-nats.md
 * §Retry, give up for now, try again), in the NAT lab (test/helpers/nat-lab.ts): two port-preserving
 * home NATs whose direct path is blocked (a drop rule on one router toward the other home), so the pair
 * links through the relay and its round of opens gives up; `peers` says when the next try is. The block
 * is lifted and `peers retry` on the side that does not coordinate brings the pair direct, with no
 * restart.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createNatLab, natLabUnavailable, type NatLab } from '../helpers/nat-lab.js';
import { cli, peerOf, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { befriend, natNode, startNatAgent, startNatRelay } from '../helpers/nat-agents.js';

const skip = natLabUnavailable();
let lab: NatLab | undefined;

after(async () => {
  await stopAll();
  await lab?.destroy();
});

test(
  'a pair whose opens gave up goes direct once the path heals and its owner runs `peers retry`',
  { skip, timeout: 150_000 },
  async () => {
    lab = await createNatLab([{ nat: 'preserve' }, { nat: 'preserve' }]);
    const [homeA, homeB] = lab.homes as [NatLab['homes'][number], NatLab['homes'][number]];
    const nft = (...args: string[]) => lab!.run(homeA.router.ns, ['nft', ...args]);
    nft('add', 'table', 'inet', 'hold');
    nft('add', 'chain', 'inet', 'hold', 'forward', '{ type filter hook forward priority -10 ; }');
    nft('add', 'rule', 'inet', 'hold', 'forward', 'ip', 'daddr', homeB.publicAddr, 'drop');

    const relayUrl = await startNatRelay(lab, 'nat-heal-relay');
    const [a, b] = await Promise.all([natNode('nat-heal-a', 'a'), natNode('nat-heal-b', 'b')]);
    await Promise.all([
      startNatAgent(lab, homeA.host.ns, a, relayUrl),
      startNatAgent(lab, homeB.host.ns, b, relayUrl),
    ]);
    await befriend(a, b);
    const [coordinator, other] = a.fingerprint < b.fingerprint ? [a, b] : [b, a];
    // Five opens and their backoff: about 40 s.
    const givenUp = await until(
      'the opens given up, with the next try said',
      async () => {
        const p = await peerOf(coordinator.home, other.name);
        return p?.path === 'relay' && p.directRetryAt !== undefined && p;
      },
      90_000,
    );
    assert.match(
      givenUp.relayReason ?? '',
      /simultaneous opens failed .*; next try in \d+ (s|min) \(`peers retry` tries now\)/,
    );

    nft('delete', 'table', 'inet', 'hold');
    const retried = await cli(['peers', 'retry', coordinator.name, '--home', other.home]);
    assert.equal(retried.code, 0, retried.stderr);
    await until(
      'a and b direct again, with no restart',
      async () =>
        (await peerOf(a.home, 'b'))?.path === 'direct' && (await peerOf(b.home, 'a'))?.path === 'direct',
      30_000,
    );
  },
);
