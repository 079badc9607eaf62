/**
 * What a node tells its peers of its port mapping (links/nat-candidates.ts): the external address a
 * router reports is announced only when it is public unicast; a router that reports loopback, a private
 * or a reserved address leaves the mapping in place, unannounced, and `status` says why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { natStatusLines } from '../../../src-main/cli/nat-status-text.js';
import { NatCandidates } from '../../../src-main/links/nat-candidates.js';
import type { GatewayFinder } from '../../../src-main/transport/nat/mapping-gateways.js';
import { until } from '../../helpers/wait.js';

function routerReporting(externalHost: string, externalPort: number): GatewayFinder {
  return {
    find: () =>
      Promise.resolve([
        {
          protocol: 'nat-pmp',
          router: '192.168.1.1',
          map: () => Promise.resolve({ internalHost: '192.168.1.2', externalHost, externalPort }),
          unmap: () => Promise.resolve(),
          close: () => Promise.resolve(),
        },
      ]),
  };
}

async function candidatesWith(finder: GatewayFinder): Promise<NatCandidates> {
  const nat = new NatCandidates({
    log: { info: () => undefined, debug: () => undefined },
    portMapping: () => true,
    listenAddress: () => '0.0.0.0:7475',
    relays: () => [],
    onRelayConnected: () => () => undefined,
    finder,
  });
  nat.start();
  await until('the mapping settled', () => nat.mappingStatus().state === 'mapped', 5_000);
  return nat;
}

test('a router reporting 127.0.0.1:22: the mapping is not announced, and status says why', async () => {
  const nat = await candidatesWith(routerReporting('127.0.0.1', 22));
  try {
    assert.equal(nat.mappedAddress(), undefined);
    assert.equal(nat.facts().mapped, false);
    const lines = natStatusLines(nat.view());
    const mapped = lines.find((l) => l.startsWith('mapped:'));
    assert.match(
      mapped ?? '',
      /^mapped: 127\.0\.0\.1:22 -> 192\.168\.1\.2:7475 .*; not told to peers: the router reports "127\.0\.0\.1" as its address: a loopback/,
    );
  } finally {
    await nat.stop();
  }
});

test('a public address the router reports is announced', async () => {
  const nat = await candidatesWith(routerReporting('11.1.0.2', 40022));
  try {
    assert.equal(nat.mappedAddress(), '11.1.0.2:40022');
    assert.equal(nat.facts().mapped, true);
    assert.doesNotMatch(natStatusLines(nat.view()).join('\n'), /not told/);
  } finally {
    await nat.stop();
  }
});
