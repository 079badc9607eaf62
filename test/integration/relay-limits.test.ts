/**
 * Per-IP limits on loopback (every test client is 127.0.0.1): connections per IP and authentication
 * attempts per minute, each refused with its close code, counted, and lifted when the cause goes away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import { isClawError, type ClawError } from '../../src-main/core/errors.js';
import { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange, RawClient, startTestRelay, within } from '../helpers/relay-harness.js';
import { sleep } from '../helpers/wait.js';

test('connectionsPerIp: the extra connection is refused until one closes', async () => {
  const relay = await startTestRelay({ limits: { connectionsPerIp: 3 } });
  try {
    const open = [
      await RawClient.connect(relay.url),
      await RawClient.connect(relay.url),
      await RawClient.connect(relay.url),
    ];
    const extra = await RawClient.connect(relay.url);
    assert.deepEqual(await extra.closedWith(), {
      code: RelayCloseCode.TOO_MANY_CONNECTIONS,
      reason: 'too many connections from this IP',
    });
    assert.equal(extra.frames.length, 0, 'no challenge for a refused connection');
    const client = new RelayClient({
      url: relay.url,
      identity: await testIdentity('lim-c'),
      retryDelayMs: () => 50,
    });
    const err = await within(
      'limit error',
      new Promise<ClawError>((resolve) => {
        client.on('error', resolve);
        client.start();
      }),
    );
    client.stop();
    assert.ok(isClawError(err, 'RELAY_LIMIT'), "isClawError(err, 'RELAY_LIMIT')");
    assert.match(err.message, /too many connections from this address/);
    assert.match(await relay.metricsText(), /auth_failures_total\{reason="too_many_connections"\} 2/);

    open[0]!.ws.close();
    open[1]!.ws.close();
    await Promise.all([open[0]!.closed, open[1]!.closed]);
    const a = await connectedClient(relay.url, await testIdentity('lim-a'));
    const b = await connectedClient(relay.url, await testIdentity('lim-b'));
    await exchange(a, b);
    a.stop();
    b.stop();
    open[2]!.ws.close();
  } finally {
    await relay.close();
  }
});

test('authAttemptsPerMinute: a burst beyond the limit is refused, then the bucket refills', async () => {
  // 120 per minute = a burst of 120, then 2 more every second.
  const relay = await startTestRelay({ limits: { authAttemptsPerMinute: 120, connectionsPerIp: 1000 } });
  try {
    let refused: { code: number; reason: string } | undefined;
    let admitted = 0;
    for (let i = 0; i < 140 && !refused; i++) {
      const raw = await RawClient.connect(relay.url);
      refused = await Promise.race([raw.next().then(() => undefined), raw.closedWith()]);
      if (!refused) admitted += 1;
      raw.ws.close();
    }
    assert.deepEqual(refused, { code: RelayCloseCode.AUTH_RATE_LIMITED, reason: 'auth rate limit exceeded' });
    // The burst, plus what refilled while the loop ran.
    assert.ok(admitted >= 120 && admitted < 130, `admitted ${admitted}`);
    assert.match(await relay.metricsText(), /auth_failures_total\{reason="auth_rate_limited"\} 1/);
    await sleep(1100, 'the auth rate limit refills over time');
    const a = await connectedClient(relay.url, await testIdentity('rate-a'));
    const b = await connectedClient(relay.url, await testIdentity('rate-b'));
    await exchange(a, b);
    a.stop();
    b.stop();
  } finally {
    await relay.close();
  }
});
