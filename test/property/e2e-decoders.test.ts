/**
 * Properties of the E2E wire decoders and record layer: hostile bytes (random or a mutated genuine
 * message) only ever produce a ClawError, never another exception, and sealed frames always come back
 * intact and in order. Pure decoders run 10,000 times each; paths that cost an X25519 per run, 1,000.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isClawError } from '../../src-main/core/errors.js';
import { HandshakeInitiator, HandshakeResponder } from '../../src-main/crypto/e2e-handshake.js';
import { decodeBody, decodeMsg1, decodeMsg2, decodeMsg3 } from '../../src-main/crypto/e2e-messages.js';
import { generateIdentity } from '../../src-main/crypto/identity.js';
import { E2ESession, type SessionOptions } from '../../src-main/crypto/records.js';
import { mutate, mutation } from '../helpers/byte-mutations.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const DECODER_RUNS = fuzzRuns();
const STATEFUL_RUNS = 1_000;

const [alice, bob] = await Promise.all([generateIdentity('alice'), generateIdentity('bob')]);
const fixedEphemeral = new Uint8Array(32).fill(0x42);
const newInitiator = () =>
  new HandshakeInitiator({
    identity: alice,
    expectedPeer: bob.fingerprint,
    ephemeralPrivate: fixedEphemeral,
  });
const newResponder = () => new HandshakeResponder({ identity: bob, verifyPeer: () => {} });

// One genuine exchange to mutate.
const genuine = (() => {
  const i = newInitiator();
  const r = newResponder();
  const msg1 = i.start();
  const msg2 = r.receive(msg1);
  const msg3 = i.receive(msg2).message;
  return { msg1, msg2, msg3 };
})();

/** Runs `f`; any exception that is not a ClawError fails the property. */
function onlyClawErrors(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (err) {
    if (isClawError(err)) return true;
    throw err;
  }
}

/** A message of any length up to 700 bytes whose first two bytes are often a plausible header. */
const hostile = fc.oneof(
  fc.uint8Array({ maxLength: 700 }),
  fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.uint8Array({ maxLength: 700 }))
    .map(([type, rest]) => new Uint8Array([1, type, ...rest])),
);

describe('E2E decoders never throw anything but ClawError', () => {
  for (const [name, decode, sample] of [
    ['msg1', decodeMsg1, genuine.msg1],
    ['msg2', decodeMsg2, genuine.msg2],
    ['msg3', decodeMsg3, genuine.msg3],
    ['body', decodeBody, genuine.msg2.subarray(34, genuine.msg2.length - 16)],
  ] as const) {
    it(`${name}: random bytes`, () => {
      fc.assert(
        fc.property(hostile, (bytes) => onlyClawErrors(() => decode(bytes))),
        { numRuns: DECODER_RUNS },
      );
    });
    it(`${name}: mutated genuine message`, () => {
      fc.assert(
        fc.property(mutation, (m) => onlyClawErrors(() => decode(mutate(sample, m)))),
        { numRuns: DECODER_RUNS },
      );
    });
  }
});

/** A session pair straight from random traffic secrets (no handshake: this tests the record layer). */
function recordPair(options?: SessionOptions): { a: E2ESession; b: E2ESession } {
  const s1 = new Uint8Array(randomBytes(32));
  const s2 = new Uint8Array(randomBytes(32));
  const common = {
    peerCertDer: new Uint8Array(1),
    transcriptHash: new Uint8Array(32),
    ...(options ? { options } : {}),
  };
  return {
    a: new E2ESession({ ...common, peerId: 'b', sendSecret: s1, receiveSecret: s2 }),
    b: new E2ESession({ ...common, peerId: 'a', sendSecret: s2, receiveSecret: s1 }),
  };
}

describe('E2E records', () => {
  it('open: random bytes and mutated records fail with ClawError only, and the session stays dead', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostile.map((b) => ({ b, m: undefined })),
          mutation.map((m) => ({ b: undefined, m })),
        ),
        ({ b, m }) => {
          const pair = recordPair();
          const genuineRecord = pair.a.seal(new TextEncoder().encode('genuine record'))[0]!;
          const input = b ?? mutate(genuineRecord, m);
          onlyClawErrors(() => pair.b.open(input));
          if (pair.b.failed)
            assert.throws(
              () => pair.b.open(genuineRecord),
              (e) => isClawError(e),
            );
          return true;
        },
      ),
      { numRuns: DECODER_RUNS },
    );
  });

  it('seal/open round-trips random chunks in order across key updates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 40 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 100, max: 20_000 }),
        (chunks, rekeyAfterRecords, rekeyAfterBytes) => {
          const { a, b } = recordPair({ rekeyAfterRecords, rekeyAfterBytes });
          const received = chunks
            .flatMap((c) => a.seal(c))
            .map((r) => b.open(r))
            .filter((f) => f !== null)
            .map((f) => new Uint8Array(f));
          assert.deepEqual(received, chunks);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('E2E handshake state machines never throw anything but ClawError', () => {
  it('responder.receive: mutated msg1', () => {
    fc.assert(
      fc.property(mutation, (m) => onlyClawErrors(() => newResponder().receive(mutate(genuine.msg1, m)))),
      { numRuns: STATEFUL_RUNS },
    );
  });

  it('initiator.receive: mutated msg2 (never succeeds)', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const i = newInitiator();
        i.start();
        const msg2 = mutate(genuine.msg2, m);
        if (Buffer.from(msg2).equals(Buffer.from(genuine.msg2))) return true;
        assert.throws(
          () => i.receive(msg2),
          (e) => isClawError(e),
        );
        return true;
      }),
      { numRuns: STATEFUL_RUNS },
    );
  });
});
