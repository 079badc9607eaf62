import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isClawError } from '../../../src-main/core/errors.js';
import {
  decodeBody,
  decodeMsg1,
  decodeMsg2,
  decodeMsg3,
  encodeBody,
  encodeCertBlock,
  encodeEphemeralHeader,
  encodeHeader,
  MAX_CERT_DER_BYTES,
} from '../../../src-main/crypto/e2e-messages.js';

const key = new Uint8Array(32).fill(7);
const cert = new Uint8Array(300).fill(3);
const sig = new Uint8Array(64).fill(4);
const mac = new Uint8Array(32).fill(5);
const handshakeError = (pattern: RegExp) => (e: unknown) =>
  isClawError(e, 'HANDSHAKE_FAILED') && pattern.test(e.message);

describe('E2E message encoding', () => {
  it('msg1 is version ‖ type ‖ ephemeral, 34 bytes', () => {
    const msg1 = encodeEphemeralHeader(1, key);
    assert.deepEqual([...msg1.subarray(0, 2)], [1, 1]);
    assert.deepEqual(decodeMsg1(msg1).ephemeral, key);
    assert.throws(() => decodeMsg1(msg1.subarray(0, 33)), handshakeError(/must be 34 bytes, got 33/));
    assert.throws(() => decodeMsg1(new Uint8Array([...msg1, 0])), handshakeError(/must be 34 bytes, got 35/));
    assert.throws(() => decodeMsg1(new Uint8Array(0)), handshakeError(/message 1 too short: 0 bytes/));
  });

  it('msg2 splits into header (AAD), ephemeral and ciphertext', () => {
    const body = encodeBody(encodeCertBlock(cert), sig, mac);
    const msg2 = new Uint8Array([...encodeEphemeralHeader(2, key), ...body, ...new Uint8Array(16)]);
    const decoded = decodeMsg2(msg2);
    assert.equal(decoded.header.length, 34);
    assert.deepEqual(decoded.ephemeral, key);
    assert.equal(decoded.ciphertext.length, body.length + 16);
    assert.throws(
      () => decodeMsg2(msg2.subarray(0, 34 + 100)),
      handshakeError(/message 2 too short: 100 bytes of ciphertext/),
    );
    assert.throws(
      () => decodeMsg2(new Uint8Array(34 + 20000).fill(1, 0, 1).fill(2, 1, 2)),
      handshakeError(/too long/),
    );
  });

  it('msg3 splits into its 2-byte header and ciphertext; types are checked', () => {
    const ct = new Uint8Array(500);
    const msg3 = new Uint8Array([...encodeHeader(3), ...ct]);
    assert.equal(decodeMsg3(msg3).ciphertext.length, 500);
    assert.throws(
      () => decodeMsg3(new Uint8Array([1, 2, ...ct])),
      handshakeError(/expected handshake message 3, got message type 2/),
    );
    assert.throws(() => decodeMsg2(msg3), handshakeError(/expected handshake message 2, got message type 3/));
  });

  it('body round-trips and rejects inconsistent lengths', () => {
    const body = encodeBody(encodeCertBlock(cert), sig, mac);
    const decoded = decodeBody(body);
    assert.deepEqual(decoded.certDer, cert);
    assert.deepEqual(decoded.signature, sig);
    assert.deepEqual(decoded.mac, mac);
    assert.throws(
      () => decodeBody(body.subarray(0, body.length - 1)),
      handshakeError(/certificate length implies/),
    );
    const zeroCert = body.slice();
    zeroCert[0] = 0;
    zeroCert[1] = 0;
    assert.throws(() => decodeBody(zeroCert), handshakeError(/certificate length 0 is outside/));
    assert.throws(() => decodeBody(new Uint8Array(10)), handshakeError(/body too short: 10 bytes/));
  });

  it('certificates are limited in size on both ends', () => {
    assert.equal(encodeCertBlock(new Uint8Array(MAX_CERT_DER_BYTES)).length, MAX_CERT_DER_BYTES + 2);
    assert.throws(
      () => encodeCertBlock(new Uint8Array(MAX_CERT_DER_BYTES + 1)),
      (e) => isClawError(e, 'BAD_ARGUMENT'),
    );
    const big = new Uint8Array(2 + 9000 + 96);
    big[0] = 9000 >> 8;
    big[1] = 9000 & 0xff;
    assert.throws(() => decodeBody(big), handshakeError(/certificate length 9000 is outside 1\.\.8192/));
  });
});
