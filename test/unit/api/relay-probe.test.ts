/**
 * `relay.probe` (app/api/relay-probe.ts) against real relays on loopback: a wss:// relay with a
 * self-signed certificate reports that certificate's fingerprint and no CA trust; a ws:// relay has no
 * fingerprint; a port nobody listens on is an error in one line, never a throw.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { probeRelay } from '../../../src-main/app/api/relay-probe.js';
import type { Identity } from '../../../src-main/crypto/identity.js';
import type { RelayServer } from '../../../src-main/relay/server.js';
import { testIdentity } from '../../helpers/identities.js';
import { startTestRelay } from '../../helpers/relay-harness.js';

let tlsRelay: RelayServer;
let plainRelay: RelayServer;
let relayCert: Identity;

before(async () => {
  relayCert = await testIdentity('probe-relay');
  tlsRelay = await startTestRelay({ tls: { certPem: relayCert.certPem, keyPem: relayCert.keyPem } });
  plainRelay = await startTestRelay();
});
after(async () => {
  await tlsRelay.close();
  await plainRelay.close();
});

test('wss:// relay: the SHA-256 of its certificate, and no CA vouches for a self-signed one', async () => {
  const r = await probeRelay(tlsRelay.url);
  assert.equal(r.url, tlsRelay.url);
  assert.equal(r.fingerprint, relayCert.fingerprint);
  assert.equal(r.fingerprint, tlsRelay.fingerprint);
  assert.equal(r.caTrusted, false);
  assert.match(r.error ?? '', /^not vouched for by a CA: /);
});

test('ws:// relay: reachable, no fingerprint, no CA', async () => {
  assert.deepEqual(await probeRelay(plainRelay.url), {
    url: plainRelay.url,
    fingerprint: null,
    caTrusted: false,
  });
});

test('nobody listening, or silence: an error line, not a throw', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const refused = await probeRelay(`wss://127.0.0.1:${port}`);
  assert.equal(refused.fingerprint, null);
  assert.match(
    refused.error ?? '',
    new RegExp(`^cannot reach wss://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
  );

  // A server that accepts but never speaks TLS: the probe gives up after its timeout.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
  const silentPort = (silent.address() as { port: number }).port;
  try {
    const r = await probeRelay(`wss://127.0.0.1:${silentPort}`, 200);
    assert.equal(r.error, `wss://127.0.0.1:${silentPort} did not answer within 0.2 s`);
  } finally {
    silent.close();
  }
});

test('something that accepts connections but is no relay is named as such', async () => {
  // A web server (what ws:// to the web UI port or a typo reaches): HTTP, but no WebSocket upgrade.
  const web = createHttpServer((_req, res) => res.writeHead(200).end('hello'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
  const webPort = (web.address() as { port: number }).port;
  // A TLS relay spoken to as ws://: its TLS server does not answer plain HTTP.
  const wrongScheme = tlsRelay.url.replace(/^wss:/, 'ws:');
  try {
    const r = await probeRelay(`ws://127.0.0.1:${webPort}`);
    assert.match(r.error ?? '', /answers, but not as a Clawbridge relay \(HTTP 200 to a WebSocket request\)/);
    const s = await probeRelay(wrongScheme, 2_000);
    assert.match(s.error ?? '', /not as a Clawbridge relay|did not answer/);
  } finally {
    web.close();
  }
});

test('a TLS server that is no relay offers no certificate to trust, only the error', async () => {
  const cert = await testIdentity('not-a-relay');
  const web = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) =>
    res.writeHead(404).end(),
  );
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
  try {
    const r = await probeRelay(`wss://127.0.0.1:${(web.address() as { port: number }).port}`);
    assert.equal(r.fingerprint, null);
    assert.match(r.error ?? '', /not as a Clawbridge relay \(HTTP 404 to a WebSocket request\)/);
  } finally {
    web.close();
  }
});
