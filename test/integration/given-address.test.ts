/**
 * Every known address is tried (issue 27): B is added on A with `--address` at a port that leads to it,
 * while B's hello announces where it listens, an address A cannot reach. The link comes up directly at
 * the given address and stays there, and `peers --json` shows each address with where it came from.
 *
 * Two network namespaces this test creates (test/helpers/netns.ts). B listens on its own loopback
 * (127.0.0.1:PORT in its namespace), so the 127.0.0.1:PORT its hello announces is nothing in A's. A port
 * forward stands in for the user's router or tunnel: A's 127.0.0.1:GIVEN → B's namespace → B's
 * listener. The given address and the announced one share a host, which is what made the given one
 * be dropped before.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerInfo } from '../../src-main/api/contract.js';
import { netnsUnavailable, startPortForward } from '../helpers/netns.js';
import { startNetnsAgents, type NetnsAgents } from '../helpers/netns-agents.js';
import { agentCall, nodeId, startAgent, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

let world: NetnsAgents | undefined;
after(() => world?.end() ?? stopAll());

/** A TCP port forward inside a namespace: LISTEN → TARGET (`HOST:PORT` each). */
async function portForward(prefix: string[], listen: string, target: string): Promise<void> {
  const split = (a: string) => ({
    host: a.slice(0, a.lastIndexOf(':')),
    port: Number(a.slice(a.lastIndexOf(':') + 1)),
  });
  world?.own(await startPortForward(prefix, split(listen), split(target)));
}

/** The peer `name` as `peers --json` lists it, over the control socket: the waits below poll it. */
async function peerOf(home: string, name: string): Promise<PeerInfo | undefined> {
  return (await agentCall(home, 'peers.list', {})).find((p) => p.name === name);
}

test(
  'a given address that leads to the peer is dialed though its hello announces another',
  { timeout: 120_000 },
  async (t) => {
    const why = netnsUnavailable();
    if (why) return t.skip(why);
    // Fixed ports inside fresh namespaces: nothing else lives there.
    const listenB = '127.0.0.1:7575';
    const givenOnA = '127.0.0.1:7577';
    world = await startNetnsAgents('ga', { listenB });
    const { pair, inA, inB, relayUrl, homeA, homeB, b } = world;
    const routerB = `${pair.addrB}:7576`;
    await portForward(inB, routerB, listenB); // B's "router": its outside address to its listener
    await portForward(inA, givenOnA, routerB); // and A's way there, on A's loopback
    const fa = (await nodeId(homeA)).fingerprint;
    const fb = (await nodeId(homeB)).fingerprint;
    // Over the control socket, as `peers add --address` does (a CLI process costs ~0.4 s of CPU).
    await agentCall(homeA, 'peers.add', { fingerprint: fb, name: 'b', address: givenOnA });
    await agentCall(homeB, 'peers.add', { fingerprint: fa, name: 'a' });

    // B's hello (over the relay or the first direct link) announces 127.0.0.1:7575: A keeps both, the
    // given one first, and the link is direct at the given address.
    const linked = await until(
      'a direct link to b at the given address, after b announced its own',
      async () => {
        const p = await peerOf(homeA, 'b');
        const announced = p?.addresses.some((x) => x.address === listenB && x.from.includes('hello'));
        return p?.path === 'direct' && announced ? p : undefined;
      },
      40_000,
    );
    const given = linked.addresses.find((x) => x.address === givenOnA);
    assert.deepEqual(given?.from, ['given'], JSON.stringify(linked.addresses));
    assert.notEqual(given?.lastWorked, null, 'the given address is the one that worked');
    assert.equal(linked.addresses.find((x) => x.address === listenB)?.lastWorked, null);
    assert.equal(linked.addresses[0]?.address, givenOnA, 'what worked is dialed first');

    // Cut the link (B restarts on the same port): A comes back at the given address again.
    await b.stop();
    await until('b offline', async () => (await peerOf(homeA, 'b'))?.path !== 'direct', 20_000);
    await startAgent(homeB, {
      name: 'b',
      relay: relayUrl,
      listen: listenB,
      netns: pair.b,
      expect: 'nothing',
    });
    const again = await until(
      'direct again at the given address',
      async () => {
        const p = await peerOf(homeA, 'b');
        return p?.path === 'direct' ? p : undefined;
      },
      40_000,
    );
    assert.equal(again.addresses[0]?.address, givenOnA);
  },
);
