/**
 * Routes through peers (docs/adr/0017-multi-hop-routes.md), with four real agents on loopback and no
 * relay: d is reachable from a only through b and c (a has no address for c or d; b↔c and c↔d know
 * each other's). A terminal and a TCP forward to d work through the route; a packet capture of all the
 * agents' loopback traffic holds neither marker in the clear; taking `relay` away on a hop breaks the
 * chain with that hop named; a route of five hops is refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { ConnectionInfo } from '../../src-main/api/contract.js';
import { cli, cliJson, peerOf, stopAll } from '../helpers/processes.js';
import { startCapture } from '../helpers/capture.js';
import { addPeer, ok, startLoopbackNode, type LoopbackNode } from '../helpers/loopback-nodes.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** Everything a connection to 127.0.0.1:`port` reads until the far end closes ('' on an error). */
function readAll(port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(port, '127.0.0.1');
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', () => resolve(''));
  });
}

test('a reaches d only through b and c: terminal, forward, no plaintext on the wire, hops named', async () => {
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const marker = `HOP${randomBytes(12).toString('hex')}`;
  const fileMarker = `FWD${randomBytes(12).toString('hex')}`;
  const capture = await startCapture(ports, 'routes');
  const [a, b, c, d] = (await Promise.all(
    ['a', 'b', 'c', 'd'].map((n, i) => startLoopbackNode(n, 'hop', ports[i])),
  )) as [LoopbackNode, LoopbackNode, LoopbackNode, LoopbackNode];
  // a dials b; b and c, c and d know each other's addresses; nobody knows where c or d live but c and d.
  await addPeer(a, b, 'terminal,forward', true);
  await addPeer(a, c, 'terminal', false);
  await addPeer(a, d, 'terminal', false);
  await addPeer(b, a, 'relay', false);
  await addPeer(b, c, 'terminal', true);
  await addPeer(c, b, 'relay', true);
  await addPeer(c, d, 'terminal', true);
  await addPeer(c, a, 'relay', false);
  await addPeer(d, c, 'terminal', true);
  await addPeer(d, a, 'terminal,forward', false);

  // Five hops are refused with one line, and nothing is saved.
  const five = await cli([
    'peers',
    'route',
    'd',
    '--via',
    'b',
    '--via',
    'c',
    '--via',
    'b',
    '--via',
    'c',
    '--via',
    'b',
    '--home',
    a.home,
  ]);
  assert.equal(five.code, 1);
  assert.match(five.stderr, /a route has at most 4 hops; 5 given/);
  assert.equal((await peerOf(a.home, 'd'))?.route, null);
  const loop = await cli(['peers', 'route', 'd', '--via', 'b', '--via', 'b', '--home', a.home]);
  assert.match(loop.stderr, /hop b comes twice/);

  assert.match(
    await ok(['peers', 'route', 'd', '--via', 'b', '--via', 'c', '--home', a.home]),
    /d is reached via b -> c/,
  );
  const online = await until(
    'a → d over the route',
    async () => {
      const p = await peerOf(a.home, 'd');
      return p?.state === 'online' && p;
    },
    30_000,
  );
  assert.equal(online.path, 'route');
  assert.equal(online.address, 'via b → c');
  assert.deepEqual(online.route, ['b', 'c']);
  assert.match(await ok(['peers', '--home', a.home]), /route\s+via b -> c/, 'in ASCII on the terminal');
  assert.match(await ok(['ping', 'd', '--home', a.home]), /^pong from d via b -> c in [\d.]+ ms/);

  // A terminal through the route prints the marker.
  const term = await cli(['term', 'd', '--home', a.home, '--', 'sh', '-c', `echo ${marker}`]);
  assert.equal(term.code, 0, term.stderr);
  assert.ok(term.stdout.includes(marker), 'term.stdout.includes(marker)');

  // A TCP forward through d moves bytes.
  const server = createServer((s) => s.end(`${fileMarker}\n`.repeat(2000)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const target = (server.address() as AddressInfo).port;
  const local = await freePort();
  await ok([
    'forward',
    'add',
    '--local',
    String(local),
    '--via',
    'd',
    '--remote',
    `127.0.0.1:${target}`,
    '--home',
    a.home,
  ]);
  const got = await until('bytes through the forward', () => readAll(local), 20_000);
  assert.equal(got, `${fileMarker}\n`.repeat(2000));
  server.close();

  // b carries the route's link as a hop: listed in its connections (a → c), ciphertext bytes both ways.
  const onB = await cliJson<ConnectionInfo[]>(['connections', '--json', '--home', b.home]);
  const hop = onB.find((x) => x.kind === 'chain-hop');
  assert.ok(hop, JSON.stringify(onB));
  assert.deepEqual([hop.from, hop.to], ['a', 'c']);
  assert.ok(hop.bytesIn > 0 && hop.bytesOut > 0, JSON.stringify(hop));

  // c stops relaying for b: the chain breaks and names c.
  await ok(['peers', 'deny', 'b', 'relay', '--home', c.home]);
  const broken = await until(
    'the route refused at c',
    async () => {
      const p = await peerOf(a.home, 'd');
      return p?.state !== 'online' && /hop c refused/.test(p?.stateDetail ?? '') && p;
    },
    30_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(await peerOf(a.home, 'd'))}`);
  });
  // In b's words, not c's (F7: a hop names none of its peers to the node before it); a names c and b.
  assert.match(
    broken.stateDetail!,
    /hop c refused: permission denied: c does not relay for b \(its owner can run `clawbridge peers allow b relay` on c\)/,
  );
  const refused = await cli(['term', 'd', '--home', a.home, '--', 'true']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /hop c refused/);

  if (capture) {
    await capture.stop();
    const captured = capture.bytes();
    // Positive control: the capture holds the agents' traffic (the terminal's bytes went through it).
    assert.ok(captured.length > 20_000, `capture too small (${captured.length} bytes)`);
    assert.equal(captured.includes(marker), false, 'terminal marker in the clear on loopback');
    assert.equal(captured.includes(fileMarker), false, 'forward marker in the clear on loopback');
  }
});
