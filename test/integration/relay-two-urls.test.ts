/**
 * One relay reached under two URLs (issue 52 item 5): a `clawbridge relay` on 127.0.0.1:PORT, also
 * reachable as 127.0.0.2:PORT (a TCP forwarder on loopback stands in for a second address of the same
 * machine). Node A saves it as wss://127.0.0.1:PORT, node B as wss://127.0.0.2:PORT, both pinned to the
 * relay's certificate; no direct path. Each is the other's home relay under another URL, so each would
 * dial it on demand (docs/adr/0009-home-relays-dialed-on-demand.md) — a second connection with the same
 * identity to the same relay, and the two replace each other. The pin says it is one relay: after a
 * restart the link comes back, each node holds one relay connection, and nobody is told it runs twice.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { RELAY_IDLE_ENV } from '../../src-main/relay-clients/relay-set.js';
import {
  agentCall,
  cli,
  peerOf,
  startProcess,
  stopAll,
  tempHome,
  nodeId,
  startAgent,
  type AgentOptions,
} from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

const forwarders: Server[] = [];
after(async () => {
  for (const f of forwarders) f.close();
  await stopAll();
});

/** Accepts on `host:port` and pipes each connection to 127.0.0.1:`to`: the same relay at a second address. */
async function forwarder(host: string, port: number, to: number): Promise<void> {
  const server = createServer((socket) => {
    const upstream = connect(to, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  forwarders.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
}

/** An agent with no direct path, on the relay `url` pinned to `fingerprint`, or on none. */
function agentOn(name: string, url?: string, fingerprint?: string): AgentOptions {
  return {
    name,
    ...(url ? { relay: url, args: ['--relay-fingerprint', fingerprint!] } : {}),
    listen: false,
    ui: true,
    // Short, so an on-demand client would come and go within the test if one were started.
    env: { [RELAY_IDLE_ENV]: '3000' },
  };
}

const REPLACED = /another connection with this node's identity replaced this one/;

test('one relay under two URLs is one relay: no second connection, no false "running twice"', async () => {
  const relayHome = tempHome('relay2u');
  const relay = startProcess(['relay', '--listen', '127.0.0.1:0', '--home', relayHome]);
  const m = await relay.waitForLine(
    /^relay listening on wss:\/\/127\.0\.0\.1:(\d+) fingerprint ([0-9a-f]{64})$/m,
  );
  const port = Number(m[1]);
  const fingerprint = m[2]!;
  await forwarder('127.0.0.2', port, port);
  const urlA = `wss://127.0.0.1:${port}`;
  const urlB = `wss://127.0.0.2:${port}`;

  const homeA = tempHome('u2a');
  const homeB = tempHome('u2b');
  const idA = await nodeId(homeA);
  const idB = await nodeId(homeB);
  const [firstA, b] = await Promise.all([
    startAgent(homeA, agentOn('a', urlA, fingerprint)),
    startAgent(homeB, agentOn('b', urlB, fingerprint)),
  ]);
  let a = firstA;
  // Over the control socket, as `peers add` does: a CLI process costs ~0.4 s of CPU, and its words are
  // not what this file checks.
  await agentCall(homeA, 'peers.add', { fingerprint: idB.fingerprint, name: 'b' });
  await agentCall(homeB, 'peers.add', { fingerprint: idA.fingerprint, name: 'a' });
  const logs = () => `\n--- a ---\n${a.stderr()}\n--- b ---\n${b.stderr()}`;
  await until('a and b linked over the relay', async () => (await peerOf(homeA, 'b'))?.online, 20_000).catch(
    (err: Error) => assert.fail(err.message + logs()),
  );
  // Each has learned the other's home relay, under the other URL.
  await until('hellos exchanged', async () => (await peerOf(homeB, 'a'))?.online, 30_000);

  // A restarts: while it is away B finds it gone from the relay, and when it is back each side dials
  // the other's home relay — the same relay under another URL.
  await a.stop();
  await until('b to find a gone', async () => (await peerOf(homeB, 'a'))?.online === false, 20_000);
  const bBefore = b.stderr().length;
  a = await startAgent(homeA, agentOn('a', urlA, fingerprint));
  await until('b back on a', async () => (await peerOf(homeA, 'b'))?.online, 30_000).catch((err: Error) =>
    assert.fail(err.message + logs()),
  );
  await until('a back on b', async () => (await peerOf(homeB, 'a'))?.online, 30_000);

  // Watch a while: each node stays on its one relay connection, and the link stays up.
  const deadline = Date.now() + 12_000;
  const seen = { a: new Set<string>(), b: new Set<string>() };
  while (Date.now() < deadline) {
    for (const [name, home] of [
      ['a', homeA],
      ['b', homeB],
    ] as const) {
      const s = await agentCall(home, 'status', {}); // as `status --json` asks, without a process a poll
      for (const r of s.relays) seen[name].add(`${r.url}${r.onDemand ? ' (on demand)' : ''}`);
      for (const r of s.relays) assert.doesNotMatch(r.error ?? '', REPLACED, `${name}: ${r.url}${logs()}`);
    }
    await sleep(500, 'a sample every half second');
  }
  assert.deepEqual([...seen.a], [urlA], `a uses only ${urlA}${logs()}`);
  assert.deepEqual([...seen.b], [urlB], `b uses only ${urlB}${logs()}`);
  assert.doesNotMatch(a.stderr(), REPLACED, logs());
  assert.doesNotMatch(b.stderr().slice(bBefore), REPLACED, logs());
  assert.equal((await peerOf(homeA, 'b'))?.online, true);
  assert.equal((await peerOf(homeB, 'a'))?.online, true);
  const ping = await cli(['ping', 'b', '--home', homeA]);
  assert.equal(ping.code, 0, ping.stderr + logs());
  assert.match(ping.stdout, new RegExp(`pong from b via relay ${urlA.replace(/\./g, '\\.')}`));

  await Promise.all([a.stop(), b.stop()]);
  await relay.stop();
});

test("a node with no relay of its own is not warned about its peer's relay, and status says on demand", async () => {
  const relayHome = tempHome('relayod');
  const start = () => startProcess(['relay', '--listen', `127.0.0.1:${port}`, '--home', relayHome]);
  let port = 0;
  let relay = start();
  const m = await relay.waitForLine(
    /^relay listening on (wss:\/\/127\.0\.0\.1:(\d+)) fingerprint ([0-9a-f]{64})$/m,
  );
  const url = m[1]!;
  port = Number(m[2]);
  const fingerprint = m[3]!;
  const homeA = tempHome('oda');
  const homeC = tempHome('odc');
  const idA = await nodeId(homeA);
  const idC = await nodeId(homeC);
  const [a, c] = await Promise.all([
    startAgent(homeA, agentOn('a', url, fingerprint)),
    startAgent(homeC, agentOn('c')),
  ]);
  const logs = () => `\n--- a ---\n${a.stderr()}\n--- c ---\n${c.stderr()}`;
  await agentCall(homeA, 'peers.add', { fingerprint: idC.fingerprint, name: 'c' });
  const added = await cli([
    'peers',
    'add',
    idA.fingerprint,
    '--name',
    'a',
    '--relay',
    url,
    '--relay-fingerprint',
    fingerprint,
    '--home',
    homeC,
  ]);
  assert.equal(added.code, 0, added.stderr);
  await until('c reaches a on its home relay', async () => (await peerOf(homeC, 'a'))?.online, 20_000).catch(
    (err: Error) => assert.fail(err.message + logs()),
  );
  const shown = await cli(['status', '--home', homeC]);
  assert.match(shown.stdout, new RegExp(`^relay: +${url.replace(/\./g, '\\.')} +connected .*on demand`, 'm'));

  // The relay goes away for a while: C keeps trying to reach A there, and says nothing about a relay
  // its user never added (A's user, who did add it, is told).
  await relay.stop();
  await until('c sees a offline', async () => (await peerOf(homeC, 'a'))?.online === false, 20_000);
  await sleep(6_000, 'C keeps trying meanwhile, and must say nothing of that relay');
  assert.match(a.stderr(), /relay wss:\/\/127\.0\.0\.1:\d+ is unreachable/, logs());
  assert.doesNotMatch(c.stderr(), /relay wss:\/\/127\.0\.0\.1:\d+/, logs());
  const down = await cli(['status', '--home', homeC]);
  assert.match(down.stdout, /on demand/, down.stdout);

  relay = start();
  await relay.waitForLine(/^relay listening on/m);
  await until('c back on a', async () => (await peerOf(homeC, 'a'))?.online, 40_000);
  assert.doesNotMatch(c.stderr(), /relay wss:\/\/127\.0\.0\.1:\d+/, logs());

  await Promise.all([a.stop(), c.stop()]);
  await relay.stop();
});
