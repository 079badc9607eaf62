/**
 * LAN discovery and pairing with no relay at all: two agents on two test hosts (network namespaces
 * joined by a veth pair) find each other over mDNS, pair by code, and link directly.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PairNewResult, PeerInfo } from '../../src-main/api/contract.js';
import { createNetnsPair, netnsUnavailable, type NetnsPair } from '../helpers/netns.js';
import { agentCall, cli, cliJson, startAgent, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const why = netnsUnavailable();
if (why) console.log(`# LAN pairing test skipped: ${why}`);

let pair: NetnsPair | undefined;
after(async () => {
  await stopAll();
  pair?.destroy();
});

test('pairing by code over the LAN (mDNS) with no relay, then a direct link', { skip: why }, async () => {
  pair = createNetnsPair();
  const homeA = tempHome('lan-a');
  const homeB = tempHome('lan-b');
  // The control sockets are files in the homes, so the CLI below runs outside the namespaces.
  await Promise.all([
    startAgent(homeA, { name: 'a', listen: '0.0.0.0:0', netns: pair.a }),
    startAgent(homeB, { name: 'b', listen: '0.0.0.0:0', netns: pair.b }),
  ]);

  const code = await cliJson<PairNewResult>(['pair', 'new', '--home', homeA]);
  assert.equal(
    code.invite,
    `clawbridge://join?invite=${code.code}`,
    'no relay: the invite carries only the code',
  );
  const join = cli(['pair', 'join', code.code, '--home', homeB, '--timeout', '30s']);
  const req = await until(
    'B pending on A',
    async () => (await agentCall(homeA, 'pending.list', {}))[0],
    30_000,
  );
  assert.equal(req.via, 'code');
  assert.match(req.address, new RegExp(`^${pair.addrB.replace(/\./g, '\\.')}:\\d+$`));
  assert.equal((await cli(['approve', req.id, '--home', homeA])).code, 0);
  const joined = await join;
  assert.equal(joined.code, 0, joined.stderr);
  assert.match(joined.stdout, /^paired with a /m);
  assert.match(joined.stderr, /^found the other device \(on the LAN\)$/m);
  const online = async (home: string, name: string) =>
    (await cliJson<PeerInfo[]>(['peers', '--home', home])).find((p) => p.name === name);
  const seenByA = await until(
    'A–B direct',
    async () => {
      const p = await online(homeA, 'b');
      return p?.path === 'direct' ? p : undefined;
    },
    30_000,
  );
  assert.match(seenByA.address!, new RegExp(`^${pair.addrB.replace(/\./g, '\\.')}:`));
  const ping = await cli(['ping', 'a', '--home', homeB]);
  assert.match(ping.stdout, new RegExp(`pong from a via direct ${pair.addrA.replace(/\./g, '\\.')}:\\d+`));
});
