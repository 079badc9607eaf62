/**
 * The relay's heartbeat (ADR 0054): a connection that pings on its own, as our clients do, is never
 * pinged by the relay; a quiet one is, and stays connected while it answers. Without circuits both
 * ends use the longer idle interval (ADR 0061).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { fingerprintOfCert } from '../../src-main/crypto/signature.js';
import {
  CHALLENGE_NONCE_BYTES,
  decodeRelayFrame,
  encodeRelayFrame,
  RELAY_ASSIGNED_CIRCUIT_BIT,
} from '../../src-main/protocol/relay-frames.js';
import { connectedClient, RawClient, startTestRelay, within } from '../helpers/relay-harness.js';
import { testIdentity } from '../helpers/identities.js';
import { sleep } from '../helpers/wait.js';

/** The relay's ping interval here, in ms: short, so the test sees several. */
const INTERVAL_MS = 200;
/** How long each connection is watched, in ms: several intervals. */
const WATCH_MS = 2_000;

/**
 * Pings `ws` every `everyMs` and records, for each ping the relay sends it, how long our side had been
 * quiet then. The relay may ping only after a quiet interval: on a loaded machine our timer can run
 * late, and a ping after such a gap is the relay doing its job, not a fault, so the test judges the
 * gaps, not the count.
 */
function pingAndWatch(ws: WebSocket, everyMs: number): { stop: () => void; quietAtRelayPings: number[] } {
  let lastOwnPing = performance.now();
  const quietAtRelayPings: number[] = [];
  ws.on('ping', () => quietAtRelayPings.push(performance.now() - lastOwnPing));
  const pinger = setInterval(() => {
    ws.ping();
    lastOwnPing = performance.now();
  }, everyMs);
  return { stop: () => clearInterval(pinger), quietAtRelayPings };
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', () => undefined);
  return within('a connection to the relay', new Promise((resolve) => ws.once('open', () => resolve(ws))));
}

test('a connection that pings on its own gets no pings from the relay; a quiet one does', async () => {
  // authTimeoutMs long enough that neither unauthenticated connection is closed while watched.
  // One interval for both, circuits or not (the idle one has its own test below).
  const relay = await startTestRelay({
    limits: { pingIntervalMs: INTERVAL_MS, idlePingIntervalMs: INTERVAL_MS, authTimeoutMs: 60_000 },
  });
  try {
    const talker = await open(relay.url);
    const quiet = await open(relay.url);
    let quietPinged = 0;
    quiet.on('ping', () => quietPinged++);
    const talking = pingAndWatch(talker, INTERVAL_MS / 2);
    await sleep(WATCH_MS, 'the window in which pings are counted');
    talking.stop();
    assert.deepEqual(
      talking.quietAtRelayPings.filter((ms) => ms < INTERVAL_MS),
      [],
      'the relay pinged a connection that had pinged within the interval',
    );
    assert.ok(quietPinged >= 2, `the quiet connection was pinged ${quietPinged} times`);
    assert.equal(quiet.readyState, WebSocket.OPEN, 'the quiet connection answers, so it stays');
    talker.close();
    quiet.close();
  } finally {
    await relay.close();
  }
});

test('a connection without circuits is expected at the idle interval: pinging that often, it is never pinged', async () => {
  // ADR 0061: the relay expects pings every idlePingIntervalMs from a node with no circuit (before it,
  // every pingIntervalMs, so this connection was pinged every time it went 1.2 short intervals quiet).
  const relay = await startTestRelay({
    limits: { pingIntervalMs: INTERVAL_MS, idlePingIntervalMs: 4 * INTERVAL_MS, authTimeoutMs: 60_000 },
  });
  try {
    const idle = await open(relay.url);
    // Every 2.5 short intervals: far quieter than a busy node, well within the idle interval.
    const talking = pingAndWatch(idle, (INTERVAL_MS * 5) / 2);
    await sleep(WATCH_MS, 'the window in which pings are counted');
    talking.stop();
    assert.deepEqual(
      talking.quietAtRelayPings.filter((ms) => ms < 4 * INTERVAL_MS),
      [],
      'the relay pinged a connection without circuits within its idle interval of its last ping',
    );
    assert.equal(idle.readyState, WebSocket.OPEN);
    idle.close();
  } finally {
    await relay.close();
  }
});

