/**
 * The `files` stream's frames (protocol/file-frames.ts) and the receiving side's name check
 * (files/file-names.ts) under fast-check: every frame round-trips, however it is chunked; arbitrary
 * bytes from a peer only ever fail as BAD_FRAME; and whatever names a peer offers, every name the
 * checker accepts lands inside the transfer's folder — never outside, never twice on one disk, never
 * under a file or a link.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve, sep } from 'node:path';
import fc from 'fast-check';
import { isClawError } from '../../src-main/core/errors.js';
import {
  decodeFileFrame,
  encodeFileFrame,
  FILE_REFUSAL_CODES,
  MAX_DATA_BYTES,
  offerFrames,
  type FileFrame,
  type OfferEntry,
} from '../../src-main/protocol/file-frames.js';
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../../src-main/protocol/length-prefixed.js';
import { checkOfferNames, numberedName } from '../../src-main/files/file-names.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const plainText = fc
  .string({ maxLength: 40 })
  .filter((s) => !/[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u202a-\u202e\u2066-\u2069]/u.test(s));
const entry: fc.Arbitrary<OfferEntry> = fc.oneof(
  fc.record({
    path: fc.string({ minLength: 1, maxLength: 60 }),
    kind: fc.constant('file' as const),
    size: fc.nat({ max: 2 ** 40 }),
    exec: fc.boolean(),
    sha256: hex(64),
  }),
  // Hashed while sent (v2): no sha256 in the offer, a DIGEST after its bytes.
  fc.record({
    path: fc.string({ minLength: 1, maxLength: 60 }),
    kind: fc.constant('file' as const),
    size: fc.nat({ max: 2 ** 40 }),
    exec: fc.boolean(),
  }),
  fc.record({ path: fc.string({ minLength: 1, maxLength: 60 }), kind: fc.constant('dir' as const) }),
  fc.record({
    path: fc.string({ minLength: 1, maxLength: 60 }),
    kind: fc.constant('link' as const),
    target: fc.string({ minLength: 1, maxLength: 60 }),
  }),
);
const frame: fc.Arbitrary<FileFrame> = fc.oneof(
  fc.record({
    type: fc.constant('offer' as const),
    id: hex(32),
    entries: fc.array(entry, { maxLength: 8 }),
    more: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('want' as const),
    have: fc.array(fc.tuple(fc.nat({ max: 199_999 }), fc.nat({ max: 2 ** 45 })), { maxLength: 8 }),
  }),
  fc.record({
    type: fc.constant('refuse' as const),
    code: fc.constantFrom(...FILE_REFUSAL_CODES),
    reason: plainText,
  }),
  fc.record({
    type: fc.constant('data' as const),
    index: fc.nat({ max: 199_999 }),
    offset: fc.nat({ max: 2 ** 48 }),
    bytes: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    type: fc.constant('verified' as const),
    indices: fc.array(fc.nat({ max: 199_999 }), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ type: fc.constant('failed' as const), index: fc.nat({ max: 199_999 }), reason: plainText }),
  fc.record({
    type: fc.constant('complete' as const),
    treeHash: hex(64),
    received: fc.stringMatching(/^[0-9a-z-]{1,20}$/),
  }),
  fc.record({ type: fc.constant('cancel' as const), reason: plainText }),
  fc.record({ type: fc.constant('digest' as const), index: fc.nat({ max: 199_999 }), sha256: hex(64) }),
);

/** Plain JSON (fast-check's records have no prototype; DATA bytes as numbers). */
const normal = (f: FileFrame): unknown =>
  JSON.parse(JSON.stringify(f.type === 'data' ? { ...f, bytes: [...f.bytes] } : f));

test('every frame decodes to itself, however the stream is chunked', () => {
  fc.assert(
    fc.property(
      fc.array(frame, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeLengthPrefixed(encodeFileFrame(f))));
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const d = new LengthPrefixedDecoder(4 * 1024 * 1024);
        const out: FileFrame[] = [];
        let from = 0;
        for (const to of [...at, bytes.length]) {
          for (const p of d.push(bytes.subarray(from, to))) out.push(decodeFileFrame(p));
          from = to;
        }
        assert.deepEqual(out.map(normal), frames.map(normal));
      },
    ),
    { numRuns: Math.min(fuzzRuns(), 2000) },
  );
});

