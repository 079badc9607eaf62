/**
 * Terminal frames (protocol/terminal-frames.ts, the one codec of the agent, the CLI and the window: ADR
 * 0015): round trips, split-anywhere decoding, and arbitrary bytes failing only with the protocol's own
 * errors — each property over at least 10,000 runs. Inputs are plain Uint8Arrays, as the window's page
 * has them (no Buffer there), and outputs are checked to be plain Uint8Arrays too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isClawError } from '../../src-main/core/errors.js';
import { encodeLengthPrefixed } from '../../src-main/protocol/length-prefixed.js';
import {
  decodeTerminalFrame,
  encodeDataFrames,
  encodeTerminalFrame,
  fitText,
  MAX_TERMINAL_DATA,
  MAX_TERMINAL_DIMENSION,
  MAX_TERMINAL_FRAME,
  MAX_TERMINAL_TEXT,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../src-main/protocol/terminal-frames.js';
import { terminalOpenArgs } from '../../src-main/protocol/terminal-open-args.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const RUNS = fuzzRuns();

const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 });
const text = fc.string({ unit: 'grapheme', maxLength: 200 });
const dimension = fc.integer({ min: 1, max: MAX_TERMINAL_DIMENSION });

const frameArb: fc.Arbitrary<TerminalFrame> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((data) => ({ type: 'data' as const, data })),
  fc.record({ type: fc.constant('resize' as const), cols: dimension, rows: dimension }),
  fc.record({
    type: fc.constant('exit' as const),
    status: fc.oneof(
      fc.record({ code: fc.integer({ min: 0, max: 0xffffffff }) }),
      fc.record({ signal: fc.constantFrom('SIGTERM', 'SIGKILL', 'SIGHUP', 'SIGINT', 'SIGUSR1', 'SIGRTMIN') }),
    ),
  }),
  fc.record({ type: fc.constant('ack' as const), offset: fc.maxSafeNat() }),
  fc.record({ type: fc.constant('session' as const), id: hex, offset: fc.maxSafeNat() }),
  fc.record({
    type: fc.constant('session' as const),
    id: hex,
    offset: fc.maxSafeNat(),
    input: fc.maxSafeNat(),
  }),
  fc.record({
    type: fc.constant('status' as const),
    state: fc.constantFrom('reconnecting' as const, 'resumed' as const),
    detail: text,
  }),
  fc.record({ type: fc.constant('error' as const), message: text }),
  fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((data) => ({ type: 'stderr' as const, data })),
  fc.constant({ type: 'eof' as const }),
  fc.constant({ type: 'direct-start' as const }),
  fc.constant({ type: 'direct-ready' as const }),
  fc.constant({ type: 'direct-left' as const }),
  fc.stringMatching(/^E[A-Z0-9]{1,15}$/).map((code) => ({ type: 'direct-failed' as const, code })),
  fc.record({
    type: fc.constant('direct-written' as const),
    offset: fc.maxSafeNat(),
    last: fc.integer({ min: 0, max: 255 }),
  }),
);

/** Frames compare by value (fast-check builds null-prototype records; DATA comes back as Buffer views). */
function plain(f: TerminalFrame): unknown {
  return f.type === 'data' || f.type === 'stderr'
    ? { type: f.type, data: Buffer.from(f.data).toString('hex') }
    : JSON.parse(JSON.stringify(f));
}

test('property: decode(encode(frame)) is the frame', () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const wire = encodeTerminalFrame(frame);
      assert.equal(Object.getPrototypeOf(wire), Uint8Array.prototype, 'a plain Uint8Array, not a Buffer');
      assert.equal(new DataView(wire.buffer, wire.byteOffset).getUint32(0), wire.length - 4);
      const got = new TerminalFrameDecoder().push(wire);
      assert.deepEqual(got.map(plain), [plain(frame)]);
    }),
    { numRuns: RUNS },
  );
});