/**
 * A stand-in relay that authenticates anyone (CHALLENGE, then AUTH_OK for the HELLO's node ID) and
 * counts the WebSocket pings it gets; `incoming()` opens a circuit towards the client.
 */
async function countingRelay(): Promise<{
  url: string;
  pings: () => number;
  incoming: () => void;
  close: () => Promise<void>;
}> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  let pings = 0;
  let client: WebSocket | undefined;
  wss.on('connection', (ws) => {
    client = ws;
    const challenge = encodeRelayFrame({
      type: 'challenge',
      nonce: randomBytes(CHALLENGE_NONCE_BYTES),
      maxFrameBytes: 1 << 20,
      relayInfo: 'counting-relay/1',
    });
    ws.on('ping', () => pings++);
    ws.on('message', (data: Buffer) => {
      const frame = decodeRelayFrame(data);
      if (frame.type !== 'hello') return;
      ws.send(
        encodeRelayFrame({
          type: 'auth-ok',
          nodeId: fingerprintOfCert(frame.certDer),
          circuitsPerNode: 16,
          idleTimeoutMs: 600_000,
        }),
      );
    });
    ws.send(challenge);
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    pings: () => pings,
    incoming: () =>
      client?.send(
        encodeRelayFrame({
          type: 'incoming',
          circuitId: (RELAY_ASSIGNED_CIRCUIT_BIT | 1) >>> 0,
          source: 'a'.repeat(64),
        }),
      ),
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise((r) => wss.close(() => r(undefined)));
    },
  };
}

test('a client pings less often while it has no circuit, and at the short interval with one', async () => {
  const relay = await countingRelay();
  const client = await connectedClient(relay.url, await testIdentity('idle-heartbeat'), {
    pingIntervalMs: INTERVAL_MS,
  });
  try {
    const p0 = relay.pings();
    await sleep(WATCH_MS, 'the window in which pings are counted');
    const idlePings = relay.pings() - p0;
    const circuit = new Promise((resolve) => client.on('incoming', resolve));
    relay.incoming();
    await within('the circuit the relay opened', circuit);
    const p1 = relay.pings();
    await sleep(WATCH_MS, 'the window in which pings are counted');
    const busyPings = relay.pings() - p1;
    // 2 s at 200 ms: 10 pings with a circuit; without, one every 800 ms (before ADR 0061, 10 as well).
    assert.ok(idlePings <= 4, `an idle client pinged ${idlePings} times in ${WATCH_MS} ms`);
    assert.ok(busyPings > idlePings, `with a circuit ${busyPings} pings, idle ${idlePings}`);
    assert.equal(client.state, 'connected');
  } finally {
    client.stop();
    await relay.close();
  }
});

test('a node that was quiet at the idle interval is not cut when a circuit opens to it', async () => {
  // ADR 0069: the short interval applies once a node has a circuit. Before, the silence it kept under
  // the idle one counted against the short one, and the next pass cut it (three short intervals quiet).
  const relay = await startTestRelay({
    limits: { pingIntervalMs: INTERVAL_MS, idlePingIntervalMs: 20 * INTERVAL_MS, authTimeoutMs: 60_000 },
  });
  try {
    const [idA, idB] = [await testIdentity('quiet-opener'), await testIdentity('quiet-target')];
    const a = await RawClient.connect(relay.url);
    const b = await RawClient.connect(relay.url);
    await a.authenticate(idA);
    await b.authenticate(idB);
    assert.equal((await a.next()).type, 'auth-ok');
    assert.equal((await b.next()).type, 'auth-ok');
    // b says nothing for five short intervals: well within its idle interval, past three short ones.
    await sleep(5 * INTERVAL_MS, 'b says nothing for five short intervals');
    a.send(encodeRelayFrame({ type: 'open', circuitId: 1, target: idB.fingerprint }));
    assert.equal((await b.next()).type, 'incoming');
    // Several passes later b (whose ws answers the relay's pings) is still there.
    await sleep(5 * INTERVAL_MS, 'several passes of the sweep, which must not cut b');
    assert.equal(b.ws.readyState, WebSocket.OPEN, 'the relay cut b as the circuit opened');
    a.ws.close();
    b.ws.close();
  } finally {
    await relay.close();
  }
});
