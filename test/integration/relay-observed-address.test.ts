/**
 * The relay tells a node that asks where it sees the node's connection come from (AUTH_OK's observed
 * address, as a STUN server would), and the relay client keeps it per relay. Older peers keep working:
 * a node that does not ask (an older one) gets AUTH_OK in its old layout, and a relay that does not
 * announce the feature (an older one) is never sent the HELLO flags byte it would refuse.
 * On loopback; test/integration/relay-observed-nat.test.ts does it behind real NATs.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocketServer } from 'ws';
import {
  decodeRelayFrame,
  encodeRelayFrame,
  NODE_ID_BYTES,
  RELAY_HEADER_BYTES,
  type RelayFrame,
} from '../../src-main/protocol/relay-frames.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, RawClient, startTestRelay, within } from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

let relay: RelayServer;
before(async () => {
  relay = await startTestRelay();
});
after(() => relay.close());

test('a node that asks learns the address and port the relay sees', async () => {
  const raw = await RawClient.connect(relay.url, '127.0.0.7');
  try {
    await raw.authenticate(await testIdentity('observed-raw'), { wantsObserved: true });
    const ok = await raw.next();
    assert.equal(ok.type, 'auth-ok');
    assert.ok(ok.type === 'auth-ok', "ok.type === 'auth-ok'");
    const local = (raw.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
    assert.deepEqual(ok.observed, { address: '127.0.0.7', port: local });
  } finally {
    raw.ws.close();
  }
});

test('an older node (no flag in HELLO) gets AUTH_OK in the old layout, without the address', async () => {
  const raw = await RawClient.connect(relay.url);
  try {
    await raw.authenticate(await testIdentity('observed-old'));
    const ok = await raw.next();
    assert.equal(ok.type, 'auth-ok');
    assert.equal(raw.raw[1]!.length, RELAY_HEADER_BYTES + NODE_ID_BYTES + 8);
  } finally {
    raw.ws.close();
  }
});

test('the relay client keeps what its relay observed, and forgets it when stopped', async () => {
  const client = await connectedClient(relay.url, await testIdentity('observed-client'));
  try {
    const seen = client.observed;
    assert.ok(seen, 'no observation');
    assert.equal(seen.relay, relay.url);
    assert.equal(seen.address, '127.0.0.1');
    assert.ok(seen.local, 'seen.local');
    assert.equal(seen.port, seen.local.port);
  } finally {
    client.stop();
  }
  assert.equal(client.observed, undefined);
});

test('an older relay (no observed-address in its CHALLENGE) gets the HELLO it knows', async () => {
  const identity = await testIdentity('observed-old-relay');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const hellos: RelayFrame[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const hello = decodeRelayFrame(data);
      hellos.push(hello);
      ws.send(
        encodeRelayFrame({
          type: 'auth-ok',
          nodeId: identity.fingerprint,
          circuitsPerNode: 8,
          idleTimeoutMs: 60_000,
        }),
      );
    });
    ws.send(
      encodeRelayFrame({
        type: 'challenge',
        nonce: new Uint8Array(32),
        maxFrameBytes: 1 << 20,
        relayInfo: 'clawbridge-relay/1 splice listen-tag splice-sni',
      }),
    );
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const client = new RelayClient({ url, identity, retryDelayMs: () => 50 });
  try {
    client.start();
    await until('connected to the older relay', () => client.state === 'connected');
    assert.equal(hellos.length, 1);
    assert.equal(hellos[0]!.type, 'hello');
    assert.ok(
      hellos[0]!.type === 'hello' && hellos[0]!.wantsObserved === undefined,
      "hellos[0]!.type === 'hello' && hellos[0]!.wantsObserved === undefined",
    );
    assert.equal(client.observed, undefined);
  } finally {
    client.stop();
    await within('the fake relay to close', new Promise((r) => wss.close(r)));
  }
});
