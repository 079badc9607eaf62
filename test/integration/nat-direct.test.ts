/**
 * Direct across NATs with real agents (docs/adr/0081-direct-across-nats.md), in the NAT lab
 * (test/helpers/nat-lab.ts): each agent runs in its home's host namespace, given only the relay (on the
 * lab's internet) and the other's fingerprint. Two port-preserving home NATs, and a double NAT with a
 * home NAT, come up `direct` by a simultaneous open; a NAT that changes ports with a UPnP router comes
 * up direct by dialing the mapping; two NATs that change ports stay `relay`, and `peers --json` says
 * why in one line. After the agents stop, no mapping is left on the router.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  befriend as befriendNodes,
  directWithin as directWithinNodes,
  natNode,
  peerOn as peerOnNodes,
  startNatAgent,
  startNatRelay,
  type NatNode,
} from '../helpers/nat-agents.js';
import { createNatLab, natLabUnavailable, type NatLab } from '../helpers/nat-lab.js';
import { agentCall, cli, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = natLabUnavailable({ upnp: true });
let lab: NatLab;
let relayUrl: string;

/**
 * Homes: 0,1 port-preserving; 2,3 changing ports; 4 UPnP; 5 double NAT; 6 UPnP, mapping switched off;
 * 7 UPnP.
 */
const SPECS = [
  { nat: 'preserve' },
  { nat: 'preserve' },
  { nat: 'random' },
  { nat: 'random' },
  { nat: 'preserve', upnp: true },
  { nat: 'preserve', cgn: true },
  { nat: 'preserve', upnp: true },
  { nat: 'preserve', upnp: true },
] as const;

const nodes: NatNode[] = [];

before(async () => {
  if (skip) return;
  lab = await createNatLab(SPECS.map((s) => ({ ...s })));
  relayUrl = await startNatRelay(lab);
  for (const [i] of SPECS.entries()) nodes.push(await natNode(`nat-node-${i}`, `n${i}`));
});

after(async () => {
  if (skip) return;
  await stopAll();
  await lab?.destroy();
});

/** Each of the pair adds the other by fingerprint alone (the agents run: the time counts from here). */
const befriend = (i: number, j: number) => befriendNodes(nodes[i]!, nodes[j]!);

async function startAgent(i: number, extra: string[] = []): Promise<void> {
  await startNatAgent(lab, lab.homes[i]!.host.ns, nodes[i]!, relayUrl, extra);
}

const peerOn = (i: number, j: number) => peerOnNodes(nodes[i]!, nodes[j]!);

const directWithin = (i: number, j: number, ms: number) => directWithinNodes(nodes[i]!, nodes[j]!, ms);

test(
  'two port-preserving home NATs link directly by a simultaneous open',
  { skip, timeout: 60_000 },
  async () => {
    await Promise.all([startAgent(0), startAgent(1)]);
    await befriend(0, 1);
    const ms = await directWithin(0, 1, 10_000);
    console.log(`home NAT | home NAT: direct ${ms} ms after both agents ran`);
  },
);

test('a double NAT and a home NAT link directly', { skip, timeout: 60_000 }, async () => {
  await startAgent(5);
  await befriend(5, 1);
  const ms = await directWithin(5, 1, 10_000);
  console.log(`double NAT | home NAT: direct ${ms} ms after both agents ran`);
});

test(
  'two NATs that change ports stay relayed, and say why in one line',
  { skip, timeout: 60_000 },
  async () => {
    await Promise.all([startAgent(2), startAgent(3)]);
    await befriend(2, 3);
    const peer = await until(
      'the pair relayed with a reason from the NATs',
      async () => {
        const p = await peerOn(2, 3);
        return p?.path === 'relay' && /change the port/.test(p.relayReason ?? '') && p;
      },
      10_000,
    );
    assert.doesNotMatch(peer.relayReason!, /\n/);
    assert.match(peer.relayReason!, /port mapping/);
  },
);

