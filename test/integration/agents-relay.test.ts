/**
 * The headless quick start, for real: a relay and two agents as separate processes with separate homes
 * on loopback; peers added both ways with no address hints.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerInfo } from '../../src-main/api/contract.js';
import {
  peerOf,
  cli,
  cliJson,
  startRelay,
  stopAll,
  tempHome,
  nodeId,
  startAgent,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

test('direct within seconds, relay with --no-direct, relay restart heals, killed peer goes offline', async () => {
  const relay = await startRelay();
  const homeA = tempHome('a');
  const homeB = tempHome('b');
  const idA = await nodeId(homeA);
  const idB = await nodeId(homeB);
  assert.match(idA.fingerprint, /^[0-9a-f]{64}$/);

  const onRelay = { relay: relay.url, listen: '127.0.0.1:0' };
  const [a, firstB] = await Promise.all([
    startAgent(homeA, { name: 'a', ...onRelay }),
    startAgent(homeB, { name: 'b', ...onRelay }),
  ]);
  let b = firstB;
  const added = await cli(['peers', 'add', idB.fingerprint, '--name', 'b', '--home', homeA]);
  assert.match(added.stdout, /^added peer b \(/);
  // Adding a known peer again changes nothing new here, and says it updated the peer.
  const again = await cli(['peers', 'add', idB.fingerprint, '--name', 'b', '--home', homeA]);
  assert.match(again.stdout, /^updated peer b \(/);
  // Colons and upper case are accepted on input.
  const colonFp = idA.fingerprint.toUpperCase().match(/../g)!.join(':');
  assert.equal((await cli(['peers', 'add', colonFp, '--name', 'a', '--home', homeB])).code, 0);

  await until('direct path a→b', async () => (await peerOf(homeA, 'b'))?.path === 'direct', 30_000);
  await until('direct path b→a', async () => (await peerOf(homeB, 'a'))?.path === 'direct', 30_000);
  const pingDirect = await cli(['ping', 'b', '--home', homeA]);
  assert.equal(pingDirect.code, 0, pingDirect.stderr);
  assert.match(pingDirect.stdout, /^pong from b via direct 127\.0\.0\.1:\d+ in \d+\.\d+ ms$/m);

  const status = await cliJson<{
    name: string;
    fingerprint: string;
    listen: string;
    relays: { url: string; connected: boolean }[];
    peers: PeerInfo[];
  }>(['status', '--home', homeA]);
  assert.equal(status.fingerprint, idA.fingerprint);
  assert.deepEqual(status.relays, [{ url: relay.url, connected: true }]);
  assert.equal(status.peers.length, 1);

  // Restart B without direct: the link comes back over the relay.
  await b.stop();
  b = await startAgent(homeB, { name: 'b', listen: false });
  await until('relay path a→b', async () => (await peerOf(homeA, 'b'))?.path === 'relay', 30_000);
  const pingRelay = await cli(['ping', 'a', '--home', homeB, '--count', '2']);
  assert.equal(pingRelay.code, 0, pingRelay.stderr);
  assert.equal(
    pingRelay.stdout.match(/^pong from a via relay ws:\/\/127\.0\.0\.1:\d+ in \d+\.\d+ ms$/gm)?.length,
    2,
  );

  // The relay restarts on the same port: the relay-only link heals by itself.
  await relay.proc.stop();
  await until(
    'b offline while the relay is down',
    async () => (await peerOf(homeA, 'b'))?.online === false,
    20_000,
  );
  const relay2 = await startRelay(relay.port);
  await until('relay link back', async () => (await peerOf(homeA, 'b'))?.path === 'relay', 40_000);

  // A killed peer shows offline (architecture.md §Relay: under 45 s).
  b.child.kill('SIGKILL');
  await until('killed peer offline', async () => (await peerOf(homeA, 'b'))?.online === false, 45_000);
  const offline = await cli(['ping', 'b', '--home', homeA]);
  assert.equal(offline.code, 1);
  assert.match(offline.stderr, /^clawbridge: peer b is offline/);
  await relay2.proc.stop();
  await a.stop();
});

test('commands without a running agent say so in one line', async () => {
  const home = tempHome('none');
  const r = await cli(['peers', '--home', home]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `clawbridge: no agent is running for ${home}: start one with \`clawbridge agent --home ${home}\` (or open the Clawbridge app)\n`,
  );
});

test('bad fingerprints are one-line errors', async () => {
  const home = tempHome('badfp');
  const a = await startAgent(home, { name: 'x', listen: '127.0.0.1:0' });
  const r = await cli(['peers', 'add', 'abcd', '--name', 'y', '--home', home]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'clawbridge: fingerprint must be 64 hex characters, got 4\n');
  await a.stop();
});
