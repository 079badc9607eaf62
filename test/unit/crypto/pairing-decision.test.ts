/**
 * The sealed decision record: the issuer's answer reaches the joiner intact, and nothing the relay can
 * do (flip a bit, replay another pairing's answer, reflect it, send an ABORT instead) passes as an answer.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isClawError } from '../../../src-main/core/errors.js';
import { PairingIssuer, PairingJoiner } from '../../../src-main/crypto/pairing.js';
import {
  MAX_DECISION_REASON_CHARS,
  openDecision,
  sealDecision,
} from '../../../src-main/crypto/pairing-decision.js';
import { AbortReason, encodeAbort } from '../../../src-main/crypto/pairing-messages.js';
import { generatePairCode } from '../../../src-main/protocol/pair-code.js';
import { testIdentity } from '../../helpers/identities.js';

const [issuerId, joinerId] = await Promise.all([
  testIdentity('decision issuer'),
  testIdentity('decision joiner'),
]);

function pairedKeys(): { issuerKey: Uint8Array; joinerKey: Uint8Array } {
  const code = generatePairCode();
  const issuer = new PairingIssuer({ code, certDer: issuerId.certDer, name: 'desk' });
  const joiner = new PairingJoiner({ code, certDer: joinerId.certDer, name: 'laptop' });
  const { message, result } = joiner.receive(issuer.receive(joiner.start()));
  return { issuerKey: issuer.finish(message).sessionKey, joinerKey: result.sessionKey };
}

const failsWith = (pattern: RegExp) => (e: unknown) =>
  isClawError(e, 'PAIRING_FAILED') && pattern.test(e.message);

describe('pairing decision record', () => {
  it('carries approved and rejected decisions from issuer to joiner', () => {
    const a = pairedKeys();
    const approved = sealDecision(a.issuerKey, { approved: true, name: 'laptop' });
    assert.deepEqual([...approved.subarray(0, 2)], [1, 4]);
    assert.deepEqual(openDecision(a.joinerKey, approved), { approved: true, name: 'laptop' });
    const b = pairedKeys();
    const rejected = sealDecision(b.issuerKey, { approved: false, name: 'laptop', reason: 'not mine' });
    assert.deepEqual(openDecision(b.joinerKey, rejected), {
      approved: false,
      name: 'laptop',
      reason: 'not mine',
    });
  });

  it('rejects any altered byte', () => {
    const { issuerKey, joinerKey } = pairedKeys();
    const sealed = sealDecision(issuerKey, { approved: false, name: 'laptop' });
    for (let i = 2; i < sealed.length; i++) {
      const forged = sealed.slice();
      forged[i]! ^= 0x01;
      assert.throws(() => openDecision(joinerKey, forged), failsWith(/failed authentication/));
    }
    const header = sealed.slice();
    header[1] = 3; // retyped as msg3
    assert.throws(() => openDecision(joinerKey, header), failsWith(/pairing message 3 must be 66 bytes/));
    assert.throws(
      () => openDecision(joinerKey, Uint8Array.of(1, 3, ...new Uint8Array(64))),
      failsWith(/expected a pairing decision, got msg3/),
    );
  });

  it('rejects a decision from another pairing and a reflected one', () => {
    const a = pairedKeys();
    const b = pairedKeys();
    const fromA = sealDecision(a.issuerKey, { approved: true, name: 'laptop' });
    assert.throws(() => openDecision(b.joinerKey, fromA), failsWith(/failed authentication/));
    // The issuer's own record sent back to it as if the joiner had sealed it.
    assert.throws(() => openDecision(a.issuerKey, fromA, 'joiner'), failsWith(/failed authentication/));
  });

  it('seals each direction once; the joiner direction works too', () => {
    const { issuerKey, joinerKey } = pairedKeys();
    sealDecision(issuerKey, { approved: true, name: 'laptop' });
    assert.throws(
      () => sealDecision(issuerKey, { approved: false, name: 'laptop' }),
      (e: unknown) => isClawError(e, 'INTERNAL') && /already sealed/.test(e.message),
    );
    const back = sealDecision(joinerKey, { approved: true, name: 'desk' }, 'joiner');
    assert.deepEqual(openDecision(issuerKey, back, 'joiner'), { approved: true, name: 'desk' });
  });

  it('an ABORT in place of the decision fails with its line', () => {
    const { joinerKey } = pairedKeys();
    assert.throws(
      () => openDecision(joinerKey, encodeAbort(AbortReason.Failed)),
      failsWith(/code was wrong or someone interfered/),
    );
  });

  it('validates decisions before sealing', () => {
    const { issuerKey } = pairedKeys();
    const bad = (d: unknown) => () => sealDecision(issuerKey, d as never);
    const badArg = (e: unknown) => isClawError(e, 'BAD_ARGUMENT');
    assert.throws(bad({ approved: 'yes', name: 'x' }), badArg);
    assert.throws(bad({ approved: true, name: '' }), badArg);
    assert.throws(
      bad({ approved: true, name: 'x', reason: 'r'.repeat(MAX_DECISION_REASON_CHARS + 1) }),
      badArg,
    );
    assert.throws(bad({ approved: true, name: 'x', reason: 'a\u001b[2J' }), badArg);
    assert.throws(bad({ approved: true, name: 'x', extra: 1 }), badArg);
    assert.throws(() => sealDecision(new Uint8Array(16), { approved: true, name: 'x' }), badArg);
  });
});
