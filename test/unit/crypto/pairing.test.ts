/**
 * Pairing by code, end to end in memory: the round trip, and every way it must fail on BOTH sides —
 * wrong code, a relay that swaps a certificate in msg1 or msg2, replayed messages from an earlier run,
 * low-order keys — with the failing side's ABORT making the other side fail with the same line.
 */
import { strict as assert } from 'node:assert';
import { createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isClawError } from '../../../src-main/core/errors.js';
import { cpaceIsk, prefixFreeCat } from '../../../src-main/crypto/cpace.js';
import { sealDecision } from '../../../src-main/crypto/pairing-decision.js';
import { PairingIssuer, PairingJoiner, type PairingResult } from '../../../src-main/crypto/pairing.js';
import {
  AbortReason,
  decodePairMessage,
  encodeAbort,
  encodeAd,
  encodeMsg1,
  encodeMsg2,
  encodeMsg3,
  PAIRING_FAILED_LINE,
} from '../../../src-main/crypto/pairing-messages.js';
import { parsePairCode, type PairCode } from '../../../src-main/protocol/pair-code.js';
import { testIdentity } from '../../helpers/identities.js';

const [issuerId, joinerId, malloryId] = await Promise.all([
  testIdentity('pair issuer'),
  testIdentity('pair joiner'),
  testIdentity('pair mallory'),
]);
const code = parsePairCode('K7QX-M2RT-9WZA');
/** Same tag, one secret character mistyped (A → B): it parses, so only the PAKE can tell. */
const wrongCode: PairCode = parsePairCode('K7QX-M2RT-9WZB');

const newIssuer = (c: PairCode = code) =>
  new PairingIssuer({ code: c, certDer: issuerId.certDer, name: 'desk' });
const newJoiner = (c: PairCode = code) =>
  new PairingJoiner({ code: c, certDer: joinerId.certDer, name: 'laptop ✈' });

const failsWith =
  (pattern: RegExp | string) =>
  (e: unknown): boolean =>
    isClawError(e, 'PAIRING_FAILED') &&
    (typeof pattern === 'string' ? e.message === pattern : pattern.test(e.message));

/** Runs a full pairing, letting `relay` rewrite each message in flight. */
function pair(
  issuer = newIssuer(),
  joiner = newJoiner(),
  relay: { msg1?: (b: Uint8Array) => Uint8Array; msg2?: (b: Uint8Array) => Uint8Array } = {},
): { issuerResult: PairingResult; joinerResult: PairingResult } {
  const msg1 = (relay.msg1 ?? ((b) => b))(joiner.start());
  const msg2 = (relay.msg2 ?? ((b) => b))(issuer.receive(msg1));
  const { message: msg3, result: joinerResult } = joiner.receive(msg2);
  return { issuerResult: issuer.finish(msg3), joinerResult };
}

/** Swaps the certificate in a msg1 or msg2, keeping Y (what a relay could do). */
function swapCert(bytes: Uint8Array, certDer: Uint8Array): Uint8Array {
  const m = decodePairMessage(bytes);
  if (m.type === 'msg1') return encodeMsg1(m.sid, prefixFreeCat(m.Y, encodeAd(certDer, m.name)));
  if (m.type === 'msg2') return encodeMsg2(prefixFreeCat(m.Y, encodeAd(certDer, m.name)), m.mac);
  throw new Error('not msg1/msg2');
}

/** The joiner fails on msg2; its ABORT makes the issuer fail with the same line. */
function expectBothFail(issuer: PairingIssuer, joiner: PairingJoiner, msg2: Uint8Array): void {
  assert.throws(() => joiner.receive(msg2), failsWith(PAIRING_FAILED_LINE));
  const abort = joiner.abort();
  assert.deepEqual([...abort], [1, 5, AbortReason.Failed]);
  assert.throws(() => issuer.finish(abort), failsWith(PAIRING_FAILED_LINE));
}

