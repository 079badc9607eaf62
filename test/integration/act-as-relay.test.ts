/**
 * `agent --act-as-relay`: a node serves the relay for the peers it allowed to relay; two other nodes
 * with no direct path reach each other through it; a node it did not allow is refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentCall, cli, stopAll, tempHome, nodeId, startAgent } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const id = async (home: string) => (await nodeId(home)).fingerprint;

test('a node relays for its allowed peers and refuses others', async () => {
  const [homeB, homeA, homeC, homeD] = ['b', 'a', 'c', 'd'].map((n) => tempHome(`aar-${n}`)) as [
    string,
    string,
    string,
    string,
  ];
  const [fa, fb, fc] = (await Promise.all([homeA, homeB, homeC].map(id))) as [string, string, string];
  const b = await startAgent(homeB, {
    name: 'b',
    listen: '127.0.0.1:0',
    args: ['--act-as-relay', '--relay-listen', '127.0.0.1:0'],
  });
  const m = await b.waitForLine(/^relay listening on (wss:\/\/127\.0\.0\.1:\d+) fingerprint ([0-9a-f]{64})/m);
  const relayUrl = m[1]!;
  assert.equal(m[2], fb, "the relay's certificate is the node's own");
  // Over the control socket, as `peers add` does: a CLI process costs ~0.4 s of CPU.
  for (const [peer, name] of [
    [fa, 'a'],
    [fc, 'c'],
  ] as const) {
    await agentCall(homeB, 'peers.add', { fingerprint: peer, name, allow: ['relay'] });
  }
  const relayFlags = ['--relay', relayUrl, '--relay-fingerprint', fb, '--no-direct'];
  await Promise.all([
    startAgent(homeA, { name: 'a', args: relayFlags }),
    startAgent(homeC, { name: 'c', args: relayFlags }),
  ]);
  await agentCall(homeA, 'peers.add', { fingerprint: fc, name: 'c' });
  await agentCall(homeC, 'peers.add', { fingerprint: fa, name: 'a' });
  const seen = await until(
    'A reaches C through B',
    async () => (await agentCall(homeA, 'peers.list', {})).find((p) => p.name === 'c' && p.online),
    30_000,
  );
  assert.equal(seen.path, 'relay');
  assert.equal(seen.relay, relayUrl);
  // B lists the circuit it carries between A and C (or the splice it moved onto) among its
  // connections, not its own links to them.
  const circuits = await until(
    'the A–C circuit listed on B',
    async () => {
      const list = await agentCall(homeB, 'connections.list', {});
      const found = list.filter((x) => x.kind === 'relay-circuit');
      return found.length > 0 ? found : undefined;
    },
    30_000,
  );
  for (const x of circuits) {
    assert.deepEqual([x.from, x.to.replace(/ \(spliced\)$/, '')].sort(), ['a', 'c'], JSON.stringify(x));
    assert.ok(
      x.peer && [fa, fc].includes(x.peer.fingerprint),
      'x.peer && [fa, fc].includes(x.peer.fingerprint)',
    );
  }
  // Cutting it on B cuts that one; A and C then find their way back through B.
  // The circuit listed first may be moving onto a splice (a new id) as it is closed: close the one
  // listed now, until a close finds it.
  const cut = await until(
    'a circuit closed on B',
    async () => {
      const now = (await agentCall(homeB, 'connections.list', {})).find((x) => x.kind === 'relay-circuit');
      if (!now) return undefined;
      const closed = await cli(['connections', 'close', now.id, '--home', homeB]);
      return closed.code === 0 ? now : undefined;
    },
    30_000,
  );
  await until(
    'the cut one off the list, A and C linked again',
    async () => {
      const list = await agentCall(homeB, 'connections.list', {});
      const peers = await agentCall(homeA, 'peers.list', {});
      return !list.some((x) => x.id === cut.id) && peers.some((p) => p.name === 'c' && p.online);
    },
    20_000,
  );

  // D is not one of B's peers allowed to relay.
  const d = await startAgent(homeD, { name: 'd', args: relayFlags });
  await until('D refused', () => /serves only the peers its owner allowed/.test(d.stderr()), 30_000);
});
