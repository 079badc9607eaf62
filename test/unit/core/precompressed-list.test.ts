/**
 * The build's list of precompressed copies (core/precompressed-list.ts): what it writes reads back the
 * same, and a line that is not two SHA-256s and a path names no copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatPrecompressedList,
  parsePrecompressedList,
  type PrecompressedCopy,
} from '../../../src-main/core/precompressed-list.js';

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const path = fc.stringMatching(/^[A-Za-z0-9._ -]{0,20}[A-Za-z0-9._-]\.(br|gz)$/);

test('a list read back names every copy with its hashes', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(path, hex64, hex64)), (entries) => {
      const copies = new Map<string, PrecompressedCopy>(
        entries.map(([p, plain, copy]) => [p, { plain, copy }]),
      );
      assert.deepEqual(parsePrecompressedList(formatPrecompressedList(copies)), copies);
    }),
  );
});

test('lines that are not two SHA-256s and a path name nothing; the others still count', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  const list = parsePrecompressedList(
    [
      `${a} ${b} assets/x.js.br`,
      `${a} assets/y.js.br`,
      `${a.toUpperCase()} ${b} assets/z.js.br`,
      `${a} ${b}`,
      `${a.slice(1)} ${b} assets/w.js.gz`,
      '',
      `${b} ${a} assets/x.js.gz`,
    ].join('\n'),
  );
  assert.deepEqual([...list.keys()], ['assets/x.js.br', 'assets/x.js.gz']);
  assert.deepEqual(list.get('assets/x.js.gz'), { plain: b, copy: a });
});

test('any text parses without throwing', () => {
  fc.assert(fc.property(fc.string(), (text) => void parsePrecompressedList(text)));
});
