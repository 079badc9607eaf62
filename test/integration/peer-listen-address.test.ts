/**
 * A peer's address is where it listens, not the ephemeral port its link came from: of two agents
 * linked directly, one dialed the other; both show the other's listening address (from its hello), and
 * `linkFrom` tells who dialed and from where. `ping` names the listening address too.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerInfo, StatusResult } from '../../src-main/api/contract.js';
import { cli, cliJson, peerOf, stopAll } from '../helpers/processes.js';
import { startPair } from './forward-helpers.js';

after(stopAll);

test('peers shows where a peer listens, and separately where its link came from', async () => {
  const pair = await startPair();
  const listen = async (home: string) => (await cliJson<StatusResult>(['status', '--home', home])).listen;
  const [listenA, listenB] = [await listen(pair.homeA), await listen(pair.homeB)];
  assert.ok(listenA && listenB, 'both agents listen for direct links');

  const b = (await peerOf(pair.homeA, 'b')) as PeerInfo;
  const a = (await peerOf(pair.homeB, 'a')) as PeerInfo;
  assert.equal(b.path, 'direct');
  assert.equal(a.path, 'direct');
  assert.equal(b.listenAddress, listenB);
  assert.equal(b.address, listenB);
  assert.equal(a.listenAddress, listenA);
  assert.equal(a.address, listenA);

  // One side dialed the direct link; on the other, the link came from the dialer's ephemeral port.
  const [dialer, dialed] = b.linkFrom?.dialedBy === 'us' ? [b, a] : [a, b];
  assert.equal(dialer.linkFrom?.dialedBy, 'us');
  assert.equal(dialed.linkFrom?.dialedBy, 'peer');
  assert.notEqual(dialed.linkFrom?.remote, dialed.listenAddress, 'the link came from another port');
  assert.match(dialed.linkFrom?.remote ?? '', /^127\.0\.0\.1:\d+$/);

  // The table: ADDRESS is where the peer listens, with where that stands; LINK FROM is `this node` or
  // the dialer's port.
  const homeOfDialed = dialed === a ? pair.homeB : pair.homeA;
  const table = (await cli(['peers', '--home', homeOfDialed])).stdout;
  assert.match(table.split('\n')[0] ?? '', /ADDRESS\s+LINK FROM\s+RTT/);
  const row = table.split('\n').find((l) => l.startsWith(`${dialed.name} `)) ?? '';
  assert.match(
    row,
    new RegExp(`direct\\s+${dialed.listenAddress} \\(this machine\\)\\s+${dialed.linkFrom?.remote}\\s`),
  );

  const ping = JSON.parse((await cli(['ping', dialed.name, '--home', homeOfDialed, '--json'])).stdout) as {
    remote: string;
  };
  assert.equal(ping.remote, dialed.listenAddress);
});
