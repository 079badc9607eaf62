/**
 * The CLI's bundle is ASCII (ADR 0068): V8 keeps each module's source in the heap for the life of the
 * process, as UTF-16 (twice the bytes) when one character is above U+00FF. asciiOnly's escapes mean the
 * same in every place JavaScript reads them.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { asciiOnly } from '../../../scripts/ascii-source.js';
import { CLI_OUT_DIR } from '../../../scripts/vite-cli.config.js';

test('asciiOnly leaves the meaning of strings, templates, regular expressions and names as it was', () => {
  const samples = [
    '"a — b → c ≤ d × e"',
    "'caf\u00e9 \u{1F600}'",
    '(() => { const n = 3; return `${n} → ${n * 2} —\\u2014 ✓`; })()',
    '/[—→]+/.exec("x—→y")[0]',
    '/\u{1F600}/u.test("\u{1F600}") && /^.$/u.test("\u{1F600}") && !/^.$/.test("\u{1F600}")',
    '(() => { const café = "ok"; /* a comment — with → arrows */ return café; })()',
    '"\\\\—"',
  ];
  for (const code of samples) {
    const escaped = asciiOnly(code);
    assert.match(escaped, /^[\t\n\v\f\r -~]*$/, escaped);
    assert.deepEqual(runInNewContext(escaped), runInNewContext(code), code);
  }
});

test('every chunk of the built CLI is ASCII', { skip: !existsSync(CLI_OUT_DIR) && 'not built' }, () => {
  const chunks = readdirSync(CLI_OUT_DIR).filter((f) => f.endsWith('.js'));
  assert.ok(chunks.length > 10, `${chunks.length} chunks`);
  for (const f of chunks) {
    const text = readFileSync(join(CLI_OUT_DIR, f), 'utf8');
    const at = text.search(/[^\t\n\v\f\r -~]/);
    assert.equal(at, -1, `${f}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
  }
});
