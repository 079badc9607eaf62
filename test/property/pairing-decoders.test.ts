/**
 * Properties of the pairing wire decoders and state machines: hostile bytes (random, or a genuine
 * message mutated) only ever produce a ClawError, never another exception; a mutated message never
 * completes a pairing; and pairings with random codes and names agree, or fail on both sides when the
 * secrets differ (a random other secret, or one character mistyped). Pure decoders run 10,000 times
 * each; paths that cost X25519 operations per run, fewer.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isClawError } from '../../src-main/core/errors.js';
import { PairingIssuer, PairingJoiner } from '../../src-main/crypto/pairing.js';
import { openDecision, sealDecision } from '../../src-main/crypto/pairing-decision.js';
import { AbortReason, decodePairMessage, encodeAbort } from '../../src-main/crypto/pairing-messages.js';
import { PAIR_CODE_ALPHABET, parsePairCode, type PairCode } from '../../src-main/protocol/pair-code.js';
import { testIdentity } from '../helpers/identities.js';
import { mutate, mutation } from '../helpers/byte-mutations.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const DECODER_RUNS = fuzzRuns();
/**
 * Each run costs one or two CPace generators and X25519 operations (≈ 3 ms, 5–7 s a property at 1,000
 * runs on the CI machine): a fortieth of the decoders' runs, so 250 in `npm test` and 2,500 in
 * `npm run fuzz`, which looks harder than `npm test` did with 1,000.
 */
const STATEFUL_RUNS = Math.max(100, Math.round(DECODER_RUNS / 40));
/** Each run is a whole pairing (≈ 10 ms). */
const PAIRING_RUNS = 200;

const [issuerId, joinerId] = await Promise.all([testIdentity('prop issuer'), testIdentity('prop joiner')]);
const code = parsePairCode('K7QX-M2RT-9WZA');
const newIssuer = (c: PairCode = code, name = 'desk') =>
  new PairingIssuer({ code: c, certDer: issuerId.certDer, name });
const newJoiner = (c: PairCode = code, name = 'laptop') =>
  new PairingJoiner({ code: c, certDer: joinerId.certDer, name });

// One genuine exchange to mutate.
const genuine = (() => {
  const issuer = newIssuer();
  const joiner = newJoiner();
  const msg1 = joiner.start();
  const msg2 = issuer.receive(msg1);
  const { message: msg3, result } = joiner.receive(msg2);
  const issuerResult = issuer.finish(msg3);
  const decision = sealDecision(issuerResult.sessionKey, { approved: true, name: 'laptop', reason: 'ok' });
  return { msg1, msg2, msg3, decision, abort: encodeAbort(AbortReason.Failed), joinerKey: result.sessionKey };
})();

const changed = (a: Uint8Array, b: Uint8Array) => a.length !== b.length || a.some((x, i) => x !== b[i]);

/** Runs `f`; any exception that is not a ClawError fails the property. Returns whether it threw. */
function threwClawError(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (err) {
    if (isClawError(err)) return true;
    throw err;
  }
}

describe('pairing decoder properties', () => {
  it('random bytes only ever fail with a ClawError', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 300 }))
        .map(([t, b]) => Uint8Array.of(1, t, ...b)),
    );
    fc.assert(
      fc.property(bytes, (b) => void threwClawError(() => decodePairMessage(b))),
      { numRuns: DECODER_RUNS },
    );
  });

  for (const name of ['msg1', 'msg2', 'msg3', 'decision', 'abort'] as const) {
    it(`mutated ${name} only ever fails with a ClawError`, () => {
      fc.assert(
        fc.property(mutation, (m) => void threwClawError(() => decodePairMessage(mutate(genuine[name], m)))),
        { numRuns: DECODER_RUNS },
      );
    });
  }

  it('a mutated decision never opens', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const forged = mutate(genuine.decision, m);
        if (changed(forged, genuine.decision))
          assert.ok(
            threwClawError(() => openDecision(genuine.joinerKey, forged)),
            'threwClawError(() => openDecision(genuine.joinerKey, forged))',
          );
      }),
      { numRuns: DECODER_RUNS },
    );
  });
});

