/**
 * Behind real NATs (test/helpers/nat-lab.ts), a node learns from the relay (a `clawbridge relay` on the
 * lab's internet) its public address and the port its NAT gave the connection: the host's own port
 * behind a port-preserving NAT, and behind a double NAT whose carrier NAT keeps ports too; another
 * port behind a NAT that changes ports. With the local port beside it, that says which kind of NAT it is.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startChild, type BenchChild } from '../../bench/child.js';
import type { RelayObservation } from '../../src-main/transport/relay-client.js';
import { createNatLab, natLabUnavailable, type NatLab } from '../helpers/nat-lab.js';
import { startProcess, stopAll, tempHome } from '../helpers/processes.js';

const skip = natLabUnavailable();
let lab: NatLab;
let relayUrl: string;
const hosts: BenchChild[] = [];

before(async () => {
  if (skip) return;
  lab = await createNatLab([{ nat: 'preserve' }, { nat: 'random' }, { nat: 'preserve', cgn: true }]);
  const relay = startProcess(
    ['relay', '--listen', `${lab.internet.addrs[0]}:0`, '--no-tls', '--home', tempHome('nat-relay')],
    {},
    lab.exec(lab.internet.ns),
  );
  relayUrl = (await relay.waitForLine(/^relay listening on (ws:\/\/\S+)$/m))[1]!;
  for (const home of lab.homes) {
    hosts.push(
      startChild('../test/helpers/nat-lab-child.ts', [], (cmd, args) => ({
        cmd: 'ip',
        args: [...lab.exec(home.host.ns).slice(1), cmd, ...args],
      })),
    );
  }
});

after(async () => {
  if (skip) return;
  await Promise.all(hosts.map((h) => h.stop()));
  await stopAll();
  await lab?.destroy();
});

const observe = (i: number) => hosts[i]!.request<RelayObservation | null>('relay-observe', { url: relayUrl });

test('behind a port-preserving NAT: the public address and the host port', { skip }, async () => {
  const seen = await observe(0);
  assert.ok(seen, 'the relay told nothing');
  assert.equal(seen.address, lab.homes[0]!.publicAddr);
  assert.equal(seen.local?.address, lab.homes[0]!.host.addr);
  assert.equal(seen.port, seen.local?.port);
});

test('behind a NAT that changes ports: the public address and another port', { skip }, async () => {
  const seen = await observe(1);
  assert.ok(seen, 'the relay told nothing');
  assert.equal(seen.address, lab.homes[1]!.publicAddr);
  assert.equal(seen.local?.address, lab.homes[1]!.host.addr);
  // A random port equals the host's by chance once in tens of thousands of runs.
  assert.notEqual(seen.port, seen.local?.port);
});

test(
  'behind a double NAT whose carrier keeps ports: the carrier address and the host port',
  { skip },
  async () => {
    const seen = await observe(2);
    assert.ok(seen, 'the relay told nothing');
    assert.equal(seen.address, lab.homes[2]!.publicAddr);
    assert.equal(seen.port, seen.local?.port);
  },
);
