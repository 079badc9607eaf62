/** Byte layouts of the pairing messages (docs/protocol.md, "Pairing by code") and their decoder's refusals. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isClawError } from '../../../src-main/core/errors.js';
import { prefixFreeCat } from '../../../src-main/crypto/cpace.js';
import {
  AbortReason,
  decodePairMessage,
  encodeAbort,
  encodeAd,
  encodeMsg1,
  encodeMsg2,
  encodeMsg3,
  MAX_PAIR_MESSAGE_BYTES,
} from '../../../src-main/crypto/pairing-messages.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const Y = new Uint8Array(32).fill(0x11);
const sid = new Uint8Array(16).fill(0x22);
const cert = new Uint8Array(200).fill(0x33);
const mac = new Uint8Array(64).fill(0x44);
const malformed = (pattern: RegExp) => (e: unknown) =>
  isClawError(e, 'PAIRING_FAILED') && pattern.test(e.message);

describe('pairing message layouts', () => {
  it('msg1 = 01 01 ‖ sid ‖ LEB128(32) Y ‖ LEB128(|AD|) (LEB128(|cert|) cert ‖ LEB128(|name|) name)', () => {
    const msg1 = encodeMsg1(sid, prefixFreeCat(Y, encodeAd(cert, 'ab')));
    const ad = `c801${hex(cert)}026162`; // 200 = c8 01 in LEB128
    assert.equal(hex(msg1), `0101${hex(sid)}20${hex(Y)}${(ad.length / 2).toString(16)}01${ad}`);
    const m = decodePairMessage(msg1);
    assert.equal(m.type, 'msg1');
    if (m.type !== 'msg1') return;
    assert.deepEqual([m.sid, m.Y, m.certDer, m.name], [sid, Y, cert, 'ab']);
    assert.deepEqual(m.msg, msg1.subarray(18));
  });

  it('msg2 = 01 02 ‖ MSGb ‖ MAC(64); msg3 = 01 03 ‖ MAC(64); abort = 01 05 reason', () => {
    const msgB = prefixFreeCat(Y, encodeAd(cert, 'desk'));
    const m2 = decodePairMessage(encodeMsg2(msgB, mac));
    assert.equal(m2.type, 'msg2');
    if (m2.type === 'msg2') assert.deepEqual([m2.msg, m2.mac, m2.name], [msgB, mac, 'desk']);
    assert.equal(hex(encodeMsg3(mac)), `0103${hex(mac)}`);
    assert.deepEqual(decodePairMessage(encodeMsg3(mac)), { type: 'msg3', mac });
    assert.deepEqual(decodePairMessage(encodeAbort(AbortReason.Version)), { type: 'abort', reason: 3 });
  });

  it('sizes match docs/protocol.md: msg1 56‥4216 bytes, msg2 104‥4264 bytes', () => {
    const sizes = (certBytes: number, name: string) => {
      const msg = prefixFreeCat(Y, encodeAd(new Uint8Array(certBytes), name));
      return [encodeMsg1(sid, msg).length, encodeMsg2(msg, mac).length];
    };
    assert.deepEqual(sizes(1, 'a'), [56, 104]);
    assert.deepEqual(sizes(4096, 'n'.repeat(64)), [4216, 4264]);
  });

  it('refuses bad headers and sizes, naming the problem', () => {
    assert.throws(() => decodePairMessage(new Uint8Array(1)), malformed(/too short: 1 bytes/));
    assert.throws(
      () => decodePairMessage(new Uint8Array(MAX_PAIR_MESSAGE_BYTES + 1).fill(1)),
      malformed(/too long: 4609 bytes \(limit 4608\)/),
    );
    assert.throws(() => decodePairMessage(Uint8Array.of(9, 1)), malformed(/version 9, this node speaks 1/));
    assert.throws(
      () => decodePairMessage(Uint8Array.of(1, 77)),
      malformed(/unknown pairing message type 77/),
    );
    assert.throws(
      () => decodePairMessage(Uint8Array.of(1, 3, 0)),
      malformed(/message 3 must be 66 bytes, got 3/),
    );
    assert.throws(() => decodePairMessage(Uint8Array.of(1, 5)), malformed(/abort message must be 3 bytes/));
    assert.throws(
      () => decodePairMessage(encodeMsg1(sid, new Uint8Array(0))),
      malformed(/message 1 too short/),
    );
  });

  it('refuses malformed CPace messages and associated data', () => {
    const msg1 = (msgA: Uint8Array) => () => decodePairMessage(encodeMsg1(sid, msgA));
    assert.throws(
      msg1(Uint8Array.of(0xff, 0xff, 0xff)),
      malformed(/length prefix of field 1 is longer than 3 bytes/),
    );
    assert.throws(msg1(Uint8Array.of(0x80, 0x00)), malformed(/not minimal/));
    assert.throws(
      msg1(prefixFreeCat(Y.subarray(0, 31), encodeAd(cert, 'a'))),
      malformed(/31-byte key, expected 32/),
    );
    assert.throws(
      msg1(Uint8Array.of(...prefixFreeCat(Y, encodeAd(cert, 'a')), 0)),
      malformed(/1 bytes after the last field/),
    );
    assert.throws(
      msg1(prefixFreeCat(Y, prefixFreeCat(new Uint8Array(0), Uint8Array.of(0x61)))),
      malformed(/0-byte certificate/),
    );
    assert.throws(
      msg1(prefixFreeCat(Y, prefixFreeCat(cert, Uint8Array.of(0xc3)))),
      malformed(/not valid UTF-8/),
    );
    assert.throws(
      msg1(prefixFreeCat(Y, prefixFreeCat(cert, new Uint8Array(0)))),
      malformed(/name that must be 1 to 64 bytes/),
    );
    assert.throws(
      msg1(prefixFreeCat(Y, prefixFreeCat(cert, Buffer.from('a\u202eb')))),
      malformed(/control characters/),
    );
    assert.throws(
      msg1(prefixFreeCat(Y, prefixFreeCat(cert, Buffer.from('a\u2028b')))),
      malformed(/control characters/),
    );
    assert.throws(() => decodePairMessage(Uint8Array.of(1, 2, ...mac)), malformed(/message 2 too short/));
  });
});
