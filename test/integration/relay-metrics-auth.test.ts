/**
 * GET /metrics over real HTTP on loopback: open by default (totals only, no node IDs), or behind the
 * relay access token with metricsTokenRequired (`clawbridge relay --metrics-token-required`), where a
 * wrong token costs a per-IP authentication attempt like a connection does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRelayFromCli } from '../../src-main/cli/relay-command.js';
import { isClawError } from '../../src-main/core/errors.js';
import { RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange, RawClient, startTestRelay } from '../helpers/relay-harness.js';

const TOKEN = 'metrics-test-token';

async function get(
  relay: RelayServer,
  path: string,
  authorization?: string,
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${relay.port}${path}`, {
    headers: authorization ? { authorization } : {},
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

test('by default /metrics is open, with totals only: no node ID appears', async () => {
  const relay = await startTestRelay({ token: TOKEN });
  try {
    const a = await connectedClient(relay.url, await testIdentity('met-a'), { token: TOKEN });
    const b = await connectedClient(relay.url, await testIdentity('met-b'), { token: TOKEN });
    await exchange(a, b);
    const res = await get(relay, '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.body, /^clawbridge_relay_nodes 2$/m);
    for (const id of [a.nodeId, b.nodeId]) assert.ok(!res.body.includes(id), 'no node ID in /metrics');
    assert.ok(!res.body.includes('127.0.0.1'), 'no address in /metrics');
    a.stop();
    b.stop();
  } finally {
    await relay.close();
  }
});

test('metricsTokenRequired: /metrics answers 401 without the access token and 200 with it', async () => {
  const relay = await startTestRelay({ token: TOKEN, metricsTokenRequired: true });
  try {
    const none = await get(relay, '/metrics');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="clawbridge relay"');
    assert.ok(!none.body.includes('clawbridge_relay_'), 'no metrics in a refusal');
    assert.equal((await get(relay, '/metrics', 'Bearer wrong-token')).status, 401);
    assert.equal((await get(relay, '/metrics', `Basic ${TOKEN}`)).status, 401, 'only Bearer');
    const ok = await get(relay, '/metrics', `Bearer ${TOKEN}`);
    assert.equal(ok.status, 200);
    assert.match(ok.body, /auth_failures_total\{reason="metrics_unauthorized"\} 3/);
    assert.equal((await get(relay, '/metrics', `bearer ${TOKEN}`)).status, 200, 'scheme is case-insensitive');
    // The rest of the relay is unchanged: health checks stay open, nodes connect with the token.
    assert.equal((await get(relay, '/healthz')).status, 200);
    const a = await connectedClient(relay.url, await testIdentity('met-a'), { token: TOKEN });
    const b = await connectedClient(relay.url, await testIdentity('met-b'), { token: TOKEN });
    await exchange(a, b);
    a.stop();
    b.stop();
  } finally {
    await relay.close();
  }
});

test('metricsTokenRequired: wrong tokens use up the per-IP attempts, so the token cannot be guessed over HTTP', async () => {
  const attempts = 3;
  const relay = await startTestRelay({
    token: TOKEN,
    metricsTokenRequired: true,
    limits: { authAttemptsPerMinute: attempts },
  });
  try {
    // Requests without a token are no guess: a scraper missing its token must not lock out nodes.
    for (let i = 0; i < attempts + 2; i++) assert.equal((await get(relay, '/metrics')).status, 401);
    for (let i = 0; i < attempts; i++) {
      assert.equal((await get(relay, '/metrics', `Bearer guess-${i}`)).status, 401);
    }
    const limited = await get(relay, '/metrics', `Bearer ${TOKEN}`);
    assert.equal(limited.status, 429, 'out of attempts: not even the right token is checked');
    assert.equal(limited.headers.get('retry-after'), '60');
    // The same bucket as connections: this address cannot start a node authentication either.
    const raw = await RawClient.connect(relay.url);
    assert.equal((await raw.closedWith()).code, RelayCloseCode.AUTH_RATE_LIMITED);
  } finally {
    await relay.close();
  }
});

test('metricsTokenRequired needs an access token, in the API and on the command line', async () => {
  await assert.rejects(
    startTestRelay({ metricsTokenRequired: true }),
    (err) => isClawError(err, 'CONFIG_INVALID') && /needs a relay access token/.test(err.message),
  );
  await assert.rejects(
    startRelayFromCli({ listen: '127.0.0.1:0', tls: false, metricsTokenRequired: true }),
    (err) =>
      isClawError(err, 'BAD_ARGUMENT') &&
      /--metrics-token-required needs a token \(--token-file or CLAWBRIDGE_RELAY_TOKEN\)/.test(err.message),
  );
});
