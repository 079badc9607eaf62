/**
 * Known-answer tests for the E2E channel (test/vectors/e2e-handshake.json). Two halves:
 * 1. the implementation reproduces every byte of the vector from its fixed inputs;
 * 2. the vector is recomputed from docs/protocol.md with independent primitives (node:crypto HKDF/HMAC/
 *    AES-GCM/ECDSA instead of @noble/hashes), so the code, the document and the vector agree.
 */
import { strict as assert } from 'node:assert';
import { createDecipheriv, createHash, createHmac, hkdfSync, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  certDerOf,
  hex,
  runVectorHandshake,
  unhex,
  VECTOR_PLAINTEXTS,
  type E2EVector,
} from './e2e-vector-kit.js';

const v = JSON.parse(readFileSync(new URL('./e2e-handshake.json', import.meta.url), 'utf8')) as E2EVector;
const buf = (h: string): Buffer => Buffer.from(h, 'hex');

/** info = u8 len ‖ "clawbridge e2e v1 " ‖ label ‖ context (docs/protocol.md, "Key schedule"). */
function info(label: string, context: Uint8Array = new Uint8Array(0)): Buffer {
  const full = Buffer.from(`clawbridge e2e v1 ${label}`, 'ascii');
  return Buffer.concat([Buffer.of(full.length), full, context]);
}
/** HKDF-Expand for one SHA-256 block (32 bytes): T(1) = HMAC(PRK, info ‖ 0x01). */
function expand32(prk: Buffer, infoBytes: Buffer): Buffer {
  return createHmac('sha256', prk).update(infoBytes).update(Buffer.of(1)).digest();
}
function t0(): Buffer {
  const prologue = buf(v.prologue);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(prologue.length);
  return Buffer.concat([Buffer.from('clawbridge e2e v1', 'ascii'), length, prologue]);
}
const sha256 = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
function aesGcmOpen(key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
}
function recordNonce(counter: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(counter), 4);
  return nonce;
}

describe('E2E vector: the implementation reproduces it', () => {
  it('fingerprints are SHA-256 of the certificates', () => {
    for (const p of [v.initiator, v.responder]) {
      assert.equal(createHash('sha256').update(certDerOf(p.certPem)).digest('hex'), p.fingerprint);
      assert.equal(hex(x25519.getPublicKey(unhex(p.ephemeralPrivate))), p.ephemeralPublic);
    }
  });

  it('msg1, msg2, msg3 and the transcript hash match byte for byte', () => {
    const run = runVectorHandshake(v);
    assert.equal(hex(run.msg1), v.msg1);
    assert.equal(hex(run.msg2), v.msg2);
    assert.equal(hex(run.msg3), v.msg3);
    assert.equal(hex(run.i.transcriptHash), v.thFinal);
    assert.equal(hex(run.r.transcriptHash), v.thFinal);
    assert.equal(run.i.peerId, v.responder.fingerprint);
    assert.equal(run.r.peerId, v.initiator.fingerprint);
  });

  it('records sealed in the vector order match, including the key update', () => {
    const { i, r } = runVectorHandshake(v);
    const produced = VECTOR_PLAINTEXTS.flatMap(({ direction, text }) =>
      (direction === 'i2r' ? i : r).seal(new TextEncoder().encode(text)).map(hex),
    );
    assert.deepEqual(
      produced,
      v.records.map((rec) => rec.record),
    );
  });

  it('the vector records open in the peer session', () => {
    const { i, r } = runVectorHandshake(v);
    for (const rec of v.records) {
      const opened = (rec.direction === 'i2r' ? r : i).open(unhex(rec.record));
      if (rec.kind === 'key-update') assert.equal(opened, null);
      else assert.equal(hex(opened!), rec.plaintext);
    }
  });

  it('with real (randomized) signatures the deterministic parts still match', () => {
    const run = runVectorHandshake(v, 'random');
    assert.equal(hex(run.msg1), v.msg1);
    assert.equal(hex(run.msg2.subarray(0, 34)), v.msg2.slice(0, 68));
    assert.notEqual(hex(run.msg2), v.msg2, 'ECDSA from node:crypto is randomized');
    assert.equal(hex(run.i.transcriptHash), hex(run.r.transcriptHash));
  });
});