describe('pairing state machine properties', () => {
  it('a mutated msg1 fails at the issuer or later at the joiner, only with ClawErrors', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const joiner = newJoiner();
        const original = joiner.start();
        const msg1 = mutate(original, m);
        let msg2: Uint8Array = new Uint8Array(0);
        if (threwClawError(() => (msg2 = newIssuer().receive(msg1))) || !changed(msg1, original)) return;
        // msg1 decoded but changed: key confirmation must fail at the joiner.
        assert.ok(
          threwClawError(() => joiner.receive(msg2)),
          'a changed msg1 must not confirm',
        );
      }),
      { numRuns: STATEFUL_RUNS },
    );
  });

  it('a mutated msg2 never confirms at the joiner', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const joiner = newJoiner();
        const issuer = newIssuer();
        const msg2 = issuer.receive(joiner.start());
        const forged = mutate(msg2, m);
        if (changed(forged, msg2))
          assert.ok(
            threwClawError(() => joiner.receive(forged)),
            'threwClawError(() => joiner.receive(forged))',
          );
      }),
      { numRuns: STATEFUL_RUNS },
    );
  });

  it('a mutated msg3 never confirms at the issuer', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const joiner = newJoiner();
        const issuer = newIssuer();
        const { message } = joiner.receive(issuer.receive(joiner.start()));
        const forged = mutate(message, m);
        if (changed(forged, message))
          assert.ok(
            threwClawError(() => issuer.finish(forged)),
            'threwClawError(() => issuer.finish(forged))',
          );
      }),
      { numRuns: STATEFUL_RUNS },
    );
  });

  const codeChar = fc.constantFrom(...PAIR_CODE_ALPHABET);
  const codeArb = fc
    .array(codeChar, { minLength: 12, maxLength: 12 })
    .map((chars) => parsePairCode(chars.join('')));
  /** How the joiner's secret goes wrong: a random other secret, or one character mistyped. */
  const wrongSecretArb = fc.oneof(
    fc.record({ kind: fc.constant('other' as const), other: codeArb }),
    fc.record({ kind: fc.constant('typo' as const), at: fc.nat({ max: 7 }), to: codeChar }),
  );
  const nameArb = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 16 })
    .filter(
      (n) => !/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u.test(n) && Buffer.byteLength(n) <= 64,
    );

  it('the same code pairs with any names; a different or mistyped secret fails on both sides', () => {
    fc.assert(
      fc.property(codeArb, wrongSecretArb, nameArb, nameArb, (a, wrongSecret, issuerName, joinerName) => {
        const issuer = newIssuer(a, issuerName);
        const joiner = newJoiner(a, joinerName);
        const { message, result } = joiner.receive(issuer.receive(joiner.start()));
        const issuerResult = issuer.finish(message);
        assert.deepEqual(issuerResult.sessionKey, result.sessionKey);
        assert.deepEqual([issuerResult.peerName, result.peerName], [joinerName, issuerName]);
        let secret: string;
        if (wrongSecret.kind === 'other') secret = wrongSecret.other.secret;
        else {
          const chars = [...a.secret];
          chars[wrongSecret.at] = wrongSecret.to;
          secret = chars.join('');
        }
        if (secret === a.secret) return;
        // Same tag (they meet), different secret: parsePairCode accepts it, the PAKE must not.
        const other = newIssuer(a);
        const wrong = newJoiner(parsePairCode(a.tag + secret));
        const msg2 = other.receive(wrong.start());
        assert.ok(
          threwClawError(() => wrong.receive(msg2)),
          'threwClawError(() => wrong.receive(msg2))',
        );
        assert.ok(
          threwClawError(() => other.finish(wrong.abort())),
          'threwClawError(() => other.finish(wrong.abort()))',
        );
      }),
      { numRuns: PAIRING_RUNS },
    );
  });
});