test(
  'a NAT that changes ports links directly to a UPnP router by its mapping',
  { skip, timeout: 60_000 },
  async () => {
    await startAgent(4);
    await befriend(2, 4);
    const ms = await directWithin(2, 4, 10_000);
    console.log(`symmetric | UPnP router: direct ${ms} ms`);
    const status = await agentCall(nodes[4]!.home, 'status', {});
    assert.equal(status.nat?.mapping.state, 'mapped');
    // The same facts in `status`'s plain text: the mapping by which router with its lease, what a relay
    // observed, and the NAT kind.
    const text = await cli(['status', '--home', nodes[4]!.home]);
    assert.equal(text.code, 0, text.stderr);
    const home = lab.homes[4]!;
    const out = text.stdout;
    assert.match(out, /^nat: {4}a NAT that keeps ports/m, out);
    assert.match(
      out,
      new RegExp(
        `^seen: {3}${home.publicAddr}:\\d+ by relay ${relayUrl} \\(from ${home.host.addr}:\\d+\\)$`,
        'm',
      ),
      out,
    );
    assert.match(
      out,
      new RegExp(
        `^mapped: ${home.publicAddr}:7475 -> ${home.host.addr}:7475 by the router at ${home.router.lanAddr} \\(UPnP\\), lease ends in \\d+ (min|s)`,
        'm',
      ),
      out,
    );
  },
);

test('a home NAT and a UPnP router link directly', { skip, timeout: 60_000 }, async () => {
  // 1 runs since the first test, 4 since the one above.
  await befriend(1, 4);
  const ms = await directWithin(1, 4, 10_000);
  console.log(`home NAT | UPnP router: direct ${ms} ms`);
});

test('two UPnP routers link directly', { skip, timeout: 60_000 }, async () => {
  await startAgent(7);
  await befriend(7, 4);
  const ms = await directWithin(7, 4, 10_000);
  console.log(`UPnP | UPnP: direct ${ms} ms`);
});

test(
  'after the agents stop, no port mapping is left on either router',
  { skip, timeout: 60_000 },
  async () => {
    for (const i of [4, 7]) {
      const n = nodes[i]!;
      assert.ok(n.proc, 'n.proc');
      await n.proc.stop();
      const rules = lab.run(lab.homes[i]!.router.ns, [
        'nft',
        'list',
        'chain',
        'inet',
        'lab',
        'prerouting_miniupnpd',
      ]);
      assert.doesNotMatch(rules, /dnat/, `router ${i}`);
    }
  },
);

/** What miniupnpd logs for each request it hears (SSDP, its HTTP control, NAT-PMP, PCP). */
const REQUEST_LOG = /SSDP M-SEARCH|HTTP REQUEST|NAT-PMP request|PCP request/g;

test('with port mapping switched off, the router hears nothing', { skip, timeout: 60_000 }, async () => {
  const router = lab.homes[6]!.miniupnpd!;
  const before = router.log().match(REQUEST_LOG)?.length ?? 0;
  await startAgent(6, ['--no-port-mapping']);
  // Linked to a peer through the relay: everything a mapping would have been asked for by now was not.
  await befriend(6, 1);
  await until('n6 linked', async () => (await peerOn(6, 1))?.state === 'online', 20_000);
  const status = await agentCall(nodes[6]!.home, 'status', {});
  assert.equal(status.nat?.mapping.state, 'off');
  const text = await cli(['status', '--home', nodes[6]!.home]);
  assert.match(text.stdout, /^mapped: off /m, text.stdout);
  assert.equal(router.log().match(REQUEST_LOG)?.length ?? 0, before, router.log().slice(-2000));

  // With a peer whose NAT changes ports, the reason names this node's own setting, not "either router".
  await befriend(6, 3);
  const peer = await until(
    'n6 relayed to n3 with its reason',
    async () => {
      const p = await peerOn(6, 3);
      return p?.path === 'relay' && /change(s)? the port/.test(p.relayReason ?? '') && p;
    },
    10_000,
  );
  assert.match(peer.relayReason!, /port mapping is off on this node: start its agent with `--port-mapping`/);
  assert.doesNotMatch(peer.relayReason!, /either router/);
  const peers = await cli(['peers', '--home', nodes[6]!.home]);
  assert.match(peers.stdout, /relayed: .*port mapping is off on this node/, peers.stdout);
});
