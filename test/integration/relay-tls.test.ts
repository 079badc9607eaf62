/**
 * wss:// relay with a self-signed certificate: a pinned client connects and relays; an unpinned one is
 * refused with the fingerprint to pin; a wrong pin is refused as a mismatch. Nothing is signed or sent
 * (token included) before the certificate is accepted.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { request } from 'node:https';
import * as x509 from '@peculiar/x509';
import { isClawError, type ClawError } from '../../src-main/core/errors.js';
import { abbreviateFingerprint, groupFingerprint } from '../../src-main/core/fingerprint.js';
import type { Identity } from '../../src-main/crypto/identity.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { RelayClient } from '../../src-main/transport/relay-client.js';
import { peerRelayPinHint } from '../../src-main/transport/relay-tls.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange, startTestRelay, within } from '../helpers/relay-harness.js';

let relay: RelayServer;
let relayCert: Identity;

before(async () => {
  relayCert = await testIdentity('tls-relay');
  relay = await startTestRelay({ tls: { certPem: relayCert.certPem, keyPem: relayCert.keyPem }, token: 't' });
});
after(() => relay.close());

async function firstError(client: RelayClient): Promise<ClawError> {
  const states: string[] = [];
  client.on('state', (s) => states.push(s));
  const error = new Promise<ClawError>((resolve) => client.on('error', resolve));
  client.start();
  try {
    return await within('a relay client error', error);
  } finally {
    client.stop();
    assert.ok(!states.includes('connected'), "!states.includes('connected')");
  }
}

test('the relay reports a wss:// URL and the SHA-256 fingerprint of its certificate', () => {
  assert.match(relay.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(relay.fingerprint, relayCert.fingerprint);
});

test('a client that pins the fingerprint connects and relays (pin in any formatting)', async () => {
  const pin = groupFingerprint(relayCert.fingerprint).toUpperCase();
  const a = await connectedClient(relay.url, await testIdentity('tls-a'), {
    pinnedFingerprint: pin,
    token: 't',
  });
  const b = await connectedClient(relay.url, await testIdentity('tls-b'), {
    pinnedFingerprint: pin,
    token: 't',
  });
  await exchange(a, b);
  a.stop();
  b.stop();
});

/** Successful authentications so far, from the relay's metrics. */
async function authSuccesses(): Promise<number> {
  return Number(/clawbridge_relay_auth_successes_total (\d+)/.exec(await relay.metricsText())?.[1]);
}

test('without a pin the self-signed relay is refused with the fingerprint to pin', async () => {
  const before = await authSuccesses();
  const client = new RelayClient({
    url: relay.url,
    identity: await testIdentity('tls-c'),
    token: 't',
    retryDelayMs: () => 50,
  });
  const err = await firstError(client);
  assert.ok(isClawError(err, 'RELAY_UNPINNED'), "isClawError(err, 'RELAY_UNPINNED')");
  assert.equal(
    err.message,
    `relay ${relay.url} presents an unpinned self-signed certificate with fingerprint ${relayCert.fingerprint}; if that is your relay, pin it: stop the agent and start it again with --relay-fingerprint ${relay.url}=${relayCert.fingerprint}`,
  );
  // The refusal happened before HELLO: the relay saw no authentication.
  assert.equal(await authSuccesses(), before);
});

test('a wrong pin is refused as a fingerprint mismatch', async () => {
  const other = (await testIdentity('tls-other')).fingerprint;
  const client = new RelayClient({
    url: relay.url,
    identity: await testIdentity('tls-d'),
    pinnedFingerprint: other,
    token: 't',
    retryDelayMs: () => 50,
  });
  const err = await firstError(client);
  assert.ok(isClawError(err, 'RELAY_FINGERPRINT_MISMATCH'), "isClawError(err, 'RELAY_FINGERPRINT_MISMATCH')");
  assert.match(
    err.message,
    new RegExp(
      `tls fingerprint mismatch: expected ${abbreviateFingerprint(other)}, got ${abbreviateFingerprint(relayCert.fingerprint)}`,
    ),
  );
  assert.ok(
    err.message.includes(`--relay-fingerprint ${relay.url}=${relayCert.fingerprint}`),
    'err.message.includes(`--relay-fingerprint ${relay.url}=${relayCert.fingerprint}`)',
  );
});