test('property: a frame sequence split anywhere decodes to the same frames', () => {
  fc.assert(
    fc.property(
      fc.array(frameArb, { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (frames, cuts) => {
        // Copied into a plain Uint8Array: the page's decoder never sees a Buffer.
        const wire = new Uint8Array(Buffer.concat(frames.map(encodeTerminalFrame)));
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        const decoder = new TerminalFrameDecoder();
        const got: TerminalFrame[] = [];
        let last = 0;
        for (const p of [...points, wire.length]) {
          got.push(...decoder.push(wire.subarray(last, p)));
          last = p;
        }
        assert.deepEqual(got.map(plain), frames.map(plain));
        assert.equal(decoder.pendingBytes, 0);
      },
    ),
    { numRuns: RUNS },
  );
});

test('property: arbitrary bytes decode to frames or fail with BAD_FRAME / FRAME_TOO_LARGE only', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        // Well-framed garbage: right length headers around random type bytes and bodies.
        fc
          .array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.uint8Array({ maxLength: 50 })), { maxLength: 6 })
          .map((parts) => Buffer.concat(parts.map(([t, b]) => encodeLengthPrefixed(Uint8Array.of(t, ...b))))),
      ),
      (bytes) => {
        try {
          for (const f of new TerminalFrameDecoder().push(new Uint8Array(bytes))) encodeTerminalFrame(f);
        } catch (err) {
          assert.ok(isClawError(err, 'BAD_FRAME') || isClawError(err, 'FRAME_TOO_LARGE'), String(err));
        }
      },
    ),
    { numRuns: RUNS },
  );
});

test('property: a frame body that decodes re-encodes to the same bytes (one encoding per frame)', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 60 }),
        fc
          .tuple(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 60 }))
          .map(([t, b]) => Uint8Array.of(t, ...b)),
      ),
      (body) => {
        let frame: TerminalFrame;
        try {
          frame = decodeTerminalFrame(body);
        } catch (err) {
          assert.ok(isClawError(err, 'BAD_FRAME'), String(err));
          return;
        }
        assert.deepEqual(encodeTerminalFrame(frame).subarray(4), Uint8Array.from(body));
      },
    ),
    { numRuns: RUNS },
  );
});

test('limits at their edges', () => {
  const max = Buffer.alloc(MAX_TERMINAL_DATA, 7);
  assert.equal(encodeTerminalFrame({ type: 'data', data: max }).length, 4 + MAX_TERMINAL_FRAME);
  assert.throws(
    () => encodeTerminalFrame({ type: 'data', data: Buffer.alloc(MAX_TERMINAL_DATA + 1) }),
    /1\.\.65536 bytes/,
  );
  assert.throws(() => encodeTerminalFrame({ type: 'data', data: Buffer.alloc(0) }), /BAD_FRAME|1\.\.65536/);
  const tooBig = Buffer.alloc(4);
  tooBig.writeUInt32BE(MAX_TERMINAL_FRAME + 1);
  assert.throws(
    () => new TerminalFrameDecoder().push(tooBig),
    (e) => isClawError(e, 'FRAME_TOO_LARGE'),
  );
  assert.throws(() => encodeTerminalFrame({ type: 'resize', cols: 0, rows: 24 }), /cols must be 1\.\.4096/);
  assert.throws(() => encodeTerminalFrame({ type: 'resize', cols: 80, rows: MAX_TERMINAL_DIMENSION + 1 }));
  assert.throws(() => encodeTerminalFrame({ type: 'ack', offset: -1 }));
  assert.throws(() => encodeTerminalFrame({ type: 'ack', offset: 2 ** 53 }));
  assert.throws(() => encodeTerminalFrame({ type: 'session', id: 'ABC', offset: 0 }), /32 lowercase hex/);
  assert.throws(() => encodeTerminalFrame({ type: 'exit', status: { signal: 'KILL' } }), /bad signal name/);
  assert.throws(() => encodeTerminalFrame({ type: 'error', message: 'x'.repeat(MAX_TERMINAL_TEXT + 1) }));
  assert.equal(
    encodeTerminalFrame({ type: 'error', message: 'x'.repeat(MAX_TERMINAL_TEXT) }).length,
    5 + MAX_TERMINAL_TEXT,
  );
  const u64 = Buffer.alloc(9);
  u64[0] = 4;
  u64.writeBigUInt64BE(2n ** 53n, 1);
  assert.throws(() => decodeTerminalFrame(u64), /offset 9007199254740992 exceeds/);
  assert.throws(() => decodeTerminalFrame(Buffer.of(7, 0xff)), /not valid UTF-8/);
});

