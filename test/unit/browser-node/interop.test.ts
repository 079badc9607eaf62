/**
 * The browser-node core (src-web/node/, ADR 0094) against the agent's own implementations, in memory:
 * its E2E handshake and records with the agent's responder and session, its CPace joiner with the
 * agent's issuer and sealed decision, and its certificate as the node reads it (kind `browser`,
 * `terminal` only by default). The key it makes cannot be exported, and a device answering with another
 * certificate is refused.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { HandshakeResponder } from '../../../src-main/crypto/e2e-handshake.js';
import { generateIdentity } from '../../../src-main/crypto/identity.js';
import { nodeKindOfCert } from '../../../src-main/crypto/node-kind.js';
import { sealDecision } from '../../../src-main/crypto/pairing-decision.js';
import { PairingIssuer } from '../../../src-main/crypto/pairing.js';
import { fingerprintOfCert } from '../../../src-main/crypto/signature.js';
import { defaultAllowFor } from '../../../src-main/pairing/approvals.js';
import { parsePairCode as agentParse } from '../../../src-main/protocol/pair-code.js';
import { initiateE2E } from '../../../src-web/node/e2e.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';
import { makeBrowserIdentity } from '../../../src-web/node/identity.js';
import { openDecision, PairingJoiner, parsePairCode } from '../../../src-web/node/pairing.js';

const browserP = makeBrowserIdentity('phone');
const deviceP = generateIdentity('office');

/** Runs the browser's initiator against the agent's responder; answers both sessions. */
async function handshake(expected?: string) {
  const browser = await browserP;
  const device = await deviceP;
  let responderSession: ReturnType<HandshakeResponder['finish']> | undefined;
  const responder = new HandshakeResponder({ identity: device, verifyPeer: () => undefined });
  let answer: Uint8Array | undefined;
  const session = await initiateE2E(
    browser,
    expected ?? device.fingerprint,
    (msg) => {
      if (msg[1] === 1) answer = responder.receive(msg);
      else responderSession = responder.finish(msg);
    },
    () => Promise.resolve(answer!),
  );
  return { session, responderSession: responderSession!, browser, device };
}

test('the browser’s E2E initiator and the agent’s responder agree, both ways, records included', async () => {
  const { session, responderSession, browser } = await handshake();
  assert.equal(responderSession.peerId, browser.fingerprint, 'the device proved the browser');
  const [record] = await session.seal(new TextEncoder().encode('echo $((6*7))'));
  assert.equal(new TextDecoder().decode(responderSession.open(record!)), 'echo $((6*7))');
  for (const reply of ['42', 'and more']) {
    const [sealed] = responderSession.seal(new TextEncoder().encode(reply));
    assert.equal(new TextDecoder().decode(await session.open(sealed!)), reply);
  }
});

test('a device that proves another fingerprint is refused (the browser pins the one it paired with)', async () => {
  const other = await generateIdentity('impostor');
  await assert.rejects(handshake(other.fingerprint), /fingerprint mismatch/);
});

test('a tampered record kills the browser’s session', async () => {
  const { session, responderSession } = await handshake();
  const [sealed] = responderSession.seal(new TextEncoder().encode('x'));
  sealed![0]! ^= 1;
  await assert.rejects(session.open(sealed!), /failed authentication/);
  const [next] = responderSession.seal(new TextEncoder().encode('y'));
  await assert.rejects(session.open(next!), /failed authentication/, 'the session stays dead');
});

test('the browser’s CPace joiner pairs with the agent’s issuer and opens its sealed decision', async () => {
  const browser = await browserP;
  const device = await deviceP;
  const text = 'k7qx-m2rt-9wza';
  const issuer = new PairingIssuer({ code: agentParse(text), certDer: device.certDer, name: 'office' });
  const joiner = new PairingJoiner(parsePairCode(text), browser.certDer, 'phone');
  const msg2 = issuer.receive(joiner.start());
  const { message, result } = await joiner.receive(msg2);
  const issued = issuer.finish(message);
  assert.equal(issued.peerFingerprint, browser.fingerprint);
  assert.equal(issued.peerName, 'phone');
  assert.equal(result.peerFingerprint, device.fingerprint);
  const decision = await openDecision(
    result.sessionKey,
    sealDecision(issued.sessionKey, { approved: true, name: 'phone' }),
  );
  assert.deepEqual(decision, { approved: true, name: 'phone' });
});

test('a wrong code fails on the browser’s side with the agent’s line', async () => {
  const browser = await browserP;
  const device = await deviceP;
  const issuer = new PairingIssuer({
    code: agentParse('K7QX-M2RT-9WZA'),
    certDer: device.certDer,
    name: 'office',
  });
  const joiner = new PairingJoiner(parsePairCode('K7QX-M2RT-9WZB'), browser.certDer, 'phone');
  await assert.rejects(
    joiner.receive(issuer.receive(joiner.start())),
    /the code was wrong or someone interfered/,
  );
});

test('the node reads a browser’s certificate as kind browser, granted terminal only by default', async () => {
  const browser = await browserP;
  const device = await deviceP;
  assert.equal(fingerprintOfCert(browser.certDer), browser.fingerprint, 'fingerprint = SHA-256 of the DER');
  assert.equal(nodeKindOfCert(browser.certDer), 'browser');
  assert.equal(nodeKindOfCert(Buffer.from(browser.certDer).toString('base64')), 'browser');
  assert.equal(nodeKindOfCert(device.certDer), 'node');
  const words = agentVocabulary.permissions;
  assert.deepEqual(defaultAllowFor({ cert: Buffer.from(browser.certDer).toString('base64') }, words), [
    'terminal',
  ]);
  // A node gets what the domains grant by default (test/integration/pairing.test.ts: terminal, forward).
  assert.deepEqual(defaultAllowFor({ cert: Buffer.from(device.certDer).toString('base64') }, words), [
    ...words.byDefault,
  ]);
});

test('the browser’s identity key cannot be exported', async () => {
  const browser = await browserP;
  await assert.rejects(globalThis.crypto.subtle.exportKey('pkcs8', browser.privateKey), 'non-extractable');
  assert.equal(browser.privateKey.extractable, false);
});
