import assert from 'node:assert/strict';
import { test } from 'node:test';
import { x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { x25519PublicKey, x25519SharedSecret } from '../../../src-main/crypto/x25519.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('RFC 7748 §6.1: Alice and Bob derive the published keys and shared secret', () => {
  const alicePriv = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const bobPriv = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  const alicePub = x25519PublicKey(alicePriv);
  const bobPub = x25519PublicKey(bobPriv);
  assert.equal(toHex(alicePub), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  assert.equal(toHex(bobPub), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
  assert.equal(toHex(x25519SharedSecret(alicePriv, bobPub)), shared);
  assert.equal(toHex(x25519SharedSecret(bobPriv, alicePub)), shared);
});

test('agrees with the reference implementation on random keys', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (a, b) => {
        assert.deepEqual(x25519PublicKey(a), x25519.getPublicKey(a));
        const bPub = x25519.getPublicKey(b);
        assert.deepEqual(x25519SharedSecret(a, bPub), x25519.getSharedSecret(a, bPub));
      },
    ),
    { numRuns: 50 },
  );
});

test('refuses a low-order peer key (all-zero secret) and a key of the wrong size', () => {
  const priv = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  // The point 0 and the point 1 have small order: the shared secret would be all zeros.
  for (const lowOrder of [new Uint8Array(32), hex('01'.padEnd(64, '0'))]) {
    assert.throws(() => x25519SharedSecret(priv, lowOrder));
  }
  assert.throws(() => x25519SharedSecret(priv, new Uint8Array(31)), /32 bytes, got 31/);
});
