import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { x25519 } from '@noble/curves/ed25519.js';
import { ClawError, isClawError } from '../../../src-main/core/errors.js';
import { abbreviateFingerprint, groupFingerprint } from '../../../src-main/core/fingerprint.js';
import {
  confirmationMac,
  deriveHandshakeSecrets,
  RESPONDER_SIGNATURE_CONTEXT,
  sealHandshake,
  Transcript,
} from '../../../src-main/crypto/e2e-keys.js';
import { encodeBody, encodeCertBlock, encodeEphemeralHeader } from '../../../src-main/crypto/e2e-messages.js';
import { signIdentity } from '../../../src-main/crypto/signature.js';
import { alice, bob, initiator, mallory, responder } from './e2e-fixtures.js';

/** X25519 points of small order (RFC 7748 §6.1 says check for the all-zero output they produce). */
const LOW_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((h) => new Uint8Array(Buffer.from(h, 'hex')));

const failedWith = (code: ClawError['code'], pattern: RegExp) => (err: unknown) =>
  isClawError(err, code) && pattern.test(err.message);

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index]! ^= 0x01;
  return copy;
}

/**
 * A hand-built msg2 from Bob where one ingredient is wrong, to reach checks that an honest responder
 * never fails (the signature or the key-confirmation MAC).
 */
function forgedMsg2(msg1: Uint8Array, wrong: 'signature' | 'mac'): Uint8Array {
  const ephemeral = x25519.utils.randomSecretKey();
  const header = encodeEphemeralHeader(2, x25519.getPublicKey(ephemeral));
  const transcript = new Transcript().add(msg1).add(header);
  const hs = deriveHandshakeSecrets(x25519.getSharedSecret(ephemeral, msg1.subarray(2)), transcript.hash());
  const certBlock = encodeCertBlock(bob!.certDer);
  const signer = wrong === 'signature' ? mallory!.keyPem : bob!.keyPem;
  const signature = signIdentity(signer, RESPONDER_SIGNATURE_CONTEXT, transcript.add(certBlock).hash());
  const macKey = wrong === 'mac' ? hs.i2rMacKey : hs.r2iMacKey;
  const mac = confirmationMac(macKey, transcript.add(signature).hash());
  const sealed = sealHandshake(hs.r2iKey, header, encodeBody(certBlock, signature, mac));
  return new Uint8Array([...header, ...sealed]);
}

describe('E2E handshake', () => {
  it('authenticates both sides and agrees on keys', () => {
    const seen: string[] = [];
    const i = initiator();
    const r = responder({ verifyPeer: (fp) => void seen.push(fp) });
    const msg1 = i.start();
    const msg2 = r.receive(msg1);
    const { message: msg3, session: a } = i.receive(msg2);
    const b = r.finish(msg3);
    assert.equal(msg1.length, 34);
    assert.deepEqual(seen, [alice!.fingerprint]);
    assert.equal(a.peerId, bob!.fingerprint);
    assert.equal(b.peerId, alice!.fingerprint);
    assert.deepEqual(a.peerCertDer, bob!.certDer);
    assert.deepEqual(a.transcriptHash, b.transcriptHash);
    const [record] = a.seal(new TextEncoder().encode('ping'));
    assert.equal(new TextDecoder().decode(b.open(record!)), 'ping');
  });

  it('accepts the expected fingerprint in any human form', () => {
    const i = initiator({ expectedPeer: groupFingerprint(bob!.fingerprint).toUpperCase() });
    const r = responder();
    assert.equal(i.receive(r.receive(i.start())).session.peerId, bob!.fingerprint);
  });

  it('hides the certificates from the relay', () => {
    const i = initiator();
    const r = responder();
    const msg2 = r.receive(i.start());
    const msg3 = i.receive(msg2).message;
    for (const [msg, der] of [
      [msg2, bob!.certDer],
      [msg3, alice!.certDer],
    ] as const) {
      assert.equal(Buffer.from(msg).indexOf(Buffer.from(der.subarray(0, 40))), -1);
    }
  });

  it('binds the prologue: different prologues fail', () => {
    const i = initiator({ prologue: new TextEncoder().encode('circuit 1') });
    const r = responder({ prologue: new TextEncoder().encode('circuit 2') });
    const msg2 = r.receive(i.start());
    assert.throws(() => i.receive(msg2), failedWith('HANDSHAKE_FAILED', /message 2 failed to decrypt/));
  });
});