describe('pairing by code', () => {
  it('pairs: both sides learn the other certificate, name and the same session key', () => {
    const { issuerResult, joinerResult } = pair();
    assert.deepEqual(issuerResult.peerCertDer, joinerId.certDer);
    assert.equal(issuerResult.peerFingerprint, joinerId.fingerprint);
    assert.equal(issuerResult.peerName, 'laptop ✈');
    assert.deepEqual(joinerResult.peerCertDer, issuerId.certDer);
    assert.equal(joinerResult.peerFingerprint, issuerId.fingerprint);
    assert.equal(joinerResult.peerName, 'desk');
    assert.equal(issuerResult.sessionKey.length, 32);
    assert.deepEqual(issuerResult.sessionKey, joinerResult.sessionKey);
  });

  it('follows the key schedule of docs/protocol.md (recomputed with node:crypto)', () => {
    const ya = new Uint8Array(32).fill(0xa1);
    const yb = new Uint8Array(32).fill(0xb2);
    const sid = new Uint8Array(16).fill(0x5a);
    const joiner = new PairingJoiner({ code, certDer: joinerId.certDer, name: 'j', scalar: ya, sid });
    const issuer = new PairingIssuer({ code, certDer: issuerId.certDer, name: 'i', scalar: yb });
    const msg1 = joiner.start();
    const msg2 = issuer.receive(msg1);
    const { message: msg3, result } = joiner.receive(msg2);
    issuer.finish(msg3);
    const m1 = decodePairMessage(msg1);
    const m2 = decodePairMessage(msg2);
    assert.ok(m1.type === 'msg1' && m2.type === 'msg2', "m1.type === 'msg1' && m2.type === 'msg2'");
    assert.deepEqual(m1.sid, sid);
    const isk = cpaceIsk({ sid, y: ya, peerY: m2.Y, msgA: m1.msg, msgB: m2.msg });
    const kdf = (label: string, n: number) =>
      Buffer.from(hkdfSync('sha512', isk, 'clawbridge pair v1', `clawbridge pair v1 ${label}`, n));
    const T = prefixFreeCat(Buffer.from('clawbridge pair v1 transcript'), sid, m1.msg, m2.msg);
    const mac = (key: Buffer) => new Uint8Array(createHmac('sha512', key).update(T).digest());
    assert.deepEqual(m2.mac, mac(kdf('issuer confirm', 64)));
    assert.deepEqual(msg3.subarray(2), mac(kdf('joiner confirm', 64)));
    const sk = kdf('session key', 32);
    assert.deepEqual(result.sessionKey, new Uint8Array(sk));
    // Decision record: dk = HKDF-SHA512(sk, salt "", info), nonce 0…01, aad = 01 04.
    const record = sealDecision(result.sessionKey, { approved: true, name: 'j' });
    const dk = Buffer.from(hkdfSync('sha512', sk, Buffer.alloc(0), 'clawbridge pair v1 decision key', 32));
    const nonce = Buffer.alloc(12);
    nonce[11] = 1;
    const decipher = createDecipheriv('aes-256-gcm', dk, nonce);
    decipher.setAAD(Buffer.of(1, 4));
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(2, record.length - 16)), decipher.final()]);
    assert.equal(plain.toString(), '{"approved":true,"name":"j"}');
  });

  it('gives every run a different session key (fresh sid and scalars)', () => {
    const a = pair().issuerResult.sessionKey;
    const b = pair().issuerResult.sessionKey;
    assert.notDeepEqual(a, b);
  });

  it('msg1 and msg2 carry the certificates; msg3 is 66 bytes', () => {
    const joiner = newJoiner();
    const issuer = newIssuer();
    const msg1 = joiner.start();
    const m1 = decodePairMessage(msg1);
    assert.equal(m1.type, 'msg1');
    const msg2 = issuer.receive(msg1);
    const { message: msg3 } = joiner.receive(msg2);
    assert.equal(msg3.length, 66);
    assert.deepEqual([...msg3.subarray(0, 2)], [1, 3]);
  });

  it('a wrong code fails on both sides with the same line', () => {
    const issuer = newIssuer();
    const joiner = newJoiner(wrongCode);
    expectBothFail(issuer, joiner, issuer.receive(joiner.start()));
  });

  it('a relay that swaps the joiner certificate in msg1 makes both sides fail', () => {
    const issuer = newIssuer();
    const joiner = newJoiner();
    const msg1 = swapCert(joiner.start(), malloryId.certDer);
    expectBothFail(issuer, joiner, issuer.receive(msg1));
  });

  it('a relay that swaps the issuer certificate in msg2 makes both sides fail', () => {
    const issuer = newIssuer();
    const joiner = newJoiner();
    const msg2 = swapCert(issuer.receive(joiner.start()), malloryId.certDer);
    expectBothFail(issuer, joiner, msg2);
  });

  it('the issuer fails on its own when the ABORT is dropped and msg3 is forged', () => {
    const issuer = newIssuer();
    const joiner = newJoiner();
    issuer.receive(swapCert(joiner.start(), malloryId.certDer));
    assert.throws(() => issuer.finish(encodeMsg3(randomBytes(64))), failsWith(PAIRING_FAILED_LINE));
    assert.deepEqual([...issuer.abort()], [1, 5, AbortReason.Failed]);
  });

  it('a replayed msg1 from an earlier run gets nowhere: its old msg3 does not confirm', () => {
    const joiner = newJoiner();
    const first = newIssuer();
    const msg1 = joiner.start();
    const { message: oldMsg3 } = joiner.receive(first.receive(msg1));
    first.finish(oldMsg3);
    const second = newIssuer(); // same code, as if it had not been burned
    second.receive(msg1);
    assert.throws(() => second.finish(oldMsg3), failsWith(PAIRING_FAILED_LINE));
  });

  it('a replayed msg2 from an earlier run fails at the joiner, then at the issuer', () => {
    const oldMsg2 = newIssuer().receive(newJoiner().start());
    const issuer = newIssuer();
    const joiner = newJoiner();
    issuer.receive(joiner.start());
    expectBothFail(issuer, joiner, oldMsg2);
  });

  it('a low-order Ya in msg1 is refused with a clear error', () => {
    const lowOrder = new Uint8Array(32); // u = 0
    const ad = encodeAd(malloryId.certDer, 'x');
    const issuer = newIssuer();
    assert.throws(
      () => issuer.receive(encodeMsg1(new Uint8Array(16), prefixFreeCat(lowOrder, ad))),
      failsWith(/low-order point/),
    );
    assert.equal(issuer.abort()[2], AbortReason.Failed);
  });

  it('a low-order Yb in msg2 is refused with a clear error', () => {
    const joiner = newJoiner();
    joiner.start();
    const one = new Uint8Array(32);
    one[0] = 1; // u = 1
    const msg2 = encodeMsg2(prefixFreeCat(one, encodeAd(malloryId.certDer, 'x')), new Uint8Array(64));
    assert.throws(() => joiner.receive(msg2), failsWith(/low-order point/));
  });

  it('an issuer that cancels makes the joiner fail with the cancel line', () => {
    const issuer = newIssuer();
    const joiner = newJoiner();
    joiner.start();
    const abort = issuer.abort();
    assert.deepEqual([...abort], [1, 5, AbortReason.Cancelled]);
    assert.throws(() => joiner.receive(abort), failsWith(/cancelled on the other node/));
    assert.throws(() => issuer.receive(joiner.start()), failsWith(/after pairing failed/));
  });

  it('a version mismatch names it, and the ABORT tells the other side', () => {
    const issuer = newIssuer();
    const msg1 = newJoiner().start();
    msg1[0] = 2;
    assert.throws(() => issuer.receive(msg1), failsWith(/version 2, this node speaks 1 — update both nodes/));
    const abort = issuer.abort();
    assert.equal(abort[2], AbortReason.Version);
    const joiner = newJoiner();
    joiner.start();
    assert.throws(() => joiner.receive(abort), failsWith(/incompatible pairing protocol/));
  });

  it('refuses calls out of order or after a failure', () => {
    const joiner = newJoiner();
    assert.throws(() => joiner.receive(new Uint8Array(70)), failsWith(/receive\(msg2\) called out of order/));
    assert.throws(() => joiner.start(), failsWith(/start\(\) called after pairing failed/));
    const issuer = newIssuer();
    assert.throws(() => issuer.finish(encodeMsg3(new Uint8Array(64))), failsWith(/out of order/));
  });

  it('refuses the wrong message type in each state', () => {
    const issuer = newIssuer();
    assert.throws(
      () => issuer.receive(encodeMsg3(new Uint8Array(64))),
      failsWith(/expected pairing msg1, got msg3/),
    );
    const joiner = newJoiner();
    const msg1 = joiner.start();
    assert.throws(() => joiner.receive(msg1), failsWith(/expected pairing msg2, got msg1/));
  });

  it('refuses a certificate that is not P-256 X.509 even when the code was right', () => {
    const issuer = new PairingIssuer({ code, certDer: randomBytes(300), name: 'odd' });
    const joiner = newJoiner();
    assert.throws(
      () => joiner.receive(issuer.receive(joiner.start())),
      failsWith(/not an ECDSA P-256 X.509/),
    );
    assert.equal(joiner.abort()[2], AbortReason.Malformed);
  });

  it('validates its own name and certificate at construction', () => {
    const bad =
      (name: string, certDer = joinerId.certDer) =>
      () =>
        new PairingJoiner({ code, certDer, name });
    const badArg = (pattern: RegExp) => (e: unknown) =>
      isClawError(e, 'BAD_ARGUMENT') && pattern.test(e.message);
    assert.throws(bad(''), badArg(/node name must be 1 to 64 bytes of UTF-8, got 0/));
    assert.throws(bad('é'.repeat(33)), badArg(/got 66/));
    assert.throws(bad('two\nlines'), badArg(/control characters/));
    assert.throws(bad('ok', new Uint8Array(4097)), badArg(/1 to 4096 bytes of DER, got 4097/));
    assert.throws(
      () => new PairingJoiner({ code, certDer: joinerId.certDer, name: 'x', sid: new Uint8Array(8) }),
      badArg(/sid must be 16 bytes, got 8/),
    );
  });

  it('an ABORT has a fixed form', () => {
    assert.deepEqual([...encodeAbort(AbortReason.Malformed)], [1, 5, 2]);
  });
});
