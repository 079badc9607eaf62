/**
 * Backpressure on loopback: a node that stops reading makes the relay stop reading its senders (they
 * see Circuit.send return false), and is disconnected as a slow consumer after slowConsumerTimeoutMs;
 * a frame that would take its queue past maxBufferedBytes closes its own circuit instead; senders then
 * resume and keep working. Bounded in bytes and time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../src-main/core/errors.js';
import { RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import type { RelayLimits } from '../../src-main/protocol/relay-limits.js';
import type { Circuit } from '../../src-main/transport/circuit.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange, RawClient, startTestRelay, within } from '../helpers/relay-harness.js';
import { until, sleep } from '../helpers/wait.js';

/** Upper bound of what a test pushes at a stalled reader, in bytes. */
const MAX_PUSH_BYTES = 256 * 1024 * 1024;
const CHUNK = new Uint8Array(60 * 1024);

/**
 * Sends until `send` returns false and no drain follows within 200 ms (backpressure reached the
 * sender), or the circuit closes. Returns the bytes sent and whether backpressure was seen.
 */
async function pushUntilStalled(circuit: Circuit): Promise<{ sent: number; stalled: boolean }> {
  let sent = 0;
  while (sent < MAX_PUSH_BYTES && !circuit.closed) {
    if (circuit.send(CHUNK)) {
      sent += CHUNK.length;
      continue;
    }
    sent += CHUNK.length;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => circuit.onDrain(() => resolve(true))),
      sleep(200, 'no drain within this window is backpressure').then(() => false),
    ]);
    if (!drained) return { sent, stalled: true };
  }
  return { sent, stalled: false };
}

async function scenario(limits: Partial<RelayLimits>, label: string) {
  const relay = await startTestRelay({ limits });
  const sender = await connectedClient(relay.url, await testIdentity(`${label}-sender`));
  const other = await connectedClient(relay.url, await testIdentity(`${label}-other`));
  const slow = await RawClient.connect(relay.url);
  await slow.authenticate(await testIdentity(`${label}-slow`));
  const ok = await slow.next();
  assert.equal(ok.type, 'auth-ok');
  const circuit = await sender.openCircuit(ok.type === 'auth-ok' ? ok.nodeId : '', 5000);
  assert.equal((await slow.next()).type, 'incoming');
  // Stop reading: the relay's writes to this socket back up.
  slow.ws.pause();
  const circuitClosed = within(
    'the circuit to close',
    new Promise<Error | undefined>((r) => circuit.onClose(r)),
    10_000,
  );
  const slowId = ok.type === 'auth-ok' ? ok.nodeId : '';
  return { relay, sender, other, slow, slowId, circuit, circuitClosed };
}

test('a reader that stalls makes senders wait, then is disconnected after slowConsumerTimeoutMs', async () => {
  const s = await scenario(
    { bufferHighWaterBytes: 64 * 1024, maxBufferedBytes: 64 * 1024 * 1024, slowConsumerTimeoutMs: 500 },
    'bp-timeout',
  );
  try {
    const push = await pushUntilStalled(s.circuit);
    assert.equal(push.stalled, true, `sender saw backpressure after ${push.sent} bytes`);
    const err = await s.circuitClosed;
    assert.ok(isClawError(err, 'LINK_CLOSED'), "isClawError(err, 'LINK_CLOSED')");
    assert.match(err.message, /disconnected from relay/);
    assert.match(await s.relay.metricsText(), /disconnects_total\{reason="slow_consumer"\} 1/);
    // The relay holds at most the hard limit for the stalled reader, never everything that was sent.
    s.slow.ws.resume();
    const closed = await s.slow.closedWith();
    assert.ok(closed.code === RelayCloseCode.SLOW_CONSUMER || closed.code === 1006, `code ${closed.code}`);
    // The sender was resumed: it still reaches others.
    await until('sender drained', () => s.sender.state === 'connected');
    await exchange(s.sender, s.other);
  } finally {
    s.sender.stop();
    s.other.stop();
    await s.relay.close();
  }
});

test('frames that would pass maxBufferedBytes close their circuit, not the reader: several senders cannot push it off', async () => {
  const s = await scenario(
    { bufferHighWaterBytes: 16 * 1024, maxBufferedBytes: 32 * 1024, slowConsumerTimeoutMs: 60_000 },
    'bp-hard',
  );
  try {
    const started = Date.now();
    await pushUntilStalled(s.circuit);
    const err = await s.circuitClosed;
    assert.ok(Date.now() - started < 10_000, 'Date.now() - started < 10_000');
    assert.match(err?.message ?? '', /is not reading fast enough \(its queue is full\)/);
    // More senders, each with a circuit of its own to the stalled reader: each loses only its circuit.
    const others = await Promise.all(
      [1, 2, 3].map(async (i) => connectedClient(s.relay.url, await testIdentity(`bp-hard-extra-${i}`))),
    );
    try {
      for (const extra of others) {
        const c = await extra.openCircuit(s.slowId, 5000);
        const closed = within(
          'the extra circuit to close',
          new Promise<Error | undefined>((r) => c.onClose(r)),
          10_000,
        );
        await pushUntilStalled(c);
        assert.match((await closed)?.message ?? '', /its queue is full/);
      }
      const metrics = await s.relay.metricsText();
      assert.match(metrics, /frames_dropped_total\{reason="destination_full"\} [1-9]/);
      assert.doesNotMatch(metrics, /disconnects_total\{reason="slow_consumer"\} [1-9]/);
      // The reader kept its connection: once it reads again, it is still on the relay.
      s.slow.ws.resume();
      await sleep(300, 'the reader must not be cut within this window');
      assert.equal(s.slow.ws.readyState, s.slow.ws.OPEN, 'the reader is still connected');
      await exchange(s.sender, s.other);
    } finally {
      for (const extra of others) extra.stop();
    }
  } finally {
    s.sender.stop();
    s.other.stop();
    await s.relay.close();
  }
});