test('fitText keeps a line within MAX_TERMINAL_TEXT bytes, on a character boundary', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 2000 }), (s) => {
      const out = fitText(s);
      assert.ok(Buffer.byteLength(out) <= MAX_TERMINAL_TEXT, 'Buffer.byteLength(out) <= MAX_TERMINAL_TEXT');
      if (Buffer.byteLength(s) <= MAX_TERMINAL_TEXT) assert.equal(out, s);
      else
        assert.ok(
          out.endsWith('…') && s.startsWith(out.slice(0, -1)),
          "out.endsWith('…') && s.startsWith(out.slice(0, -1))",
        );
    }),
    { numRuns: RUNS },
  );
});

test('encodeDataFrames splits at MAX_TERMINAL_DATA and emits nothing for nothing', () => {
  assert.deepEqual(encodeDataFrames(Buffer.alloc(0)), []);
  const frames = encodeDataFrames(Buffer.alloc(2 * MAX_TERMINAL_DATA + 1, 1));
  assert.deepEqual(
    frames.map((f) => f.length - 5),
    [MAX_TERMINAL_DATA, MAX_TERMINAL_DATA, 1],
  );
});

test('property: OPEN arguments accept new sessions and resumes, and nothing else', () => {
  assert.ok(
    terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24 }).success,
    'terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24 }).success',
  );
  assert.ok(
    terminalOpenArgs().safeParse({ v: 1, command: ['sh', '-c', 'x'], cols: 80, rows: 24 }).success,
    "terminalOpenArgs().safeParse({ v: 1, command: ['sh', '-c', 'x'], cols: 80, rows: 24 }).success",
  );
  assert.ok(
    terminalOpenArgs().safeParse({ v: 1, resume: 'a'.repeat(32), offset: 5, cols: 1, rows: 1 }).success,
    "terminalOpenArgs().safeParse({ v: 1, resume: 'a'.repeat(32), offset: 5, cols: 1, rows: 1 }).success",
  );
  assert.ok(
    !terminalOpenArgs().safeParse({ v: 2, cols: 80, rows: 24 }).success,
    '!terminalOpenArgs().safeParse({ v: 2, cols: 80, rows: 24 }).success',
  );
  assert.ok(
    !terminalOpenArgs().safeParse({ v: 1, command: [], cols: 80, rows: 24 }).success,
    '!terminalOpenArgs().safeParse({ v: 1, command: [], cols: 80, rows: 24 }).success',
  );
  assert.ok(
    !terminalOpenArgs().safeParse({ v: 1, resume: 'a'.repeat(32), cols: 80, rows: 24 }).success,
    "!terminalOpenArgs().safeParse({ v: 1, resume: 'a'.repeat(32), cols: 80, rows: 24 }).success",
  );
  // A new session may name the viewer's terminal type: a terminfo name, nothing a path or shell reads.
  for (const term of ['xterm-256color', 'vt100', 'screen.xterm-256color', 'rxvt-unicode+x', 'a'.repeat(64)])
    assert.ok(terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, term }).success, term);
  for (const term of ['', '../vt100', 'x/y', 'xterm;reboot', 'xterm 256', '-x', 'a'.repeat(65), 7])
    assert.ok(!terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, term }).success, String(term));
  // A viewer whose ends are pipes asks for PTY modes: booleans, nothing else.
  assert.ok(
    terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, echo: false, opost: false }).success,
    'terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, echo: false, opost: false }).success',
  );
  assert.ok(
    !terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, echo: 'off' }).success,
    "!terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, echo: 'off' }).success",
  );
  assert.ok(
    !terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, opost: 0 }).success,
    '!terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, opost: 0 }).success',
  );
  const resume = { v: 1, resume: 'a'.repeat(32), offset: 5, cols: 1, rows: 1 };
  assert.ok(!terminalOpenArgs().safeParse({ ...resume, term: 'vt100' }).success, 'a resume keeps its type');
  // A resume may ask for the session's input count; a new session has none to ask for.
  assert.ok(
    terminalOpenArgs().safeParse({ ...resume, input: true }).success,
    'terminalOpenArgs().safeParse({ ...resume, input: true }).success',
  );
  assert.ok(
    !terminalOpenArgs().safeParse({ ...resume, input: false }).success,
    '!terminalOpenArgs().safeParse({ ...resume, input: false }).success',
  );
  assert.ok(
    !terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, input: true }).success,
    '!terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, input: true }).success',
  );
  fc.assert(
    fc.property(fc.string(), (term) => {
      const r = terminalOpenArgs().safeParse({ v: 1, cols: 80, rows: 24, term });
      assert.equal(r.success, /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(term));
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const r = terminalOpenArgs().safeParse(v);
      if (r.success) assert.ok(r.data.cols >= 1 && r.data.rows >= 1, 'r.data.cols >= 1 && r.data.rows >= 1');
    }),
    { numRuns: RUNS },
  );
});