test('a peer’s relay used on demand gets the hint that applies to it, not the agent flag', async () => {
  const client = new RelayClient({
    url: relay.url,
    identity: await testIdentity('tls-e'),
    pinnedFingerprint: (await testIdentity('tls-other')).fingerprint,
    pinHint: peerRelayPinHint,
    token: 't',
    retryDelayMs: () => 50,
  });
  const err = await firstError(client);
  assert.ok(isClawError(err, 'RELAY_FINGERPRINT_MISMATCH'), "isClawError(err, 'RELAY_FINGERPRINT_MISMATCH')");
  assert.ok(err.message.endsWith('add that peer again with this relay and its fingerprint'), err.message);
  // The command is the hint, naming the flag it is about.
  assert.deepEqual(err.hint, {
    argv: [
      'peers',
      'add',
      'FINGERPRINT',
      '--name',
      'NAME',
      '--relay',
      relay.url,
      '--relay-fingerprint',
      relayCert.fingerprint,
    ],
    where: 'here',
    flag: '--relay-fingerprint',
  });
  assert.ok(!err.message.includes('start it again with'), err.message);
});

test('healthz is served over https on the same port', async () => {
  const body = await within(
    'healthz over https',
    new Promise<string>((resolve, reject) => {
      const req = request(
        `${relay.url.replace('wss:', 'https:')}/healthz`,
        { rejectUnauthorized: false },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        },
      );
      req.on('error', reject);
      req.end();
    }),
  );
  assert.equal(body, '200 ok');
});

/** A CA and a relay certificate it issued for 127.0.0.1 (for the unpinned, CA-verified path). */
async function caSignedRelayCert(): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const leafKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 3_600_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=clawbridge test CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=127.0.0.1',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
  return {
    caPem: ca.toString('pem'),
    certPem: leaf.toString('pem'),
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}

test('without a pin, a relay whose certificate chains to a trusted CA connects; a wrong host name does not', async () => {
  const { caPem, certPem, keyPem } = await caSignedRelayCert();
  const caRelay = await startTestRelay({ tls: { certPem, keyPem } });
  try {
    const a = await connectedClient(caRelay.url, await testIdentity('tls-ca-a'), { caPem });
    const b = await connectedClient(caRelay.url, await testIdentity('tls-ca-b'), { caPem });
    await exchange(a, b);
    a.stop();
    b.stop();
    const byName = caRelay.url.replace('127.0.0.1', 'localhost');
    const err = await firstError(
      new RelayClient({
        url: byName,
        identity: await testIdentity('tls-ca-c'),
        caPem,
        retryDelayMs: () => 50,
      }),
    );
    assert.ok(isClawError(err, 'RELAY_UNPINNED'), "isClawError(err, 'RELAY_UNPINNED')");
    assert.match(
      err.message,
      /presents a certificate that does not verify \(ERR_TLS_CERT_ALTNAME_INVALID\) with fingerprint [0-9a-f]{64}/,
    );
  } finally {
    await caRelay.close();
  }
});

test('a circuit through a relay whose pin is wrong fails with that reason at once, not after its wait', async () => {
  const client = new RelayClient({
    url: relay.url,
    identity: await testIdentity('tls-e'),
    pinnedFingerprint: (await testIdentity('tls-other')).fingerprint,
    token: 't',
  });
  client.start();
  try {
    // Asked while the first connection is still under way, and again after it failed: both answer
    // within the harness's bound, far inside the 10-minute wait they were given.
    const target = (await testIdentity('tls-f')).fingerprint;
    for (let round = 0; round < 2; round++) {
      await assert.rejects(
        within('the circuit to fail', client.openCircuit(target, 600_000)),
        (err: Error) =>
          isClawError(err, 'RELAY_FINGERPRINT_MISMATCH') &&
          /cannot reach peer .* through relay .*tls fingerprint mismatch/.test(err.message),
      );
    }
  } finally {
    client.stop();
  }
});
