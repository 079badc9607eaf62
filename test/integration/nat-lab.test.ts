/**
 * The NAT lab (test/helpers/nat-lab.ts) behaves as real NATs do, so what passes in it says something
 * about real pairs: a port-preserving NAT shows the internet the host's own port, a `random` one a new
 * port per destination, a carrier NAT in front keeps it; nothing unsolicited gets in; two hosts behind
 * port-preserving NATs (one of them double NAT) meet by a TCP simultaneous open, while a host behind a
 * NAT that changes ports cannot be met that way; and miniupnpd on a router grants a mapping, asked by
 * the port-mapping clients alone (mapping-gateways.ts), through which the internet reaches the host.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startChild, type BenchChild } from '../../bench/child.js';
import { createNatLab, natLabUnavailable, type NatLab } from '../helpers/nat-lab.js';

const skip = natLabUnavailable({ upnp: true });
let lab: NatLab;
let internet: BenchChild;
/** One probe per home, in the order of the lab's homes. */
let hosts: BenchChild[] = [];
const OBSERVE_PORT = 3478;

before(async () => {
  if (skip) return;
  lab = await createNatLab([
    { nat: 'preserve', upnp: true },
    { nat: 'preserve' },
    { nat: 'random' },
    { nat: 'preserve', cgn: true },
  ]);
  const inNs = (ns: string) => (cmd: string, args: string[]) => ({
    cmd: 'ip',
    args: ['netns', 'exec', ns, cmd, ...args],
  });
  internet = startChild('../test/helpers/nat-lab-child.ts', [], inNs(lab.internet.ns));
  hosts = lab.homes.map((h) => startChild('../test/helpers/nat-lab-child.ts', [], inNs(h.host.ns)));
  for (const addr of lab.internet.addrs) {
    await internet.request('observe-server', { host: addr, port: OBSERVE_PORT });
  }
});

after(async () => {
  if (skip) return;
  await Promise.all([internet, ...hosts].map((c) => c?.stop()));
  await lab?.destroy();
});

/** What the two internet addresses see of connections from one local port on home `i`'s host. */
async function seenFrom(i: number, localPort: number): Promise<string[]> {
  const seen: string[] = [];
  for (const addr of lab.internet.addrs) {
    const r = await hosts[i]!.request<{ localPort: number; seen: string }>('observe', {
      host: addr,
      port: OBSERVE_PORT,
      localPort,
    });
    assert.equal(r.localPort, localPort);
    seen.push(r.seen);
  }
  return seen;
}

test(
  'a port-preserving NAT shows every destination the host port, on its public address',
  { skip },
  async () => {
    assert.deepEqual(await seenFrom(1, 40001), ['11.2.0.2:40001', '11.2.0.2:40001']);
  },
);

test('a random NAT shows each destination another port', { skip }, async () => {
  const [first, second] = await seenFrom(2, 40002);
  assert.match(first!, /^11\.3\.0\.2:\d+$/);
  assert.match(second!, /^11\.3\.0\.2:\d+$/);
  // A new port per connection: the two may coincide by chance once in tens of thousands of runs.
  assert.notEqual(first, second, 'the same external port for two destinations');
});

test('double NAT behind a port-preserving carrier NAT keeps the host port too', { skip }, async () => {
  assert.deepEqual(await seenFrom(3, 40003), ['11.4.0.2:40003', '11.4.0.2:40003']);
});

test('unsolicited connections from the internet are dropped at every NAT kind', { skip }, async () => {
  for (const [i, home] of lab.homes.entries()) {
    const port = await hosts[i]!.request<number>('listen', { host: '0.0.0.0', port: 40100 });
    assert.equal(
      await internet.request<boolean>('reach', { host: home.publicAddr, port, timeoutMs: 1_500 }),
      false,
      `${home.spec.nat}${home.spec.cgn ? ' behind a CGN' : ''}: reached from the internet`,
    );
  }
});

/** Both hosts connect at the same instant from a fixed port to the other's public address and port. */
async function simultaneousOpen(
  i: number,
  j: number,
  port: number,
  timeoutMs: number,
): Promise<[string, string]> {
  const at = Date.now() + 300;
  const [a, b] = await Promise.allSettled([
    hosts[i]!.request<string>('simultaneous-open', {
      localPort: port,
      host: lab.homes[j]!.publicAddr,
      port,
      at,
      timeoutMs,
    }),
    hosts[j]!.request<string>('simultaneous-open', {
      localPort: port,
      host: lab.homes[i]!.publicAddr,
      port,
      at,
      timeoutMs,
    }),
  ]);
  return [a.status === 'fulfilled' ? a.value : 'failed', b.status === 'fulfilled' ? b.value : 'failed'];
}

test('two port-preserving NATs meet by a TCP simultaneous open', { skip }, async () => {
  assert.deepEqual(await simultaneousOpen(0, 1, 41000, 8_000), ['41000', '41000']);
});

test(
  'a double NAT (port-preserving CGN) and a port-preserving NAT meet by a simultaneous open',
  { skip },
  async () => {
    assert.deepEqual(await simultaneousOpen(3, 1, 41001, 8_000), ['41001', '41001']);
  },
);

test(
  'a NAT that changes ports cannot be met by a simultaneous open on predicted ports',
  { skip },
  async () => {
    assert.deepEqual(await simultaneousOpen(2, 1, 41002, 3_000), ['failed', 'failed']);
  },
);

for (const via of ['upnp', 'pmp'] as const) {
  test(
    `miniupnpd grants a ${via} mapping asked by our clients alone; the internet reaches the host through it`,
    { skip },
    async () => {
      const home = lab.homes[0]!;
      const internalPort = via === 'upnp' ? 42000 : 42001;
      await hosts[0]!.request('listen', { host: '0.0.0.0', port: internalPort });
      const reach = () =>
        internet.request<boolean>('reach', { host: home.publicAddr, port: internalPort, timeoutMs: 1_500 });
      assert.equal(await reach(), false, 'reachable before the mapping');
      const mapping = await hosts[0]!.request<{ externalHost: string; externalPort: number }>('gateway-map', {
        via,
        internalPort,
      });
      assert.equal(mapping.externalHost, home.publicAddr);
      assert.equal(mapping.externalPort, internalPort);
      assert.match(
        lab.run(home.router.ns, ['nft', 'list', 'chain', 'inet', 'lab', 'prerouting_miniupnpd']),
        new RegExp(`dport ${internalPort} `),
      );
      assert.equal(await reach(), true, 'not reachable through the mapping');
      await hosts[0]!.request('gateway-unmap', { internalPort });
      assert.equal(await reach(), false, 'still reachable after the unmap');
    },
  );
}
