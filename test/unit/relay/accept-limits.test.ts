/**
 * Connections that never finish their TLS handshake or HTTP upgrade (relay/accept.ts): each is closed
 * at the auth deadline and counted against connectionsPerIp from its accept, over ws:// and wss://.
 * A relay in this process on 127.0.0.1, real sockets; every wait is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { generateIdentity } from '../../../src-main/crypto/identity.js';
import { RelayCloseCode } from '../../../src-main/protocol/relay-close-codes.js';
import { OVER_LIMIT_PER_IP } from '../../../src-main/relay/ip-limits.js';
import type { RelayServer, RelayServerOptions } from '../../../src-main/relay/server.js';
import { RawClient, startTestRelay, within } from '../../helpers/relay-harness.js';
import { until } from '../../helpers/wait.js';

/** The start of a WebSocket upgrade request, without the blank line that would end it. */
const PARTIAL_UPGRADE = 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n';
/** The first bytes of a TLS record header (a handshake record), and nothing more. */
const PARTIAL_TLS = Buffer.from([0x16, 0x03, 0x01]);
/** Short auth deadline for these tests, in ms. */
const DEADLINE_MS = 300;
/** Bound of each whole test, in ms: a relay that cannot close must fail the test, not hang it. */
const TEST_MS = 15_000;
/** Bound of a wait within a test, in ms: half the test's, as the relay's bound waits come in pairs. */
const WAIT_MS = TEST_MS / 2;

type Held = Socket & { closedAt: Promise<number> };

/** A TCP connection that sends `first` and then nothing; `closedAt` resolves with when it closed (ms). */
async function hold(relay: RelayServer, first: string | Buffer): Promise<Held> {
  const socket = connect(relay.port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await within('a TCP connection to the relay', new Promise((r) => socket.once('connect', r)));
  socket.write(first);
  return Object.assign(socket, { closedAt: closed });
}

/** Sockets the relay holds as accepted now: its open-files gauge, which counts them above its start. */
async function acceptedGauge(relay: RelayServer): Promise<number> {
  return Number(/^clawbridge_relay_open_fds (\d+)$/m.exec(await relay.metricsText())?.[1]);
}

/**
 * Waits until the relay holds `n` more accepted sockets than at `base` (its acceptedGauge then): a
 * socket connected on this side is counted per IP on the relay's once it was accepted there.
 */
async function settled(relay: RelayServer, base: number, n: number): Promise<void> {
  await until(
    `the relay to hold ${n} accepted sockets`,
    async () => (await acceptedGauge(relay)) === base + n,
    WAIT_MS,
  );
}

async function relayFor(tls: boolean, opts: Partial<RelayServerOptions>): Promise<RelayServer> {
  const id = tls ? await generateIdentity() : undefined;
  return startTestRelay({ ...opts, ...(id ? { tls: { certPem: id.certPem, keyPem: id.keyPem } } : {}) });
}

for (const tls of [false, true]) {
  const scheme = tls ? 'wss' : 'ws';
  const partial = tls ? PARTIAL_TLS : PARTIAL_UPGRADE;
  const what = tls ? 'a half-sent TLS handshake' : 'an unfinished upgrade request';

  test(`${scheme}: ${what} is closed at the auth deadline, and counted`, { timeout: TEST_MS }, async () => {
    const relay = await relayFor(tls, { limits: { authTimeoutMs: DEADLINE_MS } });
    try {
      const start = Date.now();
      const socket = await hold(relay, partial);
      const closedAt = await within('the relay to close the connection', socket.closedAt, WAIT_MS);
      assert.ok(
        closedAt - start >= DEADLINE_MS - 50,
        `closed after ${closedAt - start} ms, not before the deadline`,
      );
      assert.match(await relay.metricsText(), /auth_failures_total\{reason="upgrade_timeout"\} 1/);
      const ok = await RawClient.connect(relay.url);
      assert.equal((await ok.next()).type, 'challenge', 'a well-behaved node still gets in');
      ok.ws.close();
    } finally {
      await relay.close();
    }
  });

  test(`${scheme}: ${what} takes one of connectionsPerIp until it closes`, { timeout: TEST_MS }, async () => {
    const relay = await relayFor(tls, { limits: { connectionsPerIp: 3, authTimeoutMs: 5_000 } });
    const base = await acceptedGauge(relay);
    const held: Held[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push(await hold(relay, partial));
      await settled(relay, base, 3);
      const extra = await RawClient.connect(relay.url);
      assert.deepEqual(await extra.closedWith(), {
        code: RelayCloseCode.TOO_MANY_CONNECTIONS,
        reason: 'too many connections from this IP',
      });
      assert.equal(extra.frames.length, 0, 'no challenge over the limit');

      // A few more are let in to be told why; beyond those a connection is closed at once.
      for (let i = 0; i < OVER_LIMIT_PER_IP; i++) held.push(await hold(relay, partial));
      await settled(relay, base, held.length);
      const refused = await hold(relay, partial);
      held.push(refused);
      // At once: well before its 5 s auth deadline would have closed it.
      await within('the relay to refuse the connection at once', refused.closedAt, 2_500);
      assert.ok(
        held.slice(0, 3).every((s) => !s.destroyed),
        'the counted ones are still open',
      );

      for (const s of held) s.destroy();
      await within('the relay to see them close', Promise.all(held.map((s) => s.closedAt)), WAIT_MS);
      await settled(relay, base, 0);
      const ok = await RawClient.connect(relay.url);
      assert.equal((await ok.next()).type, 'challenge', 'slots come back when the connections close');
      ok.ws.close();
    } finally {
      for (const s of held) s.destroy();
      await relay.close();
    }
  });
}

test(
  'wss: a finished TLS handshake followed by an unfinished upgrade request is closed at the deadline',
  { timeout: TEST_MS },
  async () => {
    const relay = await relayFor(true, { limits: { authTimeoutMs: DEADLINE_MS } });
    try {
      const socket = tlsConnect({ host: '127.0.0.1', port: relay.port, rejectUnauthorized: false });
      socket.on('error', () => undefined);
      const closed = new Promise((r) => socket.once('close', r));
      await within('the TLS handshake', new Promise((r) => socket.once('secureConnect', r)));
      socket.write(PARTIAL_UPGRADE);
      await within('the relay to close the connection', closed, WAIT_MS);
    } finally {
      await relay.close();
    }
  },
);

test(
  'close() ends connections in every early state within its grace period',
  { timeout: TEST_MS },
  async () => {
    const relay = await relayFor(true, {});
    const plain = await relayFor(false, {});
    const bases = [await acceptedGauge(relay), await acceptedGauge(plain)] as const;
    try {
      const held = [
        await hold(relay, PARTIAL_TLS),
        await hold(relay, 'CLAWBRIDGE-SPL'),
        await hold(relay, Buffer.alloc(0)),
        await hold(plain, PARTIAL_UPGRADE),
        await hold(plain, 'GET /healthz HTTP/1.1\r\n'),
      ];
      await settled(relay, bases[0], 3);
      await settled(plain, bases[1], 2);
      // The auth deadline is 10 s by default: ending them is close()'s job, within its 1 s grace.
      await within('close() with half-open connections', Promise.all([relay.close(), plain.close()]), 3_000);
      await within('every connection to be closed', Promise.all(held.map((s) => s.closedAt)), 4_000);
    } finally {
      await Promise.all([relay.close(), plain.close()]);
    }
  },
);
