/**
 * Relay authentication on loopback: tokens, forged identities, replaced connections, auth timeout,
 * idle timeout, heartbeats. After each bad client a good pair still authenticates and exchanges bytes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { isClawError, type ClawError } from '../../src-main/core/errors.js';
import { signIdentity } from '../../src-main/crypto/signature.js';
import { RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import { encodeRelayFrame, RELAY_AUTH_CONTEXT } from '../../src-main/protocol/relay-frames.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange, RawClient, startTestRelay, within } from '../helpers/relay-harness.js';
import { until, sleep } from '../helpers/wait.js';

const TOKEN = 'open sesame';
let relay: RelayServer;

// The shared relay gives a client all the time it needs to authenticate: a test's client makes its
// identity and signs on a machine that may be busy. The timeouts have relays of their own below, where
// nothing is sent, so only the relay's timer decides.
before(async () => {
  relay = await startTestRelay({ token: TOKEN, limits: { authTimeoutMs: 30_000 } });
});
after(() => relay.close());

/** A good pair authenticates and exchanges bytes: the relay still serves everyone else. */
async function goodPairWorks(): Promise<void> {
  const a = await connectedClient(relay.url, await testIdentity('auth-good-a'), { token: TOKEN });
  const b = await connectedClient(relay.url, await testIdentity('auth-good-b'), { token: TOKEN });
  try {
    await exchange(a, b);
  } finally {
    a.stop();
    b.stop();
  }
}

/** The first error a client reports (it keeps retrying; the test stops it). */
async function firstError(client: RelayClient): Promise<ClawError> {
  const error = new Promise<ClawError>((resolve) => client.on('error', resolve));
  client.start();
  try {
    return await within('a relay client error', error);
  } finally {
    client.stop();
  }
}

