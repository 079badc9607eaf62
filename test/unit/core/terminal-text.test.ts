/** core/terminal-text.ts: what may reach a terminal, for human output and for JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  escapeControlChars,
  escapeForTerminal,
  hasControlChars,
  jsonForTerminal,
} from '../../../src-main/core/terminal-text.js';

/** What no output may carry: ESC and the other C0 but newline, DEL, C1, separators, bidi controls. */
// eslint-disable-next-line no-control-regex -- the controls are what this test looks for
const ACTS = /[\0-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

const HOSTILE =
  '127.0.0.1:1\x1b]0;TITLE\x1b\\\x1b[2K\x1b[31mFAKE-LINE\x1b[0m \x9b31m \x7f \u202eevil\u202c \u2066x\u2069 \u200f \r\nNEXT';

test('one field: every control is escaped, the newline too, and the rest is left alone', () => {
  const out = escapeControlChars(HOSTILE);
  assert.equal(ACTS.test(out) || out.includes('\n'), false, out);
  assert.match(out, /^127\.0\.0\.1:1\\u\{001b\}\]0;TITLE/);
  assert.match(out, /\\u\{009b\}31m \\u\{007f\} \\u\{202e\}evil/);
  assert.equal(escapeControlChars('plain – text ü 日本'), 'plain – text ü 日本');
  assert.equal(hasControlChars('a\u200fb'), true);
  assert.equal(hasControlChars('a b'), false);
});

test('a block keeps its line breaks and nothing else', () => {
  const out = escapeForTerminal(`line one\n${HOSTILE}\nline three`);
  assert.equal(ACTS.test(out), false, out);
  assert.deepEqual(
    out.split('\n').map((l) => l.slice(0, 8)),
    ['line one', '127.0.0.', 'NEXT', 'line thr'],
  );
  assert.match(out, /\\u\{000d\}/);
});

test('JSON: nothing a terminal acts on, and it parses to the very same value', () => {
  const value = { name: HOSTILE, list: ['\x85', '\u2028'], n: 1 };
  const text = jsonForTerminal(value, 2);
  assert.equal(ACTS.test(text.replace(/\n/g, ' ')), false, text);
  assert.deepEqual(JSON.parse(text), value);
  assert.match(text, /\\u009b31m \\u007f \\u202eevil/);
  assert.equal(jsonForTerminal(undefined), 'null');
});

test('any string, escaped either way, reaches no terminal control and JSON round-trips', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      assert.equal(ACTS.test(escapeControlChars(s)) || escapeControlChars(s).includes('\n'), false);
      assert.equal(ACTS.test(escapeForTerminal(s)), false);
      const json = jsonForTerminal({ s });
      assert.equal(ACTS.test(json), false);
      assert.deepEqual(JSON.parse(json), { s });
    }),
    { numRuns: 2000 },
  );
});