describe('E2E vector: recomputed from docs/protocol.md with node:crypto', () => {
  const msg1 = buf(v.msg1);
  const msg2 = buf(v.msg2);
  const msg3 = buf(v.msg3);
  const hdr2 = msg2.subarray(0, 34);
  const hdr3 = msg3.subarray(0, 2);

  it('message headers: version 1, types 1/2/3, ephemerals in clear', () => {
    assert.equal(v.msg1, '0101' + v.initiator.ephemeralPublic);
    assert.equal(hex(hdr2), '0102' + v.responder.ephemeralPublic);
    assert.equal(hex(hdr3), '0103');
  });

  it('shared secret, TH2 and the handshake key schedule', () => {
    const ss = x25519.getSharedSecret(
      unhex(v.responder.ephemeralPrivate),
      unhex(v.initiator.ephemeralPublic),
    );
    assert.equal(hex(ss), v.sharedSecret);
    const th2 = sha256(t0(), msg1, hdr2);
    assert.equal(th2.toString('hex'), v.th2);
    const prk = createHmac('sha256', th2).update(ss).digest(); // HKDF-Extract(salt = TH2, IKM = ss)
    assert.equal(prk.toString('hex'), v.handshakeSecret);
    const derive = (label: string) =>
      Buffer.from(hkdfSync('sha256', ss, th2, info(label), 32)).toString('hex');
    assert.equal(derive('r2i hs key'), v.r2iHandshakeKey);
    assert.equal(derive('i2r hs key'), v.i2rHandshakeKey);
    assert.equal(derive('r2i finished'), v.r2iMacKey);
    assert.equal(derive('i2r finished'), v.i2rMacKey);
  });

  it('msg2 and msg3 bodies decrypt, sign and MAC the documented transcript', () => {
    const zero = Buffer.alloc(12);
    const body2 = aesGcmOpen(buf(v.r2iHandshakeKey), zero, hdr2, msg2.subarray(34));
    const body3 = aesGcmOpen(buf(v.i2rHandshakeKey), zero, hdr3, msg3.subarray(2));
    const check = (body: Buffer, prefix: Buffer[], p: typeof v.initiator, role: string, macKey: string) => {
      const certLength = body.readUInt16BE(0);
      const certBlock = body.subarray(0, 2 + certLength);
      const sig = body.subarray(2 + certLength, 2 + certLength + 64);
      const mac = body.subarray(2 + certLength + 64);
      assert.equal(mac.length, 32);
      assert.deepEqual(new Uint8Array(certBlock.subarray(2)), certDerOf(p.certPem));
      const signed = Buffer.concat([
        Buffer.from(`clawbridge e2e v1 ${role} signature\0`),
        sha256(...prefix, certBlock),
      ]);
      const key = new X509Certificate(p.certPem).publicKey;
      assert.ok(verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, sig), `${role} signature`);
      const expectedMac = createHmac('sha256', buf(macKey))
        .update(sha256(...prefix, certBlock, sig))
        .digest();
      assert.equal(mac.toString('hex'), expectedMac.toString('hex'), `${role} MAC`);
    };
    check(body2, [t0(), msg1, hdr2], v.responder, 'responder', v.r2iMacKey);
    check(body3, [t0(), msg1, hdr2, body2, hdr3], v.initiator, 'initiator', v.i2rMacKey);
    assert.equal(sha256(t0(), msg1, hdr2, body2, hdr3, body3).toString('hex'), v.thFinal);
  });

  it('traffic secrets, record keys and the key update', () => {
    const ss = buf(v.sharedSecret);
    const th2 = buf(v.th2);
    const thFinal = buf(v.thFinal);
    const traffic = (label: string) => Buffer.from(hkdfSync('sha256', ss, th2, info(label, thFinal), 32));
    assert.equal(traffic('i2r traffic').toString('hex'), v.i2rTrafficSecret);
    assert.equal(traffic('r2i traffic').toString('hex'), v.r2iTrafficSecret);
    assert.equal(expand32(buf(v.i2rTrafficSecret), info('key')).toString('hex'), v.i2rRecordKey);
    assert.equal(expand32(buf(v.r2iTrafficSecret), info('key')).toString('hex'), v.r2iRecordKey);
    assert.equal(
      expand32(buf(v.i2rTrafficSecret), info('traffic upd')).toString('hex'),
      v.i2rNextTrafficSecret,
    );
  });

  it('records: AES-256-GCM, nonce 0^32 ‖ u64 counter, content ‖ type, no AAD', () => {
    const keys = {
      i2r: buf(v.i2rRecordKey),
      r2i: buf(v.r2iRecordKey),
    };
    for (const rec of v.records) {
      const plain = aesGcmOpen(
        keys[rec.direction],
        recordNonce(rec.counter),
        Buffer.alloc(0),
        buf(rec.record),
      );
      const type = plain[plain.length - 1];
      if (rec.kind === 'key-update') {
        assert.equal(plain.length, 1);
        assert.equal(type, 2);
        assert.equal(rec.direction, 'i2r', 'the vector holds one key update, initiator to responder');
        // Both ends move to the next traffic secret; the counter restarts at 0.
        keys[rec.direction] = expand32(buf(v.i2rNextTrafficSecret), info('key'));
      } else {
        assert.equal(type, 1);
        assert.equal(plain.subarray(0, -1).toString('hex'), rec.plaintext);
      }
    }
  });
});
