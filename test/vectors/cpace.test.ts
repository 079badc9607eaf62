/**
 * Known-answer tests for CPACE-X25519-SHA512 (test/vectors/cpace-x25519-sha512.json, copied from the
 * draft's appendix; see the JSON's notes for one correction). Every input/output pair and every low-order
 * case is checked, and the generator, K and ISK are recomputed with independent code (the draft's
 * reference Elligator 2 formula in bigints, node:crypto X25519 and SHA-512) so the vector, the draft and
 * the implementation agree.
 */
import { strict as assert } from 'node:assert';
import { createHash, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isClawError } from '../../src-main/core/errors.js';
import {
  CPACE_DSI,
  cpaceGenerator,
  cpaceGeneratorString,
  cpaceIsk,
  cpaceMessage,
  cpaceScalarMultVfy,
  isCpaceNeutral,
  leb128,
  parsePrefixFree,
  prefixFreeCat,
} from '../../src-main/crypto/cpace.js';

interface CpaceVector {
  inputs: Record<'DSI' | 'PRS' | 'CI' | 'sid' | 'ADa' | 'ADb' | 'ya' | 'yb', string>;
  outputs: Record<
    | 'generator_string'
    | 'generator_hash_32'
    | 'decoded_field_element'
    | 'g'
    | 'Ya'
    | 'MSGa'
    | 'Yb'
    | 'MSGb'
    | 'K'
    | 'DSI_ISK'
    | 'ISK_IR'
    | 'ISK_SY',
    string
  >;
  low_order: {
    s: string;
    must_abort_in_messages: string[];
    u: Record<string, string>;
    q: Record<string, string>;
  };
}

const v = JSON.parse(
  readFileSync(new URL('./cpace-x25519-sha512.json', import.meta.url), 'utf8'),
) as CpaceVector;
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const i = {
  DSI: bytes(v.inputs.DSI),
  PRS: bytes(v.inputs.PRS),
  CI: bytes(v.inputs.CI),
  sid: bytes(v.inputs.sid),
  ADa: bytes(v.inputs.ADa),
  ADb: bytes(v.inputs.ADb),
  ya: bytes(v.inputs.ya),
  yb: bytes(v.inputs.yb),
};
const o = v.outputs;

// ---- independent reference code (draft appendix "Elligator 2 reference implementation") ----
const p = 2n ** 255n - 19n;
const A = 486662n;
const mod = (x: bigint) => ((x % p) + p) % p;
function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = mod(b);
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % p;
    x = (x * x) % p;
  }
  return r;
}
const leToInt = (b: Uint8Array) => b.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
const intToLe = (x: bigint) =>
  Uint8Array.from({ length: 32 }, (_, k) => Number((x >> BigInt(8 * k)) & 0xffn));
/** v = −A/(1 + z·r²) with z = 2; ε = Legendre(v³ + A·v² + v); x = ε·v − (1 − ε)·A/2. */
function referenceElligator2(r: bigint): bigint {
  const vv = mod(-A * pow(1n + 2n * r * r, p - 2n));
  const legendre = pow(vv * vv * vv + A * vv * vv + vv, (p - 1n) / 2n);
  const epsilon = legendre === p - 1n ? -1n : legendre; // 0 or 1 stay as they are
  return mod(epsilon * vv - (1n - epsilon) * A * pow(2n, p - 2n));
}
/** RFC 7748 X25519 by node:crypto (OpenSSL), from raw keys through JWK. */
function nodeX25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: b64(scalar), x: b64(new Uint8Array(32)) },
    format: 'jwk',
  });
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(u) }, format: 'jwk' });
  return new Uint8Array(diffieHellman({ privateKey, publicKey }));
}

describe('CPace string utilities (draft appendix)', () => {
  it('prepend_len and prefix_free_cat match the draft', () => {
    assert.equal(hex(prefixFreeCat(new Uint8Array(0))), '00');
    assert.equal(hex(prefixFreeCat(Buffer.from('1234'))), '0431323334');
    const r127 = Uint8Array.from({ length: 127 }, (_, k) => k);
    const r128 = Uint8Array.from({ length: 128 }, (_, k) => k);
    assert.equal(hex(prefixFreeCat(r127)), '7f' + hex(r127));
    assert.equal(hex(prefixFreeCat(r128)), '8001' + hex(r128));
    assert.equal(
      hex(prefixFreeCat(Buffer.from('1234'), Buffer.from('5'), new Uint8Array(0), Buffer.from('6789'))),
      '04313233340135000436373839',
    );
    assert.equal(hex(leb128(16384)), '808001');
  });

  it('rejects the draft’s invalid encoded messages Inv_MSG1..4', () => {
    for (const bad of ['ffffff', 'ffff03', '00ffff03', '00ffffff']) {
      assert.throws(
        () => parsePrefixFree(bytes(bad), 2, 'test message'),
        (e: unknown) => isClawError(e, 'PAIRING_FAILED') && /test message is malformed/.test(e.message),
        bad,
      );
    }
  });

  it('parses MSGa and MSGb back into Y and AD', () => {
    assert.deepEqual(parsePrefixFree(bytes(o.MSGa), 2, 'MSGa'), [bytes(o.Ya), i.ADa]);
    assert.deepEqual(parsePrefixFree(bytes(o.MSGb), 2, 'MSGb'), [bytes(o.Yb), i.ADb]);
  });
});