/** Value of an unlabelled metric in the relay's Prometheus text. */
async function metric(name: string): Promise<number> {
  const line = (await relay.metricsText()).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

test('a wrong token is refused with a line that names the flag to fix', async () => {
  const id = await testIdentity('auth-bad-token');
  const client = new RelayClient({ url: relay.url, identity: id, token: 'wrong', retryDelayMs: () => 50 });
  const states: string[] = [];
  client.on('state', (s) => states.push(s));
  const err = await firstError(client);
  assert.ok(isClawError(err, 'RELAY_AUTH_FAILED'), "isClawError(err, 'RELAY_AUTH_FAILED')");
  assert.equal(
    err.message,
    `relay ${relay.url}: access token rejected — check the token given with --relay-token-file`,
  );
  assert.ok(!states.includes('connected'), "!states.includes('connected')");
  assert.match(
    await relay.metricsText(),
    /clawbridge_relay_auth_failures_total\{reason="token_rejected"\} [1-9]/,
  );
  await goodPairWorks();
});

test('a missing token is refused with code TOKEN_REQUIRED', async () => {
  const raw = await RawClient.connect(relay.url);
  await raw.authenticate(await testIdentity('auth-no-token'));
  assert.deepEqual(await raw.closedWith(), {
    code: RelayCloseCode.TOKEN_REQUIRED,
    reason: 'access token required',
  });
  const err = await firstError(
    new RelayClient({
      url: relay.url,
      identity: await testIdentity('auth-no-token'),
      retryDelayMs: () => 50,
    }),
  );
  assert.match(err.message, /requires an access token — give it with --relay-token-file/);
  await goodPairWorks();
});

test('a node cannot register under another node ID: bad signature', async () => {
  const victim = await testIdentity('auth-victim');
  const attacker = await testIdentity('auth-attacker');
  const raw = await RawClient.connect(relay.url);
  // The victim's certificate, signed with the attacker's key.
  await raw.authenticate(victim, { token: TOKEN, signer: attacker });
  assert.deepEqual(await raw.closedWith(), { code: RelayCloseCode.BAD_SIGNATURE, reason: 'bad signature' });
  assert.match(await relay.metricsText(), /clawbridge_relay_auth_failures_total\{reason="bad_signature"\} 1/);
  await goodPairWorks();
});

test('a signature over a different challenge does not verify (no replay)', async () => {
  const id = await testIdentity('auth-replay');
  const first = await RawClient.connect(relay.url);
  await first.next();
  const second = await RawClient.connect(relay.url);
  await second.next();
  // Sign the first connection's challenge, present it on the second.
  const signature = signIdentity(id.keyPem, RELAY_AUTH_CONTEXT, first.raw[0]!);
  second.send(encodeRelayFrame({ type: 'hello', certDer: id.certDer, signature, token: TOKEN }));
  assert.equal((await second.closedWith()).code, RelayCloseCode.BAD_SIGNATURE);
  first.ws.close();
});

test('no HELLO within authTimeoutMs closes with AUTH_TIMEOUT', async () => {
  const strict = await startTestRelay({ token: TOKEN, limits: { authTimeoutMs: 300 } });
  try {
    const raw = await RawClient.connect(strict.url);
    assert.deepEqual(await raw.closedWith(), {
      code: RelayCloseCode.AUTH_TIMEOUT,
      reason: 'authentication timeout',
    });
    assert.match(
      await strict.metricsText(),
      /clawbridge_relay_auth_failures_total\{reason="auth_timeout"\} 1/,
    );
  } finally {
    await strict.close();
  }
  await goodPairWorks();
});

test('an authenticated node that sends nothing is closed for idleness; a pinging client is not', async () => {
  const quiet = await startTestRelay({ token: TOKEN, limits: { idleTimeoutMs: 3000 } });
  try {
    // Made before connecting: the time it takes is not the relay's to count.
    const idle = await testIdentity('auth-idle');
    const raw = await RawClient.connect(quiet.url);
    await raw.authenticate(idle, { token: TOKEN });
    const ok = await raw.next();
    assert.equal(ok.type, 'auth-ok');
    assert.equal(ok.type === 'auth-ok' && ok.idleTimeoutMs, 3000);
    assert.deepEqual(await raw.closedWith(), { code: RelayCloseCode.IDLE_TIMEOUT, reason: 'idle timeout' });

    const busy = await connectedClient(quiet.url, await testIdentity('auth-busy'), {
      token: TOKEN,
      pingIntervalMs: 100,
    });
    // Thirty pings a timeout: only a stall of the whole process near the timeout could close it.
    await sleep(4000, 'past the 3 s idle timeout: a pinging client must stay');
    assert.equal(busy.state, 'connected');
    busy.stop();
  } finally {
    await quiet.close();
  }
});

test('a newer connection with the same identity replaces the older one, which is told why', async () => {
  const id = await testIdentity('auth-twice');
  const first = await connectedClient(relay.url, id, { token: TOKEN });
  const err = new Promise<ClawError>((resolve) => first.on('error', resolve));
  const second = await connectedClient(relay.url, id, { token: TOKEN });
  const e = await within('the replaced client error', err);
  assert.ok(isClawError(e, 'RELAY_REPLACED'), "isClawError(e, 'RELAY_REPLACED')");
  assert.match(e.message, /running twice with the same identity/);
  // Until it reconnects (after a long backoff), the newer connection is the route.
  first.stop();
  const peer = await connectedClient(relay.url, await testIdentity('auth-twice-peer'), { token: TOKEN });
  await exchange(peer, second);
  second.stop();
  peer.stop();
});

test('a connection that stops answering pings is terminated', async () => {
  const fast = await startTestRelay({
    limits: { pingIntervalMs: 100, idlePingIntervalMs: 100, maxMissedPongs: 2 },
  });
  try {
    const ws = new WebSocket(fast.url, { perMessageDeflate: false, autoPong: false });
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    // 1006: terminated without a closing handshake, as for a dead link.
    assert.equal(await within('heartbeat termination', closed), 1006);
    await until('counted', async () =>
      /disconnects_total\{reason="heartbeat"\} 1/.test(await fast.metricsText()),
    );
  } finally {
    await fast.close();
  }
});

test('healthz and metrics answer over HTTP with the counters', async () => {
  await goodPairWorks();
  const health = await fetch(relay.url.replace('ws:', 'http:') + '/healthz');
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok');
  const probe = await fetch(relay.url.replace('ws:', 'http:') + '/healthz', { method: 'HEAD' });
  assert.equal(probe.status, 200, 'a load balancer that probes with HEAD sees it up');
  const posted = await fetch(relay.url.replace('ws:', 'http:') + '/healthz', { method: 'POST' });
  assert.deepEqual([posted.status, posted.headers.get('allow')], [405, 'GET, HEAD']);
  const metrics = await fetch(relay.url.replace('ws:', 'http:') + '/metrics');
  assert.equal(metrics.status, 200);
  const text = await metrics.text();
  for (const name of [
    'clawbridge_relay_connections',
    'clawbridge_relay_nodes',
    'clawbridge_relay_circuits',
    'clawbridge_relay_bytes_forwarded_total',
    'clawbridge_relay_frames_rejected_total',
    'clawbridge_relay_auth_failures_total',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.ok(
    (await metric('clawbridge_relay_bytes_forwarded_total')) >= 8,
    "(await metric('clawbridge_relay_bytes_forwarded_total')) >= 8",
  );
  assert.match(text, /clawbridge_relay_auth_failures_total\{reason="token_rejected"\} [1-9]/);
  assert.equal((await fetch(relay.url.replace('ws:', 'http:') + '/nope')).status, 404);
});
