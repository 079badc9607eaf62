import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeControlChars, isValidNodeName, nodeNameProblem } from '../../../src-main/core/names.js';
import { parseHello } from '../../../src-main/links/control-service.js';
import { paramsSchema } from '../../helpers/agent-contract.js';
import { table } from '../../../src-main/cli/table.js';

const hostile = [
  'c\x1b[2K\rapproved',
  'a\nb',
  'tab\there',
  'bell\x07',
  'del\x7f',
  'c1\x9b31m',
  'rtl\u202eevil',
  'ls\u2028x',
];

test('names with control characters, separators or bidi overrides are not node names', () => {
  for (const name of hostile) assert.equal(nodeNameProblem(name), 'contains control characters', name);
  assert.match(nodeNameProblem('')!, /must be 1 to 64 bytes/);
  assert.match(nodeNameProblem('é'.repeat(33))!, /got 66/);
  for (const name of ['laptop', 'Büro-PC', 'my server 2', '東京']) assert.ok(isValidNodeName(name), name);
});

test('a hello whose name carries control characters is refused at the boundary', () => {
  const hello = { v: 1, version: '0.1.0', addresses: [], homeRelay: null };
  assert.equal(parseHello({ ...hello, name: 'ok' }).name, 'ok');
  for (const name of hostile) {
    assert.throws(() => parseHello({ ...hello, name }), /malformed hello: .*control characters/, name);
  }
});

test('every API method that takes a node name refuses control characters', () => {
  const fp = 'a'.repeat(64);
  assert.equal(paramsSchema('peers.add').safeParse({ fingerprint: fp, name: 'x\x1b' }).success, false);
  assert.equal(paramsSchema('peers.add').safeParse({ fingerprint: fp, name: 'x' }).success, true);
});

test('escaping leaves ordinary text alone and shows every control character as an escape', () => {
  assert.equal(escapeControlChars('plain – text ü'), 'plain – text ü');
  assert.equal(escapeControlChars('a\x1b[31mb\n'), 'a\\u{001b}[31mb\\u{000a}');
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      assert.equal(/[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u.test(escapeControlChars(s)), false);
    }),
  );
});

test('CLI tables print names escaped (defence in depth behind the checks)', () => {
  const out = table(['NAME'], [['evil\x1b]0;title\x07']]);
  assert.equal(out.includes('\x1b'), false);
  assert.ok(
    out.includes('evil\\u{001b}]0;title\\u{0007}'),
    "out.includes('evil\\\\u{001b}]0;title\\\\u{0007}')",
  );
});