test('arbitrary payloads from a peer fail only as BAD_FRAME', () => {
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc
      .tuple(fc.integer({ min: 0, max: 10 }), fc.string({ maxLength: 80 }))
      .map(([t, s]) => Buffer.concat([Buffer.from([1, t]), Buffer.from(s)])),
    fc
      .tuple(fc.integer({ min: 0, max: 10 }), fc.json())
      .map(([t, s]) => Buffer.concat([Buffer.from([1, t]), Buffer.from(s)])),
  );
  fc.assert(
    fc.property(payload, (p) => {
      try {
        const f = decodeFileFrame(Buffer.from(p));
        if (f.type === 'data')
          assert.ok(f.bytes.length <= MAX_DATA_BYTES, 'f.bytes.length <= MAX_DATA_BYTES');
      } catch (err) {
        assert.ok(isClawError(err, 'BAD_FRAME'), String(err));
      }
    }),
    { numRuns: fuzzRuns() },
  );
});

test('a long offer splits into parts that decode back to the same entries', () => {
  const entries: OfferEntry[] = Array.from({ length: 12_000 }, (_, i) => ({
    path: `folder/file number ${i} with a long name.txt`,
    kind: 'file',
    size: i,
    exec: false,
    sha256: '0'.repeat(64),
  }));
  const parts = offerFrames('a'.repeat(32), entries);
  assert.ok(parts.length > 1, 'parts.length > 1');
  assert.deepEqual(
    parts.map((p) => p.more),
    [...parts.slice(1).map(() => true), false],
  );
  const back = parts.flatMap((p) => (decodeFileFrame(encodeFileFrame(p)) as typeof p).entries);
  assert.deepEqual(back, entries);
});

// Names: components a hostile sender would pick, mixed with ordinary ones.
const component = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '',
    'a',
    'A',
    'a.txt',
    'A.TXT',
    'CON',
    'nul.txt',
    'com1',
    'C:',
    'c:x',
    'x\\y',
    '\u0000',
    '\n',
    'é',
    'e\u0301',
    '-rf',
    ' ',
    'x'.repeat(256),
    'ü'.repeat(128),
  ),
  fc.string({ minLength: 1, maxLength: 8 }),
);
const offeredPath = fc.oneof(
  fc.array(component, { minLength: 1, maxLength: 4 }).map((c) => c.join('/')),
  fc.array(component, { minLength: 1, maxLength: 3 }).map((c) => `/${c.join('/')}`),
);
const offered: fc.Arbitrary<OfferEntry[]> = fc.array(
  fc.oneof(
    offeredPath.map((path): OfferEntry => ({
      path,
      kind: 'file',
      size: 1,
      exec: false,
      sha256: '0'.repeat(64),
    })),
    offeredPath.map((path): OfferEntry => ({ path, kind: 'dir' })),
    fc.tuple(offeredPath, offeredPath).map(([path, target]): OfferEntry => ({ path, kind: 'link', target })),
  ),
  { maxLength: 12 },
);

/**
 * Whether a link at `path` with `target` reaches outside the transfer, component by component (a
 * name such as `.. ` is a name on POSIX, not `..`). On Windows a name ending in a dot or a space is
 * taken to climb, as Windows may read it.
 */
function escapes(path: string, target: string, windows: boolean): boolean {
  if (target.startsWith('/')) return true;
  const at = path
    .split('/')
    .filter((c) => c !== '' && c !== '.')
    .slice(0, -1);
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..' || (windows && /[. ]$/.test(c))) {
      if (at.length === 0) return true;
      at.pop();
    } else at.push(c);
  }
  return false;
}

