/**
 * The signature over the update metadata (src-main/crypto/update-metadata-signature.ts,
 * docs/adr/0084-signed-update-metadata.md): a known-answer vector (RFC 8032's first key, and a
 * signature Node's own Ed25519 agrees with), a property over random files and keys, and every way a
 * feed file may come without a valid signature: altered, another key, none, over other bytes, under
 * another file's name, a malformed .sig, and a build that ships no key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrivateKey, sign } from 'node:crypto';
import fc from 'fast-check';
import {
  MAX_SIGNATURE_FILE_CHARS,
  signUpdateMetadata,
  updateMetadataMessage,
  updateMetadataProblem,
  updatePublicKey,
} from '../../../src-main/crypto/update-metadata-signature.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

// RFC 8032 §7.1 TEST 1: its secret key and the public key it gives.
const SEED = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const PUBLIC = Buffer.from(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')).toString(
  'base64',
);
const FILE = 'latest-linux.yml';
const CONTENT = Buffer.from('version: 1.1.0\nsha512: abc\n');
// Ed25519 is deterministic: this is the signature of CONTENT under FILE with SEED, for good.
const SIG = 'piqaspxt2/F3wvfRClmDbB9KY5zZX2LHpWEKmEa215xzUMeUWLfAY8dLAZ9gLJtcR8x3vYkt/EORgywEsNYACQ==\n';

test('known answer: RFC 8032 key 1 signs the context, the file name and the bytes, as Node would', () => {
  assert.equal(updatePublicKey(SEED), PUBLIC);
  assert.deepEqual(
    Buffer.from(updateMetadataMessage(FILE, CONTENT)),
    Buffer.concat([Buffer.from('clawbridge update metadata v1\0latest-linux.yml\0'), CONTENT]),
  );
  assert.equal(signUpdateMetadata(FILE, CONTENT, SEED), SIG);
  // An Ed25519 implementation that is not noble's (OpenSSL's, in Node) makes the same signature.
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), SEED]);
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  assert.equal(`${sign(null, updateMetadataMessage(FILE, CONTENT), key).toString('base64')}\n`, SIG);
  assert.equal(updateMetadataProblem(FILE, CONTENT, SIG, [PUBLIC]), undefined);
  // Another key shipped beside it (a rotation) does not stop it verifying.
  assert.equal(
    updateMetadataProblem(FILE, CONTENT, SIG, [updatePublicKey(new Uint8Array(32)), PUBLIC]),
    undefined,
  );
});

test('refused: altered metadata, another key, no signature, a signature over other bytes or for another file', () => {
  const refused = (content: Uint8Array, sig: string | null, keys: string[], name = FILE) => {
    const problem = updateMetadataProblem(name, content, sig, keys);
    assert.ok(problem, `refused: ${String(sig)}`);
    return problem;
  };
  // One byte of the metadata changed (the SHA-512 an attacker would swap for their file's).
  const altered = Buffer.from(CONTENT);
  altered.writeUInt8(altered.readUInt8(altered.length - 2) ^ 1, altered.length - 2);
  assert.match(refused(altered, SIG, [PUBLIC]), /does not verify with this app's update signing key/);
  // A trailing byte added, or the signature of a shorter prefix.
  refused(Buffer.concat([CONTENT, Buffer.from('\n')]), SIG, [PUBLIC]);
  // Signed by another key than the one shipped.
  const other = hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
  assert.match(refused(CONTENT, signUpdateMetadata(FILE, CONTENT, other), [PUBLIC]), /does not verify/);
  // No .sig at all, or an empty one.
  assert.match(refused(CONTENT, null, [PUBLIC]), /has no signature \(latest-linux\.yml\.sig\)/);
  refused(CONTENT, '  \n', [PUBLIC]);
  // A valid signature over other metadata (an older release's file) served beside this one.
  const older = Buffer.from('version: 1.0.9\nsha512: def\n');
  refused(CONTENT, signUpdateMetadata(FILE, older, SEED), [PUBLIC]);
  // The same bytes signed as another platform's or channel's file.
  refused(CONTENT, signUpdateMetadata('latest-mac.yml', CONTENT, SEED), [PUBLIC]);
  refused(CONTENT, signUpdateMetadata('beta-linux.yml', CONTENT, SEED), [PUBLIC]);
  // Not a signature: wrong length, not base64, non-canonical base64, a huge file.
  refused(CONTENT, Buffer.alloc(63).toString('base64'), [PUBLIC]);
  refused(CONTENT, 'not a signature!', [PUBLIC]);
  // The last character's unused bits set: the same bytes, another text (Buffer would accept it).
  const loose = SIG.trim().replace(/Q==$/, 'R==');
  assert.notEqual(loose, SIG.trim());
  assert.deepEqual(Buffer.from(loose, 'base64'), Buffer.from(SIG, 'base64'));
  refused(CONTENT, loose, [PUBLIC]);
  refused(CONTENT, 'A'.repeat(MAX_SIGNATURE_FILE_CHARS + 1), [PUBLIC]);
  // All-zero signature and key (small-order points) never verify.
  refused(CONTENT, Buffer.alloc(64).toString('base64'), [Buffer.alloc(32).toString('base64')]);
  // A build that ships no key, or only a broken one, verifies nothing.
  assert.match(refused(CONTENT, SIG, []), /ships no update signing key/);
  refused(CONTENT, SIG, ['not a key']);
  // A name that is not a feed file's.
  refused(CONTENT, SIG, [PUBLIC], '../latest-linux.yml');
});

test('any file signed by a key verifies with that key only, and not once a byte changes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 1, maxLength: 2000 }),
      fc.nat(),
      (seed, otherSeed, content, at) => {
        const sig = signUpdateMetadata('beta-mac.yml', content, seed);
        const key = updatePublicKey(seed);
        assert.equal(updateMetadataProblem('beta-mac.yml', content, sig, [key]), undefined);
        const changed = Uint8Array.from(content);
        changed[at % changed.length] = changed[at % changed.length]! ^ 0x80;
        assert.ok(
          updateMetadataProblem('beta-mac.yml', changed, sig, [key]),
          "updateMetadataProblem('beta-mac.yml', changed, sig, [key])",
        );
        if (Buffer.compare(Buffer.from(seed), Buffer.from(otherSeed)) !== 0)
          assert.ok(
            updateMetadataProblem('beta-mac.yml', content, sig, [updatePublicKey(otherSeed)]),
            "updateMetadataProblem('beta-mac.yml', content, sig, [updatePublicKey(otherSeed)])",
          );
      },
    ),
    { numRuns: 50 },
  );
});
