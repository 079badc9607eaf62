/**
 * A hostile relay (the circuit pair's man-in-the-middle hook) against the E2E Link: every attack on the
 * record stream closes the Link with a clear error, delivers nothing from the attacked record on, and
 * tells the other end; attacks on the handshake fail it with the matching code.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isClawError } from '../../src-main/core/errors.js';
import { abbreviateFingerprint } from '../../src-main/core/fingerprint.js';
import { HandshakeResponder } from '../../src-main/crypto/e2e-handshake.js';
import { secureCircuit } from '../../src-main/transport/e2e-link.js';
import { createCircuitPair, type Mitm } from '../helpers/circuit-pair.js';
import { alice, bob, closed, collect, connect, mallory, settle, text } from './e2e-link-helpers.js';

/** i2r frame index of Alice's first data record: 0 is msg1, 1 is msg3. */
const FIRST_DATA = 2;
/** The attacked record: Alice's data frame number 3 (0-based). */
const TARGET = FIRST_DATA + 3;

const RECORD_ATTACKS: Record<string, (held: { frame?: Uint8Array }) => Mitm> = {
  'a tampered record': () => (f, ctx) => {
    if (ctx.direction !== 'i2r' || ctx.index !== TARGET) return [f];
    const copy = f.slice();
    copy[copy.length - 20]! ^= 0x01;
    return [copy];
  },
  'a replayed record': () => (f, ctx) => (ctx.direction === 'i2r' && ctx.index === TARGET ? [f, f] : [f]),
  'reordered records': (held) => (f, ctx) => {
    if (ctx.direction !== 'i2r') return [f];
    if (ctx.index === TARGET) {
      held.frame = f;
      return [];
    }
    return ctx.index === TARGET + 1 ? [f, held.frame!] : [f];
  },
  'a dropped record': () => (f, ctx) => (ctx.direction === 'i2r' && ctx.index === TARGET ? [] : [f]),
  'a truncated record': () => (f, ctx) =>
    ctx.direction === 'i2r' && ctx.index === TARGET ? [f.subarray(0, f.length - 1)] : [f],
  'a forged record': () => (f, ctx) =>
    ctx.direction === 'i2r' && ctx.index === TARGET ? [new Uint8Array(f.length).fill(0x5a)] : [f],
  'a record of the other direction reflected back': (held) => (f, ctx) => {
    if (ctx.direction === 'r2i' && ctx.index === 1) held.frame = f; // Bob's first data record
    return ctx.direction === 'i2r' && ctx.index === TARGET ? [held.frame!] : [f];
  },
};

describe('E2E Link fails closed on record attacks', () => {
  for (const [name, attack] of Object.entries(RECORD_ATTACKS)) {
    it(name, async () => {
      const { a, b } = await connect({ mitm: attack({}) });
      const atB = collect(b);
      const [aClosed, bClosed] = [closed(a), closed(b)];
      b.send(text('from bob'));
      await settle();
      for (let k = 0; k < 8; k++) a.send(text(`frame ${k}`));
      const err = await bClosed;
      assert.ok(isClawError(err, 'DECRYPT_FAILED'), `got ${String(err)}`);
      assert.match(
        err.message,
        /^end-to-end record \d+ failed authentication — it was tampered with, replayed, reordered or a record was dropped; closing the channel$|^end-to-end record too short/,
      );
      // A replay delivers the genuine record once; its copy is what fails.
      const delivered = name === 'a replayed record' ? 4 : 3;
      assert.deepEqual(
        atB,
        Array.from({ length: delivered }, (_, k) => `frame ${k}`),
        'nothing delivered from the attacked record on',
      );
      const aErr = await aClosed;
      assert.ok(isClawError(aErr, 'LINK_CLOSED'), "isClawError(aErr, 'LINK_CLOSED')");
      assert.match(aErr.message, /end-to-end channel failed/);
      assert.equal(b.send(text('late')), false);
    });
  }
});

