/**
 * Relay frame decoder under fast-check: any frame round-trips; random bytes and mutated valid frames
 * never throw anything but a RelayFrameError (a ClawError with a relay close code) and never hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClawError } from '../../src-main/core/errors.js';
import { relayCloseCodeName } from '../../src-main/protocol/relay-close-codes.js';
import {
  decodeRelayFrame,
  encodeRelayFrame,
  MAX_CERT_BYTES,
  RELAY_PROTOCOL_VERSION,
  RelayFrameError,
  RelayFrameType,
  type RelayFrame,
} from '../../src-main/protocol/relay-frames.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

/** Decoders get at least this many runs (preamble rule). */
const RUNS = fuzzRuns();
/** Largest frame the property tests feed the decoder, in bytes. */
const MAX_FUZZ_BYTES = 2048;

const nodeId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const u32 = fc.nat({ max: 0xffff_ffff });
/** Strings whose UTF-8 fits in `maxBytes`. */
const text = (maxBytes: number) =>
  fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= maxBytes);

const frame: fc.Arbitrary<RelayFrame> = fc.oneof(
  fc.record({
    type: fc.constant('challenge' as const),
    nonce: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    maxFrameBytes: u32,
    relayInfo: text(255),
  }),
  fc.record(
    {
      type: fc.constant('hello' as const),
      certDer: fc.uint8Array({ minLength: 1, maxLength: MAX_CERT_BYTES }),
      signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      token: text(255),
      wantsObserved: fc.constant(true as const),
    },
    { requiredKeys: ['type', 'certDer', 'signature', 'token'] },
  ),
  fc.record(
    {
      type: fc.constant('auth-ok' as const),
      nodeId,
      circuitsPerNode: u32,
      idleTimeoutMs: u32,
      // A tuple mapped to a plain object: fc.record's objects have a null prototype.
      observed: fc
        .tuple(
          fc
            .oneof(
              fc.ipV4(),
              fc.ipV6().map((a) => a.toLowerCase()),
            )
            .filter((a) => a.length <= 45),
          fc.nat({ max: 0xffff }),
        )
        .map(([address, port]) => ({ address, port })),
    },
    { requiredKeys: ['type', 'nodeId', 'circuitsPerNode', 'idleTimeoutMs'] },
  ),
  fc.record({ type: fc.constant('open' as const), circuitId: u32, target: nodeId }),
  fc.record({ type: fc.constant('open-ok' as const), circuitId: u32 }),
  fc.record({ type: fc.constant('incoming' as const), circuitId: u32, source: nodeId }),
  fc.record({ type: fc.constant('listen' as const), alias: nodeId, listen: fc.boolean() }),
  fc.record({
    type: fc.constant('data' as const),
    circuitId: u32,
    payload: fc.uint8Array({ maxLength: 512 }),
  }),
  fc.record({
    type: fc.constant('close' as const),
    circuitId: u32,
    code: fc.nat({ max: 0xffff }),
    reason: text(123),
  }),
);

function plain(f: RelayFrame): Record<string, unknown> {
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]));
}

/** Decodes and checks the only allowed failure: a RelayFrameError whose close code is a known relay code. */
function decodeOrRelayError(bytes: Uint8Array): RelayFrame | undefined {
  try {
    return decodeRelayFrame(bytes, MAX_FUZZ_BYTES);
  } catch (err) {
    assert.ok(err instanceof RelayFrameError && err instanceof ClawError, `threw ${String(err)}`);
    assert.ok(relayCloseCodeName(err.closeCode), `unknown close code ${err.closeCode}`);
    assert.ok(
      err.message.length > 0 && !err.message.includes('\n'),
      "err.message.length > 0 && !err.message.includes('\\n')",
    );
    return undefined;
  }
}

test('property: every frame round-trips through encode/decode', () => {
  fc.assert(
    fc.property(frame, (f) => {
      assert.deepEqual(plain(decodeRelayFrame(encodeRelayFrame(f))), plain(f));
    }),
    { numRuns: RUNS },
  );
});

test('property: random bytes decode or fail with a RelayFrameError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: MAX_FUZZ_BYTES + 8 }), (bytes) => {
      decodeOrRelayError(bytes);
    }),
    { numRuns: RUNS },
  );
});

test('property: random bodies behind a valid header of every type fail cleanly', () => {
  const types = Object.values(RelayFrameType);
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 300 }), (type, body) => {
      const bytes = Buffer.concat([Uint8Array.of(RELAY_PROTOCOL_VERSION, type), body]);
      const decoded = decodeOrRelayError(bytes);
      // Whatever decodes re-encodes to the very same bytes: no two encodings of one frame.
      if (decoded) assert.deepEqual(Buffer.from(encodeRelayFrame(decoded)), bytes);
    }),
    { numRuns: RUNS },
  );
});

test('property: mutated valid frames (flipped, cut, extended) fail cleanly or decode canonically', () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('extend' as const),
      extra: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
  );
  fc.assert(
    fc.property(frame, fc.array(mutation, { minLength: 1, maxLength: 4 }), (f, mutations) => {
      let bytes = Buffer.from(encodeRelayFrame(f));
      for (const m of mutations) {
        if (m.kind === 'flip' && bytes.length > 0) bytes[m.at % bytes.length]! ^= m.xor;
        else if (m.kind === 'cut') bytes = bytes.subarray(0, m.at % (bytes.length + 1));
        else if (m.kind === 'extend') bytes = Buffer.concat([bytes, m.extra]);
      }
      const decoded = decodeOrRelayError(bytes);
      if (decoded) assert.deepEqual(Buffer.from(encodeRelayFrame(decoded)), bytes);
    }),
    { numRuns: RUNS },
  );
});