test('the examples in docs/protocol.md, byte for byte', () => {
  const hexOf = (f: TerminalFrame) => Buffer.from(encodeTerminalFrame(f)).toString('hex');
  assert.equal(hexOf({ type: 'data', data: Buffer.from('hi') }), '00000003016869');
  assert.equal(hexOf({ type: 'resize', cols: 80, rows: 24 }), '000000050200500018');
  assert.equal(hexOf({ type: 'exit', status: { code: 7 } }), '00000006030000000007');
  assert.equal(hexOf({ type: 'exit', status: { signal: 'SIGKILL' } }), '0000000903015349474b494c4c');
  assert.equal(hexOf({ type: 'eof' }), '0000000108');
  assert.equal(hexOf({ type: 'stderr', data: Buffer.from('no') }), '00000003096e6f');
});

test('known answers: offsets up to 2^53 − 1 are exact, one more is refused with the number', () => {
  const ack = (hex: string) => decodeTerminalFrame(Uint8Array.from(Buffer.from(`04${hex}`, 'hex')));
  assert.deepEqual(ack('001fffffffffffff'), { type: 'ack', offset: Number.MAX_SAFE_INTEGER });
  assert.deepEqual(ack('0000000100000002'), { type: 'ack', offset: 2 ** 32 + 2 });
  assert.throws(() => ack('0020000000000000'), /offset 9007199254740992 exceeds 9007199254740991/);
  assert.deepEqual(
    Buffer.from(encodeTerminalFrame({ type: 'ack', offset: 2 ** 40 + 5 })).toString('hex'),
    '00000009' + '04' + '0000010000000005',
  );
});

test('known answers: SESSION carries the input count only when it has one', () => {
  const id = 'ab'.repeat(16);
  const hex = (f: TerminalFrame) => Buffer.from(encodeTerminalFrame(f)).toString('hex');
  const idHex = Buffer.from(id).toString('hex');
  assert.equal(hex({ type: 'session', id, offset: 7 }), '00000029' + '05' + '0000000000000007' + idHex);
  assert.equal(
    hex({ type: 'session', id, offset: 7, input: 2 ** 32 + 1 }),
    '00000031' + '05' + '0000000000000007' + idHex + '0000000100000001',
  );
  const session = (bodyHex: string) =>
    decodeTerminalFrame(Uint8Array.from(Buffer.from(`05${bodyHex}`, 'hex')));
  assert.deepEqual(session('0000000000000007' + idHex + '0000000000000003'), {
    type: 'session',
    id,
    offset: 7,
    input: 3,
  });
  assert.throws(
    () => session('0000000000000007' + idHex + '00000003'),
    /SESSION body must be 40 or 48 bytes, got 44/,
  );
  assert.throws(
    () => session('0000000000000007' + idHex + '0020000000000000'),
    /offset 9007199254740992 exceeds/,
  );
});

test('known answers: DIRECT_FAILED carries an errno code and nothing else', () => {
  assert.equal(
    Buffer.from(encodeTerminalFrame({ type: 'direct-failed', code: 'EPIPE' })).toString('hex'),
    '00000006' + '0e' + Buffer.from('EPIPE').toString('hex'),
  );
  const failed = (text: string) =>
    decodeTerminalFrame(Uint8Array.from(Buffer.concat([Buffer.of(0x0e), Buffer.from(text)])));
  assert.deepEqual(failed('ENOSPC'), { type: 'direct-failed', code: 'ENOSPC' });
  assert.throws(() => failed(''), /bad errno code in DIRECT_FAILED/);
  assert.throws(() => failed('epipe'), /bad errno code in DIRECT_FAILED/);
  assert.throws(() => failed(`E${'A'.repeat(16)}`), /bad errno code in DIRECT_FAILED/);
  assert.throws(() => encodeTerminalFrame({ type: 'direct-failed', code: 'pipe broke' }), /bad errno code/);
});
