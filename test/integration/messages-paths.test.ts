/**
 * Messages between real agents on loopback, over each kind of link (issue 54, must-be-true 1 and 5):
 * direct, a relay-only pair, a saved route through a third node. Each time a program on the receiver
 * (an API client listening for `message` events) has the message within 1 s of `messages.send`
 * returning, and its acknowledgement reaches the sender as `read`. A packet capture of the relay's
 * port while a relayed message passes holds no byte of its text.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionInfo } from '../../src-main/api/contract.js';
import { agentCall, cliJson, startRelay, stopAll } from '../helpers/processes.js';
import { startCapture } from '../helpers/capture.js';
import {
  addPeer,
  nextMessage,
  ok,
  online,
  outbox,
  roundTrip,
  send,
  startNode,
  type MessageNode,
} from './message-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(async () => {
  await stopAll();
});

const closeAll = (nodes: MessageNode[]) => Promise.all(nodes.map((n) => n.api.close()));

test('direct: a message reaches a listening program within 1 s, read comes back; both streams are listed, and end on deny', async () => {
  const [a, b] = await Promise.all([startNode('a'), startNode('b')]);
  try {
    await addPeer(a, b);
    await addPeer(b, a);
    assert.equal(await online(a, 'b'), 'direct');
    await roundTrip(a, b, `direct ${randomBytes(4).toString('hex')}`);
    // The stream a opened is a messages-out connection there, and messages-in on b.
    const onA = await cliJson<ConnectionInfo[]>(['connections', '--home', a.home]);
    const onB = await cliJson<ConnectionInfo[]>(['connections', '--home', b.home]);
    const out = onA.find((c) => c.kind === 'messages-out');
    const into = onB.find((c) => c.kind === 'messages-in');
    assert.ok(out && into, JSON.stringify({ onA, onB }));
    assert.equal(out.peer?.name, 'b');
    assert.equal(into.peer?.name, 'a');
    assert.ok(into.bytesIn > 0, 'the message came in on it');
    // b takes the grant away: the open stream ends at once, and what a sends next is refused.
    await ok(['peers', 'deny', 'a', 'message', '--home', b.home]);
    await until(
      'the messages-in connection ended on b',
      async () => !(await agentCall(b.home, 'connections.list', {})).some((c) => c.kind === 'messages-in'),
      30_000,
    );
    const late = await send(a, { peer: 'b', text: 'after the deny' });
    const refused = await until(
      'the late message refused',
      async () => {
        const [m] = await outbox(a, { ids: [late.id] });
        return m?.state === 'refused' && m;
      },
      30_000,
    );
    assert.match(refused.why?.reason ?? '', /clawbridge peers allow a message/);
  } finally {
    await closeAll([a, b]);
  }
});

test('route: a reaches c only through b (b allowed relay), and a message goes that way', async () => {
  const [a, b, c] = await Promise.all([startNode('a'), startNode('b'), startNode('c')]);
  try {
    await addPeer(a, b, 'terminal', true);
    await addPeer(b, a, 'relay', false);
    await addPeer(b, c, 'terminal', true);
    await addPeer(c, b, 'relay', true);
    await addPeer(a, c, 'terminal', false); // no address: only the route reaches it
    await addPeer(c, a, 'message', false);
    await ok(['peers', 'route', 'c', '--via', 'b', '--home', a.home]);
    assert.equal(await online(a, 'c'), 'route');
    await roundTrip(a, c, `route ${randomBytes(4).toString('hex')}`);
  } finally {
    await closeAll([a, b, c]);
  }
});

test('relay only: a message arrives and is read; a capture of the relay port never holds its text', async () => {
  const relayPort = await freePort();
  const capture = await startCapture(relayPort);
  const marker = `MSG${randomBytes(12).toString('hex')}`;
  const relay = await startRelay(relayPort);
  const [a, b] = await Promise.all([
    startNode('a', { relay: relay.url, direct: false }),
    startNode('b', { relay: relay.url, direct: false }),
  ]);
  try {
    await addPeer(a, b);
    await addPeer(b, a);
    assert.equal(await online(a, 'b'), 'relay');
    await roundTrip(a, b, `relay ${marker}`);
    // A larger one too: a body the relay would see in one piece if it saw plaintext at all.
    const big = `${marker} `.repeat(20_000);
    const arrived = nextMessage(b, (m) => m.text === big, 20_000);
    await send(a, { peer: 'b', text: big });
    await arrived;
  } finally {
    await closeAll([a, b]);
    await capture?.stop();
  }
  if (!capture) return;
  const captured = capture.bytes();
  assert.ok(
    captured.includes(new X509Certificate(readFileSync(join(a.home, 'identity.crt'))).raw),
    'the capture holds the relay traffic (a certificate in the relay HELLO)',
  );
  assert.equal(captured.includes(marker), false, "the message's text crossed the relay in the clear");
});
