/**
 * docs/reachability.md, table "Observations": how each dial failure is classified, one test per row
 * (the real dialers for what a socket reports, made-up errors for what a peer or relay answers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ClawError } from '../../../src-main/core/errors.js';
import { dialDirectPath, dialRelayPath } from '../../../src-main/links/path-dialers.js';
import {
  DialFailure,
  observedOf,
  observeDirect,
  observeRelay,
} from '../../../src-main/reachability/observation.js';
import type { RelayClient } from '../../../src-main/transport/relay-client.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import { testIdentity } from '../../helpers/identities.js';

async function listening(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listening(server);
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const peer = (addresses: string[]): PeerRecord => ({
  fingerprint: 'ab'.repeat(32),
  name: 'b',
  allow: [],
  addresses: addresses.map((address) => ({ address, from: ['hello' as const] })),
  addedAt: new Date(0).toISOString(),
});

async function directFailure(addresses: string[]): Promise<DialFailure> {
  const err = await dialDirectPath(await testIdentity('obs-a'), peer(addresses)).then(
    () => assert.fail('dialed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DialFailure, String(err));
  return err;
}

test('direct refused: a real dial to a port nothing listens on', async () => {
  const address = `127.0.0.1:${await closedPort()}`;
  const err = await directFailure([address]);
  assert.deepEqual(err.observed, { path: 'direct', kind: 'refused', address });
  // The dialer's error stays what it was: its code and words.
  assert.equal(err.code, 'LINK_CLOSED');
  assert.match(err.message, /ECONNREFUSED/);
});

test('direct timed out: the dial deadline passed, or the socket said ETIMEDOUT', () => {
  const a = '10.0.0.5:7475';
  const deadline = new ClawError('TIMEOUT', `direct connection to ${a} timed out`);
  assert.deepEqual(observeDirect(a, deadline), { path: 'direct', kind: 'timed-out', address: a });
  const socket = Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' });
  const wrapped = new ClawError('LINK_CLOSED', 'direct connection failed', { cause: socket });
  assert.deepEqual(observeDirect(a, wrapped), { path: 'direct', kind: 'timed-out', address: a });
});

test('direct pin mismatch: another certificate answered', () => {
  const err = new ClawError('FINGERPRINT_MISMATCH', 'tls fingerprint mismatch');
  assert.deepEqual(observeDirect('h:1', err), { path: 'direct', kind: 'pin-mismatch', address: 'h:1' });
});

test('direct peer refused: by its code, never by its words', () => {
  const removed = new ClawError('UNKNOWN_PEER', 'h:1 refused the link: removed', { refusal: 'REMOVED' });
  assert.deepEqual(observeDirect('h:1', removed), {
    path: 'direct',
    address: 'h:1',
    kind: 'peer-refused',
    refusal: 'REMOVED',
    message: 'h:1 refused the link: removed',
  });
  // The same words without the code are just an error.
  const words = new ClawError('UNKNOWN_PEER', 'h:1 refused the link: removed');
  assert.equal(observeDirect('h:1', words).kind, 'error');
});

test('direct error: anything else, in its words; a closed listener mid-handshake is one', async () => {
  const server = createServer((s) => s.destroy());
  const address = `127.0.0.1:${await listening(server)}`;
  const err = await directFailure([address]);
  server.close();
  assert.equal(err.observed.kind, 'error');
  assert.equal(observeDirect('h:1', new Error('boom')).kind, 'error');
});

test('relay down, not on the relay, relay refused, peer refused, error: by the error code', () => {
  const r = 'wss://r.example';
  assert.deepEqual(observeRelay(r, new ClawError('RELAY_UNREACHABLE', 'x')), {
    path: 'relay',
    relay: r,
    kind: 'relay-down',
  });
  assert.deepEqual(observeRelay(r, new ClawError('PEER_OFFLINE', 'x')), {
    path: 'relay',
    relay: r,
    kind: 'not-on-relay',
  });
  for (const code of [
    'RELAY_AUTH_FAILED',
    'RELAY_UNPINNED',
    'RELAY_FINGERPRINT_MISMATCH',
    'RELAY_LIMIT',
  ] as const) {
    assert.deepEqual(observeRelay(r, new ClawError(code, 'says no')), {
      path: 'relay',
      relay: r,
      kind: 'relay-refused',
      message: 'says no',
    });
  }
  const notApproved = new ClawError('UNKNOWN_PEER', 'peer refused', { refusal: 'NOT_APPROVED' });
  assert.equal(observeRelay(r, notApproved).kind, 'peer-refused');
  assert.deepEqual(observeRelay(r, new ClawError('HANDSHAKE_FAILED', 'bad')), {
    path: 'relay',
    relay: r,
    kind: 'error',
    message: 'bad',
  });
});

test('the relay dialer names the relay each failure came from: the last one tried speaks', async () => {
  const relayAt = (url: string, err: ClawError) =>
    ({ url, state: 'connected', openCircuit: () => Promise.reject(err) }) as unknown as RelayClient;
  const shared = relayAt('ws://shared:1', new ClawError('PEER_OFFLINE', 'not here'));
  const home = relayAt('ws://home:1', new ClawError('RELAY_UNREACHABLE', 'down'));
  const homeDown = Object.assign(home, { state: 'disconnected' });
  const err = await dialRelayPath(
    await testIdentity('obs-a'),
    { list: () => [shared, homeDown], acquire: () => homeDown },
    { fingerprint: 'ab'.repeat(32), homeRelay: { url: 'ws://home:1' } },
  ).then(
    () => assert.fail('dialed'),
    (e: unknown) => e,
  );
  assert.deepEqual(observedOf('relay', err), { path: 'relay', relay: 'ws://home:1', kind: 'relay-down' });
});

test('a route failure is its words', () => {
  assert.deepEqual(observedOf('route', new Error('hop c refused')), {
    path: 'route',
    kind: 'error',
    message: 'hop c refused',
  });
});

test('direct no route: a real dial to a network this machine has no route to (ENETUNREACH, EHOSTUNREACH)', async (t) => {
  // 2001:db8::/32 is for documentation: no machine routes it, so the kernel answers at once.
  const address = '[2001:db8::1]:7474';
  const err = await directFailure([address]);
  if (!['ENETUNREACH', 'EHOSTUNREACH'].some((code) => err.message.includes(code))) {
    return t.skip(`this machine routes ${address} somewhere: ${err.message}`);
  }
  assert.deepEqual(err.observed, { path: 'direct', kind: 'no-route', address });
  const socket = Object.assign(new Error('connect ENETUNREACH 10.9.0.2:7475 - Local (0.0.0.0:0)'), {
    code: 'ENETUNREACH',
  });
  const wrapped = new ClawError('LINK_CLOSED', 'direct connection failed', { cause: socket });
  assert.deepEqual(observeDirect('10.9.0.2:7475', wrapped), {
    path: 'direct',
    kind: 'no-route',
    address: '10.9.0.2:7475',
  });
});
