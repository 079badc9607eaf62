/**
 * RelayClient lifecycle on loopback: unreachable relay, reconnect after a relay restart, openCircuit
 * waiting for the connection, stop() ending circuits, argument errors, and its WebSocket masking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { isClawError, type ClawError } from '../../src-main/core/errors.js';
import { encodeRelayFrame } from '../../src-main/protocol/relay-frames.js';
import { RelayClient, type RelayClientState } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange, nextIncoming, startTestRelay, within } from '../helpers/relay-harness.js';
import { freePort } from '../helpers/ports.js';
import { until, sleep } from '../helpers/wait.js';

function collectErrors(client: RelayClient): ClawError[] {
  const errors: ClawError[] = [];
  client.on('error', (e) => errors.push(e));
  return errors;
}

test('an unreachable relay is reported in one line and retried with backoff until stop()', async () => {
  const url = `ws://127.0.0.1:${await freePort()}`;
  const delays: number[] = [];
  const client = new RelayClient({
    url,
    identity: await testIdentity('cl-a'),
    retryDelayMs: (attempt) => (delays.push(attempt), 20),
  });
  const errors = collectErrors(client);
  client.start();
  await until('three attempts', () => errors.length >= 3);
  client.stop();
  assert.ok(isClawError(errors[0], 'RELAY_UNREACHABLE'), "isClawError(errors[0], 'RELAY_UNREACHABLE')");
  assert.equal(
    errors[0].message,
    `relay ${url} is unreachable (connection refused) — check the address and that the relay is running; retrying`,
  );
  assert.deepEqual(delays.slice(0, 3), [0, 1, 2]);
  assert.equal(client.state, 'disconnected');
  assert.equal(client.lastError, errors[0].message);
  const count = errors.length;
  await sleep(100, 'no attempt may come after stop() within this window');
  assert.equal(errors.length, count, 'no attempts after stop()');
});

test('a server that is not a relay is named as such', async () => {
  const server = createServer((_, res) => res.writeHead(404).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RelayClient({ url, identity: await testIdentity('cl-a'), retryDelayMs: () => 1000 });
  const error = new Promise<ClawError>((resolve) => client.on('error', resolve));
  client.start();
  const err = await within('error', error);
  client.stop();
  server.close();
  assert.match(
    err.message,
    /answered HTTP 404 instead of a WebSocket — check that the URL points at a clawbridge relay/,
  );
});

test('after a relay restart the client reconnects and circuits work again; old circuits closed', async () => {
  let relay = await startTestRelay();
  const port = relay.port;
  const a = await connectedClient(relay.url, await testIdentity('cl-restart-a'));
  const b = await connectedClient(relay.url, await testIdentity('cl-restart-b'));
  const states: RelayClientState[] = [];
  a.on('state', (s) => states.push(s));
  const errors = collectErrors(a);
  const incoming = nextIncoming(b);
  const circuit = await a.openCircuit(b.nodeId);
  await incoming;
  const circuitClosed = within('circuit close', new Promise<Error | undefined>((r) => circuit.onClose(r)));
  await relay.close();
  const err = await circuitClosed;
  assert.ok(isClawError(err, 'LINK_CLOSED'), "isClawError(err, 'LINK_CLOSED')");
  assert.ok(isClawError(errors[0], 'RELAY_UNREACHABLE'), "isClawError(errors[0], 'RELAY_UNREACHABLE')");
  assert.match(errors[0].message, /shutting down; reconnecting/);
  relay = await startTestRelay({ port });
  try {
    await until('both reconnected', () => a.state === 'connected' && b.state === 'connected');
    assert.deepEqual(states.slice(0, 2), ['disconnected', 'connecting']);
    await exchange(a, b);
  } finally {
    a.stop();
    b.stop();
    await relay.close();
  }
});

test('openCircuit waits for the relay connection to come up', async () => {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const a = new RelayClient({ url, identity: await testIdentity('cl-wait-a'), retryDelayMs: () => 50 });
  a.start();
  const target = await testIdentity('cl-wait-b');
  const opening = a.openCircuit(target.fingerprint, 5000);
  await sleep(150, 'the relay is still down a while after openCircuit is asked');
  const relay = await startTestRelay({ port });
  const b = await connectedClient(url, target);
  try {
    const circuit = await within('circuit', opening);
    assert.equal(circuit.claimedPeerId, target.fingerprint);
  } finally {
    a.stop();
    b.stop();
    await relay.close();
  }
});

test('openCircuit fails clearly when the relay stays unreachable, when stopped, and for a bad node ID', async () => {
  const url = `ws://127.0.0.1:${await freePort()}`;
  const a = new RelayClient({ url, identity: await testIdentity('cl-fail-a'), retryDelayMs: () => 20 });
  const target = (await testIdentity('cl-fail-b')).fingerprint;
  await assert.rejects(a.openCircuit(target, 100), /relay client for .* is stopped/);
  a.start();
  await assert.rejects(a.openCircuit(target, 300), (err) => {
    assert.ok(isClawError(err, 'RELAY_UNREACHABLE'), "isClawError(err, 'RELAY_UNREACHABLE')");
    assert.match(
      err.message,
      /^cannot reach peer [0-9a-f]{4}…[0-9a-f]{4} through relay ws:\/\/127\.0\.0\.1:\d+: relay .* is unreachable \(connection refused\)/,
    );
    return true;
  });
  await assert.rejects(a.openCircuit('abc', 100), (err) => isClawError(err, 'BAD_FINGERPRINT'));
  const pending = a.openCircuit(target, 5000);
  a.stop();
  await assert.rejects(pending, /was stopped while opening a circuit/);
});

test('stop() closes every circuit and the peer sees them end', async () => {
  const relay = await startTestRelay();
  const a = await connectedClient(relay.url, await testIdentity('cl-stop-a'));
  const b = await connectedClient(relay.url, await testIdentity('cl-stop-b'));
  try {
    const incoming = nextIncoming(b);
    const ca = await a.openCircuit(b.nodeId);
    const cb = await incoming;
    const localClosed = new Promise<Error | undefined>((r) => ca.onClose(r));
    const remoteClosed = within('remote close', new Promise<Error | undefined>((r) => cb.onClose(r)));
    a.stop();
    assert.equal(ca.closed, true);
    assert.ok(isClawError(await localClosed, 'LINK_CLOSED'), "isClawError(await localClosed, 'LINK_CLOSED')");
    assert.match((await remoteClosed)!.message, /disconnected from relay/);
    await until('relay forgot', () => relay.stats().circuits === 0 && relay.stats().nodes === 1);
  } finally {
    b.stop();
    await relay.close();
  }
});

test('constructor rejects bad URLs, pins and tokens with a clear line', async () => {
  const identity = await testIdentity('cl-a');
  assert.throws(
    () => new RelayClient({ url: 'http://x:1', identity }),
    /must start with ws:\/\/ or wss:\/\//,
  );
  assert.throws(() => new RelayClient({ url: 'not a url', identity }), /is not a URL/);
  assert.throws(
    () => new RelayClient({ url: 'wss://x:1', identity, pinnedFingerprint: 'abcd' }),
    /fingerprint must be 64 hex characters, got 4/,
  );
  assert.throws(
    () => new RelayClient({ url: 'ws://x:1', identity, token: 'x'.repeat(256) }),
    /at most 255 bytes/,
  );
});

test('the client masks its frames with an all-zero key (docs/adr/0002-ws-client-zero-mask.md)', async () => {
  // A stand-in relay that records the raw bytes of the connection and sends one CHALLENGE.
  const raw: Buffer[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    socket.on('data', (chunk: Buffer) => raw.push(chunk));
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(
        encodeRelayFrame({
          type: 'challenge',
          nonce: Buffer.alloc(32, 7),
          maxFrameBytes: 1 << 20,
          relayInfo: 't',
        }),
      );
      ws.once('message', () => ws.terminate());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RelayClient({ url, identity: await testIdentity('cl-mask'), retryDelayMs: () => 1000 });
  client.start();
  await until('the HELLO frame', () => Buffer.concat(raw).includes(Buffer.of(0x01, 0x02)));
  client.stop();
  wss.close();
  server.close();
  // Recorded from after the upgrade request: the first WebSocket frame is the HELLO.
  const frame = Buffer.concat(raw);
  assert.equal(frame[0], 0x82, 'one final binary frame');
  assert.equal(frame[1]! & 0x80, 0x80, 'the mask bit is set, as RFC 6455 requires of clients');
  const len7 = frame[1]! & 0x7f;
  const keyAt = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
  assert.deepEqual([...frame.subarray(keyAt, keyAt + 4)], [0, 0, 0, 0], 'the masking key is zero');
  assert.deepEqual([...frame.subarray(keyAt + 4, keyAt + 6)], [0x01, 0x02], 'so the payload goes as is');
});

test('a relay that comes back is used again within a probe interval, whatever the backoff (issue 27)', async () => {
  let relay = await startTestRelay();
  const port = relay.port;
  const a = new RelayClient({
    url: relay.url,
    identity: await testIdentity('cl-probe-a'),
    // A backoff far longer than the test: only the probe can bring the client back in time.
    retryDelayMs: (attempt) => (attempt === 0 ? 20 : 60_000),
    probeIntervalMs: 100,
  });
  a.start();
  await until('connected', () => a.state === 'connected');
  assert.equal(a.downSince, undefined);
  const downFrom = Date.now();
  await relay.close();
  await until(
    'down, and the first retry refused',
    () => a.downSince !== undefined && a.lastError !== undefined,
  );
  assert.ok(a.downSince! >= downFrom - 5, 'a.downSince! >= downFrom - 5');
  await sleep(300, 'the relay stays down a while');
  relay = await startTestRelay({ port });
  try {
    // The probe interval is 100 ms; the margin is for a loaded machine, and still far under the backoff.
    await until('reconnected', () => a.state === 'connected', 30_000);
    assert.equal(a.downSince, undefined);
    assert.ok(
      a.backAt !== undefined && a.lastOutageMs !== undefined && a.lastOutageMs >= 300,
      'a.backAt !== undefined && a.lastOutageMs !== undefined && a.lastOutageMs >= 300',
    );
  } finally {
    a.stop();
    await relay.close();
  }
});

test('a relay that accepts TCP but is no relay is not dialed at every probe', async () => {
  let requests = 0;
  const server = createServer((_, res) => (requests++, res.writeHead(404).end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const a = new RelayClient({
    url,
    identity: await testIdentity('cl-probe-b'),
    retryDelayMs: () => 60_000,
    probeIntervalMs: 20,
  });
  a.start();
  await until('first attempt answered', () => requests === 1);
  await sleep(300, 'no second attempt may come within this window');
  a.stop();
  server.close();
  assert.equal(requests, 1);
});
