/**
 * Port mapping against a real router daemon (miniupnpd in the NAT lab, test/helpers/nat-lab.ts): by UPnP
 * and by NAT-PMP, PortMapping's mapping appears in the router's nftables rules, a connection from the
 * internet through the mapped port reaches the host's listener, and after stop no mapping is left. With
 * mapping off the router hears nothing: miniupnpd's log shows no request of any kind.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startChild, type BenchChild } from '../../bench/child.js';
import { createNatLab, natLabUnavailable, type LabHome, type NatLab } from '../helpers/nat-lab.js';
import {
  MAPPING_DISCOVERY_TIMEOUT_MS,
  type PortMappingStatus,
} from '../../src-main/transport/nat/port-mapping.js';
import { sleep } from '../helpers/wait.js';

const skip = natLabUnavailable({ upnp: true });
let lab: NatLab;
let home: LabHome;
let internet: BenchChild;
let host: BenchChild;

/** What miniupnpd logs for each kind of request it gets (SSDP search, UPnP SOAP, NAT-PMP/PCP). */
const REQUEST_LOG = /SSDP M-SEARCH|HTTP REQUEST|NAT-PMP request|PCP request/g;

before(async () => {
  if (skip) return;
  lab = await createNatLab([{ nat: 'preserve', upnp: true }]);
  home = lab.homes[0]!;
  const inNs = (ns: string) => (cmd: string, args: string[]) => ({
    cmd: 'ip',
    args: ['netns', 'exec', ns, cmd, ...args],
  });
  internet = startChild('../test/helpers/nat-lab-child.ts', [], inNs(lab.internet.ns));
  host = startChild('../test/helpers/nat-lab-child.ts', [], inNs(home.host.ns));
});

after(async () => {
  if (skip) return;
  await Promise.all([internet?.stop(), host?.stop()]);
  await lab?.destroy();
});

const rules = () => lab.run(home.router.ns, ['nft', 'list', 'chain', 'inet', 'lab', 'prerouting_miniupnpd']);
const reach = (port: number) =>
  internet.request<boolean>('reach', { host: home.publicAddr, port, timeoutMs: 1_500 });

test('with mapping off, the router hears nothing', { skip }, async () => {
  const before = home.miniupnpd!.log().match(REQUEST_LOG)?.length ?? 0;
  const status = await host.request<PortMappingStatus>('port-mapping-start', {
    enabled: false,
    internalPort: 43100,
    protocols: ['upnp', 'nat-pmp'],
  });
  assert.equal(status.state, 'off');
  await sleep(
    MAPPING_DISCOVERY_TIMEOUT_MS + 1_000,
    'longer than an enabled mapping takes to ask: the test below shows the log would show its requests',
  );
  await host.request('port-mapping-stop', { internalPort: 43100 });
  assert.equal(
    home.miniupnpd!.log().match(REQUEST_LOG)?.length ?? 0,
    before,
    home.miniupnpd!.log().slice(-2000),
  );
});

for (const [protocol, port] of [
  ['upnp', 43000],
  ['nat-pmp', 43001],
] as const) {
  test(
    `by ${protocol}: mapped on the router, reached from the internet, gone after stop`,
    { skip },
    async () => {
      await host.request('listen', { host: '0.0.0.0', port });
      assert.equal(await reach(port), false, 'reachable before any mapping');
      const before = home.miniupnpd!.log().match(REQUEST_LOG)?.length ?? 0;
      const status = await host.request<PortMappingStatus>('port-mapping-start', {
        enabled: true,
        internalPort: port,
        protocols: [protocol],
      });
      assert.equal(status.state, 'mapped', JSON.stringify(status));
      assert.ok(status.state === 'mapped', "status.state === 'mapped'");
      assert.equal(status.protocol, protocol);
      assert.equal(status.router, home.router.lanAddr);
      assert.deepEqual(status.internal, { host: home.host.addr, port });
      assert.deepEqual(status.external, { host: home.publicAddr, port });
      assert.ok(status.expiresAt > Date.now() + 3_000_000, 'status.expiresAt > Date.now() + 3_000_000');
      assert.ok(
        (home.miniupnpd!.log().match(REQUEST_LOG)?.length ?? 0) > before,
        'the router logged no request',
      );
      assert.match(
        rules(),
        new RegExp(`dport ${port} dnat ip to ${home.host.addr.replaceAll('.', '\\.')}:${port}`),
      );
      assert.equal(await reach(port), true, 'not reachable through the mapping');
      const stopped = await host.request<PortMappingStatus>('port-mapping-stop', { internalPort: port });
      assert.equal(stopped.state, 'stopped');
      assert.doesNotMatch(rules(), new RegExp(`dport ${port} `));
      assert.equal(await reach(port), false, 'still reachable after stop');
    },
  );
}
