/**
 * transport/nat/simultaneous-open.ts in the NAT lab: two hosts behind port-preserving NATs (one of them
 * double NAT), each given the other's public address as one of its candidates beside a candidate that
 * leads nowhere, meet at an agreed instant; a host behind a NAT that changes ports cannot be met, and
 * the attempt ends by its deadline with CONNECT_FAILED.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startChild, type BenchChild } from '../../bench/child.js';
import { createNatLab, natLabUnavailable, type NatLab } from '../helpers/nat-lab.js';

const skip = natLabUnavailable();
let lab: NatLab;
const hosts: BenchChild[] = [];

before(async () => {
  if (skip) return;
  lab = await createNatLab([{ nat: 'preserve' }, { nat: 'preserve', cgn: true }, { nat: 'random' }]);
  for (const home of lab.homes) {
    hosts.push(
      startChild('../test/helpers/nat-lab-child.ts', [], (cmd, args) => ({
        cmd: 'ip',
        args: ['netns', 'exec', home.host.ns, cmd, ...args],
      })),
    );
  }
});

after(async () => {
  if (skip) return;
  await Promise.all(hosts.map((h) => h.stop()));
  await lab?.destroy();
});

/** Both sides at once, each with the other's public address:port and a dead candidate. */
async function meet(i: number, j: number, port: number, withinMs: number) {
  const startAt = Date.now() + 500;
  const side = (me: number, other: number) =>
    hosts[me]!.request<string>('nat-simultaneous-open', {
      localPort: port,
      candidates: [
        { host: '11.9.9.9', port },
        { host: lab.homes[other]!.publicAddr, port },
      ],
      startAt,
      withinMs,
    });
  return Promise.allSettled([side(i, j), side(j, i)]);
}

test('two port-preserving NATs (one a double NAT) meet at the agreed instant', { skip }, async () => {
  const [a, b] = await meet(0, 1, 45000, 8_000);
  assert.deepEqual([a.status, b.status], ['fulfilled', 'fulfilled'], JSON.stringify([a, b]));
  assert.ok(
    a.status === 'fulfilled' && b.status === 'fulfilled',
    "a.status === 'fulfilled' && b.status === 'fulfilled'",
  );
  assert.equal(a.value, '45000');
  assert.equal(b.value, '45000');
});

test('a NAT that changes ports is not met; both give up by the deadline', { skip }, async () => {
  const started = Date.now();
  const [a, b] = await meet(0, 2, 45001, 3_000);
  assert.equal(a.status, 'rejected');
  assert.equal(b.status, 'rejected');
  assert.ok(a.status === 'rejected', "a.status === 'rejected'");
  assert.match(String(a.reason), /reached no candidate/);
  assert.ok(Date.now() - started < 10_000, 'Date.now() - started < 10_000');
});