test('every name the checker accepts lands inside the inbox folder, once, and never under a file or a link', () => {
  const root = resolve('/inbox/transfer/tree');
  fc.assert(
    fc.property(offered, fc.boolean(), fc.boolean(), (entries, caseInsensitive, windows) => {
      const r = checkOfferNames(entries, { caseInsensitive, windows });
      if (!r.ok) {
        assert.ok(r.reason.length > 0, 'r.reason.length > 0');
        return;
      }
      assert.equal(r.local.length, entries.length);
      const keys = new Set<string>();
      for (const [i, bytes] of r.local.entries()) {
        const local = bytes.toString();
        const parts = local.split('/');
        for (const c of parts) {
          assert.ok(c !== '' && c !== '.' && c !== '..', `component ${JSON.stringify(c)} in ${local}`);
          assert.ok(!c.includes('\0'), 'no NUL');
          // On Windows what Windows cannot hold was renamed; elsewhere names are kept as they are.
          if (windows)
            assert.ok(
              !c.includes('\\') && !/[\p{Cc}]/u.test(c),
              "!c.includes('\\\\') && !/[\\p{Cc}]/u.test(c)",
            );
        }
        const abs = resolve(root, ...parts);
        assert.ok(abs.startsWith(root + sep), `${local} resolves to ${abs}`);
        const key = caseInsensitive ? local.normalize('NFC').toLowerCase() : local;
        assert.ok(!keys.has(key), `${local} twice`);
        keys.add(key);
        const e = entries[i]!;
        if (e.kind === 'link') {
          // A link's target, from where it is, stays inside the transfer.
          assert.ok(!escapes(e.path, e.target, windows), `${e.path} → ${e.target}`);
        }
      }
      // Nothing lies under a file or a link.
      for (const [i, e] of entries.entries()) {
        if (e.kind === 'dir') continue;
        for (const other of r.local.map(String))
          assert.ok(!other.startsWith(`${String(r.local[i])}/`), `${other} under ${String(r.local[i])}`);
      }
    }),
    { numRuns: fuzzRuns() },
  );
});

test('names: the refusals and renames a person meets', () => {
  const file = (path: string): OfferEntry => ({
    path,
    kind: 'file',
    size: 1,
    exec: false,
    sha256: '0'.repeat(64),
  });
  const refused = (entries: OfferEntry[]) => {
    const r = checkOfferNames(entries, { caseInsensitive: false });
    assert.equal(r.ok, false);
    return r.ok ? '' : r.reason;
  };
  assert.match(refused([file('../etc/passwd')]), /'\.\.' component/);
  assert.match(refused([file('/etc/passwd')]), /absolute path/);
  assert.match(refused([file('a\u0000b')]), /a NUL/);
  assert.match(refused([file('a'), file('a')]), /offered twice/);
  assert.match(
    refused([{ path: 'l', kind: 'link', target: 'x' }, file('l/x')]),
    /lies under "l", which is a link/,
  );
  assert.match(refused([{ path: 'l', kind: 'link', target: '/tmp' }]), /absolute path/);
  assert.match(refused([{ path: 'd/l', kind: 'link', target: '../../x' }]), /points outside/);
  // `.. ` is a name on Linux and macOS; on Windows it may climb like `..`, so a target with one is refused.
  const dotSpace: OfferEntry[] = [{ path: 'd/l', kind: 'link', target: '.. /.. /x' }];
  assert.equal(checkOfferNames(dotSpace, { caseInsensitive: false }).ok, true, 'a name on POSIX');
  const onWindows = checkOfferNames(dotSpace, { caseInsensitive: true, windows: true });
  assert.match(onWindows.ok ? '' : onWindows.reason, /Windows would read otherwise/);
  // Kept as they are on Linux and macOS: names those disks hold (one too long is skipped when written).
  const kept = ['C:', 'a\\b', 'new\nline', 'tab\tname', 'CON', 'colon:star*q?.txt', 'x'.repeat(256)];
  const posix = checkOfferNames(kept.map(file), { caseInsensitive: false });
  assert.ok(posix.ok, 'posix.ok');
  assert.deepEqual(posix.local.map(String), kept);
  assert.deepEqual(posix.renamed, []);
  // Windows renames what it cannot hold, and lists it.
  const ok = checkOfferNames(
    [
      file('d/CON'),
      file('d/nul.txt'),
      file('d/a.txt'),
      file('d/A.txt'),
      file('-rf'),
      file('..a.b'),
      file('a\\b'),
      file('new\nline'),
    ],
    { caseInsensitive: true, windows: true },
  );
  assert.ok(ok.ok, 'ok.ok');
  assert.deepEqual(ok.local.map(String), [
    'd/CON_',
    'd/nul_.txt',
    'd/a.txt',
    'd/A (2).txt',
    '-rf',
    '..a.b',
    'a_b',
    'new_line',
  ]);
  assert.equal(ok.renamed.length, 5);
  assert.equal(numberedName('report.pdf', 1), 'report (1).pdf');
  assert.equal(numberedName('.bashrc', 2), '.bashrc (2)');
});