describe('E2E handshake refuses', () => {
  it('a substituted certificate with FINGERPRINT_MISMATCH naming both fingerprints', () => {
    const i = initiator();
    const impostor = responder({ identity: mallory! });
    const expected = `peer fingerprint mismatch: expected ${abbreviateFingerprint(bob!.fingerprint)}, got ${abbreviateFingerprint(mallory!.fingerprint)} — the peer's certificate changed; re-pair or re-approve`;
    assert.throws(
      () => i.receive(impostor.receive(i.start())),
      (e) => isClawError(e, 'FINGERPRINT_MISMATCH') && e.message === expected,
    );
  });

  it('a responder signature made with another key', () => {
    const i = initiator();
    assert.throws(
      () => i.receive(forgedMsg2(i.start(), 'signature')),
      failedWith('HANDSHAKE_FAILED', /peer's signature over the handshake does not verify/),
    );
  });

  it('a key confirmation under the wrong key', () => {
    const i = initiator();
    assert.throws(
      () => i.receive(forgedMsg2(i.start(), 'mac')),
      failedWith('HANDSHAKE_FAILED', /peer's key confirmation does not verify/),
    );
  });

  it('an initiator signature made with another key', () => {
    const i = initiator({ signer: (context, data) => signIdentity(mallory!.keyPem, context, data) });
    const r = responder();
    const { message } = i.receive(r.receive(i.start()));
    assert.throws(
      () => r.finish(message),
      failedWith('HANDSHAKE_FAILED', /initiator's signature over the handshake does not verify/),
    );
  });

  it('any flipped bit in msg2 or msg3', () => {
    const i0 = initiator();
    const r0 = responder();
    const msg1 = i0.start();
    const msg2 = r0.receive(msg1);
    // Every tenth byte of msg2 (header, ephemeral, ciphertext, tag), each on a fresh initiator.
    for (let k = 0; k < msg2.length; k += 10) {
      const i = initiator();
      const fresh = responder().receive(i.start());
      assert.throws(
        () => i.receive(flip(fresh, k)),
        (e) => isClawError(e, 'HANDSHAKE_FAILED'),
        `byte ${k}`,
      );
    }
    const msg3 = i0.receive(msg2).message;
    assert.throws(
      () => r0.finish(flip(msg3, msg3.length - 1)),
      failedWith('HANDSHAKE_FAILED', /message 3 failed to decrypt/),
    );
  });

  it('low-order X25519 points from either side', () => {
    for (const point of LOW_ORDER_POINTS) {
      const msg1 = encodeEphemeralHeader(1, point);
      assert.throws(() => responder().receive(msg1), failedWith('HANDSHAKE_FAILED', /low-order X25519 key/));
      const i = initiator();
      const genuine = responder().receive(i.start());
      const msg2 = genuine.slice();
      msg2.set(point, 2);
      assert.throws(() => i.receive(msg2), failedWith('HANDSHAKE_FAILED', /low-order X25519 key/));
    }
  });

  it('a peer that verifyPeer rejects, with verifyPeer’s own error', () => {
    const refusal = new ClawError('UNKNOWN_PEER', 'unknown peer — approve it first');
    const i = initiator();
    const r = responder({
      verifyPeer: () => {
        throw refusal;
      },
    });
    const { message } = i.receive(r.receive(i.start()));
    assert.throws(
      () => r.finish(message),
      (e) => e === refusal,
    );
  });

  it('messages from another handshake (replayed msg2, msg3)', () => {
    const i1 = initiator();
    const r1 = responder();
    const msg2 = r1.receive(i1.start());
    const msg3 = i1.receive(msg2).message;
    const i2 = initiator();
    i2.start();
    assert.throws(
      () => i2.receive(msg2),
      (e) => isClawError(e, 'HANDSHAKE_FAILED'),
    );
    const r2 = responder();
    r2.receive(initiator().start());
    assert.throws(
      () => r2.finish(msg3),
      (e) => isClawError(e, 'HANDSHAKE_FAILED'),
    );
  });

  it('another protocol version with a line that says what to do', () => {
    const msg1 = initiator().start();
    msg1[0] = 2;
    assert.throws(
      () => responder().receive(msg1),
      failedWith('HANDSHAKE_FAILED', /version 2, this node speaks 1 — update both nodes/),
    );
  });

  it('calls out of order, and any call after a failure', () => {
    const i = initiator();
    assert.throws(
      () => i.receive(new Uint8Array(100)),
      failedWith('HANDSHAKE_FAILED', /receive\(msg2\) called out of order/),
    );
    assert.throws(() => i.start(), /start\(\) called after the handshake failed/);
    const r = responder();
    assert.throws(() => r.finish(new Uint8Array(100)), /finish\(msg3\) called out of order/);
    const r2 = responder();
    assert.throws(() => r2.receive(new Uint8Array([1, 1, 0])), /message 1 must be 34 bytes, got 3/);
    assert.throws(() => r2.receive(initiator().start()), /called after the handshake failed/);
    const i2 = initiator();
    i2.start();
    assert.throws(() => i2.start(), /start\(\) called out of order/);
  });

  it('bad options at construction', () => {
    assert.throws(
      () => initiator({ expectedPeer: 'abc' }),
      (e) => isClawError(e, 'BAD_FINGERPRINT'),
    );
    assert.throws(
      () => initiator({ ephemeralPrivate: new Uint8Array(31) }),
      /ephemeral private key must be 32 bytes, got 31/,
    );
    assert.throws(
      () => responder({ identity: { certDer: new Uint8Array(0), keyPem: bob!.keyPem } }),
      (e) => isClawError(e, 'BAD_ARGUMENT'),
    );
  });
});