describe('E2E Link handshake attacks', () => {
  it('a relay that substitutes the responder (its own certificate) → FINGERPRINT_MISMATCH', async () => {
    // The relay answers msg1 itself as Mallory, a valid node with a different certificate.
    const impostor = new HandshakeResponder({ identity: mallory, verifyPeer: () => {} });
    let forged: Uint8Array | undefined;
    const mitm: Mitm = (f, ctx) => {
      if (ctx.direction === 'i2r' && ctx.index === 0) forged = impostor.receive(f);
      if (ctx.direction === 'r2i' && ctx.index === 0) return [forged!];
      return [f];
    };
    const circuits = createCircuitPair({ mitm });
    void secureCircuit(circuits.responder, { identity: bob, verifyPeer: () => {} }).catch(() => {});
    await assert.rejects(
      secureCircuit(circuits.initiator, { identity: alice, expectedPeer: bob.fingerprint }),
      (e) =>
        isClawError(e, 'FINGERPRINT_MISMATCH') &&
        e.message ===
          `peer fingerprint mismatch: expected ${abbreviateFingerprint(bob.fingerprint)}, got ${abbreviateFingerprint(mallory.fingerprint)} — the peer's certificate changed; re-pair or re-approve`,
    );
    assert.ok(circuits.initiator.closed, 'circuits.initiator.closed');
  });

  it('a tampered msg2 → HANDSHAKE_FAILED on the initiator', async () => {
    const mitm: Mitm = (f, ctx) => {
      if (ctx.direction !== 'r2i' || ctx.index !== 0) return [f];
      const copy = f.slice();
      copy[100]! ^= 0xff;
      return [copy];
    };
    const circuits = createCircuitPair({ mitm });
    const bSide = secureCircuit(circuits.responder, { identity: bob, verifyPeer: () => {} });
    await assert.rejects(
      secureCircuit(circuits.initiator, { identity: alice, expectedPeer: bob.fingerprint }),
      (e) => isClawError(e, 'HANDSHAKE_FAILED') && /message 2 failed to decrypt/.test(e.message),
    );
    await assert.rejects(
      bSide,
      (e) => isClawError(e, 'HANDSHAKE_FAILED') && /closed during the end-to-end handshake/.test(e.message),
    );
  });

  it('a tampered msg3 → HANDSHAKE_FAILED on the responder, and the initiator’s link closes', async () => {
    const mitm: Mitm = (f, ctx) => {
      if (ctx.direction !== 'i2r' || ctx.index !== 1) return [f];
      const copy = f.slice();
      copy[copy.length - 1]! ^= 0x01;
      return [copy];
    };
    const circuits = createCircuitPair({ mitm });
    const bSide = secureCircuit(circuits.responder, { identity: bob, verifyPeer: () => {} });
    const a = await secureCircuit(circuits.initiator, { identity: alice, expectedPeer: bob.fingerprint });
    await assert.rejects(
      bSide,
      (e) => isClawError(e, 'HANDSHAKE_FAILED') && /message 3 failed to decrypt/.test(e.message),
    );
    const err = await closed(a);
    assert.match(err?.message ?? '', /end-to-end handshake failed/);
  });

  it('a dropped msg2 → TIMEOUT', async () => {
    const circuits = createCircuitPair({ mitm: (f, ctx) => (ctx.direction === 'r2i' ? [] : [f]) });
    void secureCircuit(circuits.responder, { identity: bob, verifyPeer: () => {}, timeoutMs: 1000 }).catch(
      () => {},
    );
    await assert.rejects(
      secureCircuit(circuits.initiator, { identity: alice, expectedPeer: bob.fingerprint, timeoutMs: 80 }),
      (e) => isClawError(e, 'TIMEOUT'),
    );
  });

  it('a replayed handshake from an earlier connection → HANDSHAKE_FAILED', async () => {
    // Record a complete earlier handshake, then replay Alice's old msg1 and msg3 to Bob.
    const old: Uint8Array[] = [];
    const first = await connect({ mitm: (f, ctx) => (ctx.direction === 'i2r' && old.push(f), [f]) });
    first.a.close();
    const circuits = createCircuitPair();
    const bSide = secureCircuit(circuits.responder, { identity: bob, verifyPeer: () => {} });
    circuits.initiator.enqueue(old[0]!);
    await settle();
    circuits.initiator.enqueue(old[1]!);
    await assert.rejects(bSide, (e) => isClawError(e, 'HANDSHAKE_FAILED'));
  });
});