describe('CPACE-X25519-SHA512 test vector', () => {
  it('uses the suite DSI', () => {
    assert.deepEqual(CPACE_DSI, i.DSI);
    assert.equal(Buffer.from(i.DSI).toString(), 'CPace255');
  });

  it('reproduces generator_string (len_zpad = 109), its hash, the field element and g', () => {
    const genStr = cpaceGeneratorString(i.PRS, i.CI, i.sid);
    assert.equal(hex(genStr), o.generator_string);
    assert.equal(genStr.length, 168);
    const hash = createHash('sha512').update(genStr).digest().subarray(0, 32);
    assert.equal(hex(hash), o.generator_hash_32);
    const decoded = Uint8Array.from(hash);
    decoded[31]! &= 0x7f; // decodeUCoordinate(·, 255)
    assert.equal(hex(decoded), o.decoded_field_element);
    const g = cpaceGenerator(i.PRS, i.CI, i.sid);
    assert.equal(hex(g), o.g);
    assert.equal(hex(intToLe(referenceElligator2(leToInt(decoded)))), o.g, 'draft reference Elligator 2');
  });

  it('reproduces Ya, MSGa, Yb, MSGb', () => {
    const a = cpaceMessage(i.PRS, i.CI, i.sid, i.ADa, i.ya);
    const b = cpaceMessage(i.PRS, i.CI, i.sid, i.ADb, i.yb);
    assert.equal(hex(a.Y), o.Ya);
    assert.equal(hex(a.msg), o.MSGa);
    assert.equal(hex(b.Y), o.Yb);
    assert.equal(hex(b.msg), o.MSGb);
    assert.equal(hex(nodeX25519(i.ya, bytes(o.g))), o.Ya, 'node:crypto agrees');
  });

  it('reproduces K on both sides', () => {
    assert.equal(hex(cpaceScalarMultVfy(i.ya, bytes(o.Yb))), o.K);
    assert.equal(hex(cpaceScalarMultVfy(i.yb, bytes(o.Ya))), o.K);
    assert.equal(hex(nodeX25519(i.ya, bytes(o.Yb))), o.K, 'node:crypto agrees');
  });

  it('reproduces ISK_IR and ISK_SY on both sides', () => {
    assert.equal(hex(Buffer.concat([i.DSI, Buffer.from('_ISK')])), o.DSI_ISK);
    const common = { sid: i.sid, msgA: bytes(o.MSGa), msgB: bytes(o.MSGb) };
    for (const setting of ['ir', 'sy'] as const) {
      const expected = setting === 'ir' ? o.ISK_IR : o.ISK_SY;
      assert.equal(hex(cpaceIsk({ ...common, y: i.ya, peerY: bytes(o.Yb), setting })), expected);
      assert.equal(hex(cpaceIsk({ ...common, y: i.yb, peerY: bytes(o.Ya), setting })), expected);
    }
    // Independent: SHA-512(prefix_free_cat(DSI‖"_ISK", sid, K) ‖ MSGa ‖ MSGb) by node:crypto.
    const manual = createHash('sha512')
      .update(Buffer.from('0c' + o.DSI_ISK + '10' + v.inputs.sid + '20' + o.K, 'hex'))
      .update(bytes(o.MSGa))
      .update(bytes(o.MSGb))
      .digest('hex');
    assert.equal(manual, o.ISK_IR);
  });
});

describe('CPace low-order inputs (G_X25519 verification tests)', () => {
  const s = bytes(v.low_order.s);
  const names = Object.keys(v.low_order.u);

  it('covers all twelve u values', () => {
    assert.deepEqual(names, ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'ua', 'ub']);
  });

  for (const name of names) {
    const u = bytes(v.low_order.u[name]!);
    const q = v.low_order.q[`q${name.slice(1)}`]!;
    const mustAbort = v.low_order.must_abort_in_messages.includes(name);

    it(`scalar_mult_vfy(s, ${name}) = q${name.slice(1)}${mustAbort ? ' = G.I, and ISK aborts' : ''}`, () => {
      const result = cpaceScalarMultVfy(s, u);
      assert.equal(hex(result), q);
      assert.equal(isCpaceNeutral(result), mustAbort);
      const isk = () =>
        cpaceIsk({ sid: i.sid, y: s, peerY: u, msgA: prefixFreeCat(u, i.ADa), msgB: bytes(o.MSGb) });
      if (mustAbort) {
        assert.throws(
          isk,
          (e: unknown) => isClawError(e, 'PAIRING_FAILED') && /low-order point/.test(e.message),
        );
      } else {
        assert.equal(isk().length, 64);
      }
    });
  }
});
