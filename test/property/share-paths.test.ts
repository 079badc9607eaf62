/**
 * A share's request paths and ranges under fast-check (ADR 0052): no generated request target — dots,
 * slashes, backslashes, NUL and their percent-encodings in any mix — resolves to names that leave the
 * shared folder, and, on a real folder with symlinks leading out of it, none opens a file outside it
 * (or a dot-file); and the Range parser never answers bytes outside the file.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { resolveSharePath } from '../../src-main/share/share-path.js';
import { openInShare, realRoot } from '../../src-main/share/share-open.js';
import { parseRange } from '../../src-main/share/share-range.js';

const OUTSIDE = 'OUTSIDE';

/** Pieces a hostile path is made of, encoded and not. */
const piece = fc.constantFrom(
  '/',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '\\',
  '%00',
  '%',
  '%%',
  '%c0%ae',
  'a',
  'b',
  'sub',
  'secret.txt',
  'link-out',
  'dir-out',
  'link-in',
  '.hidden',
  'f.txt',
  '?',
  '#',
  '~',
);
const target = fc.array(piece, { minLength: 0, maxLength: 14 }).map((parts) => `/${parts.join('')}`);

test('no request target resolves to names outside the folder', () => {
  const root = resolve('/srv/share');
  fc.assert(
    fc.property(target, fc.boolean(), (t, dotfiles) => {
      const r = resolveSharePath(t, { dotfiles, windows: false });
      if (!r.ok) return;
      const full = resolve(root, ...r.segments);
      assert.ok(full === root || full.startsWith(root + sep), `${t} → ${full}`);
      for (const s of r.segments) {
        assert.ok(s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\\') && !s.includes('\0'), t);
        if (!dotfiles) assert.ok(!s.startsWith('.'), t);
      }
    }),
    { numRuns: 20_000 },
  );
});

const base = mkdtempSync(join(tmpdir(), 'share-prop-'));
after(() => rmSync(base, { recursive: true, force: true }));

test('no request target opens a file outside the folder, through symlinks or not', async () => {
  const dir = join(base, 'shared');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'secret.txt'), OUTSIDE);
  writeFileSync(join(base, 'outside', 'secret.txt'), OUTSIDE);
  writeFileSync(join(dir, '.hidden'), OUTSIDE);
  writeFileSync(join(dir, 'f.txt'), 'inside');
  writeFileSync(join(dir, 'sub', 'f.txt'), 'inside');
  symlinkSync(join(base, 'secret.txt'), join(dir, 'link-out'));
  symlinkSync(join(base, 'outside'), join(dir, 'dir-out'));
  symlinkSync(join(base, 'outside'), join(dir, 'sub', 'dir-out'));
  symlinkSync('..', join(dir, 'sub', 'up'));
  symlinkSync('../..', join(dir, 'sub', 'upup'));
  symlinkSync('.hidden', join(dir, 'link-in'));
  const root = (await realRoot(dir))!;
  const hostile = fc
    .array(fc.oneof(piece, fc.constantFrom('up', 'upup', 'sub/')), { minLength: 0, maxLength: 10 })
    .map((parts) => `/${parts.join('')}`);
  await fc.assert(
    fc.asyncProperty(hostile, async (t) => {
      const r = resolveSharePath(t, { dotfiles: false, windows: false });
      if (!r.ok) return;
      const opened = await openInShare(root, r.segments, false);
      if (opened.kind !== 'file') return;
      const body = readFileSync(`/proc/self/fd/${opened.handle.fd}`, 'utf8');
      await opened.handle.close();
      assert.equal(body, 'inside', `${t} opened a file outside the share (or a dot-file)`);
    }),
    { numRuns: 3_000 },
  );
});

test('the range parser never answers bytes outside the file', () => {
  const num = fc.oneof(fc.nat(2_000), fc.constantFrom('', '0', '999999999999999999999', '-1', ' 5'));
  const header = fc.oneof(
    fc.tuple(num, num).map(([a, b]) => `bytes=${a}-${b}`),
    fc.tuple(num, num, num, num).map(([a, b, c, d]) => `bytes=${a}-${b},${c}-${d}`),
    fc.string({ maxLength: 30 }),
    fc.string({ maxLength: 12 }).map((s) => `bytes=${s}`),
  );
  fc.assert(
    fc.property(header, fc.nat(3_000), (h, size) => {
      const r = parseRange(h, size);
      if (r.kind !== 'part') return;
      assert.ok(Number.isInteger(r.start) && Number.isInteger(r.end), h);
      assert.ok(r.start >= 0 && r.start <= r.end && r.end < size, `${h} of ${size}: ${r.start}-${r.end}`);
    }),
    { numRuns: 20_000 },
  );
  // A satisfiable single range is exactly what was asked, clipped to the end.
  fc.assert(
    fc.property(fc.nat(5_000), fc.nat(5_000), fc.integer({ min: 1, max: 5_000 }), (a, b, size) => {
      const [first, last] = a <= b ? [a, b] : [b, a];
      const r = parseRange(`bytes=${first}-${last}`, size);
      if (first >= size) assert.equal(r.kind, 'unsatisfiable');
      else assert.deepEqual(r, { kind: 'part', start: first, end: Math.min(last, size - 1) });
    }),
  );
});
