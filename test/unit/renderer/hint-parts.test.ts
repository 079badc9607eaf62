/**
 * A hint in the window: the agent's words, then the command as a code run (HintedText shows it as a
 * <code> element; never found inside the words), and where it is to run when that is the other node.
 * Hints are checked where they arrive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hintParts } from '../../../src-renderer/lib/hint-parts.js';
import { parseHint } from '../../../src-renderer/api/hint.js';
import { apiError } from '../../../src-renderer/api/transport.js';
import { hintSchema } from '../../../src-main/core/hint-schema.js';
import { commandIn, hereHint } from '../../../src-main/core/hint.js';

test('a hint is a code run after the words; a command for the other node says so', () => {
  assert.deepEqual(hintParts('list the peers', { argv: ['peers'], where: 'here' }), [
    { text: 'list the peers (' },
    { code: 'clawbridge peers' },
    { text: ')' },
  ]);
  assert.deepEqual(hintParts('ask its owner', { argv: ['pair', 'new'], where: 'peer' }), [
    { text: 'ask its owner (' },
    { code: 'clawbridge pair new' },
    { text: ' on the other node)' },
  ]);
});

test('no hint: the words alone, backticks and all (nothing is taken apart)', () => {
  assert.deepEqual(hintParts('run `rm -rf` now'), [{ text: 'run `rm -rf` now' }]);
});

test('an error body becomes an ApiError with its hint; a malformed hint is dropped', () => {
  const ok = apiError({ code: 'PEER_NOT_FOUND', message: 'm', hint: { argv: ['peers'], where: 'here' } });
  assert.deepEqual(ok.hint, { argv: ['peers'], where: 'here' });
  const bad = apiError({ code: 'X', message: 'm', hint: { argv: [], where: 'here' } });
  assert.equal(bad.hint, undefined);
});

test("the window's check and the agent's schema agree on what a hint is", () => {
  const samples: unknown[] = [
    { argv: ['peers'], where: 'here' },
    { argv: ['approve', '3', '--fingerprint', 'FINGERPRINT'], where: 'here', flag: '--fingerprint' },
    { argv: ['pair', 'new'], where: 'peer' },
    { argv: [], where: 'here' },
    { argv: [''], where: 'here' },
    { argv: ['x'.repeat(4096)], where: 'here' },
    { argv: ['x'.repeat(4097)], where: 'here' },
    { argv: Array.from({ length: 24 }, () => 'a'), where: 'here' },
    { argv: Array.from({ length: 25 }, () => 'a'), where: 'here' },
    { argv: ['peers'], where: 'there' },
    { argv: ['peers'], where: 'here', flag: 'fingerprint' },
    { argv: ['peers'], where: 'here', flag: `--${'a'.repeat(62)}` },
    { argv: ['peers'], where: 'here', flag: `--${'a'.repeat(63)}` },
    { argv: ['peers'], where: 'here', extra: 1 },
    { argv: 'peers', where: 'here' },
    null,
  ];
  for (const s of samples) {
    assert.equal(
      parseHint(s) !== undefined,
      hintSchema().safeParse(s).success,
      JSON.stringify(s)?.slice(0, 80),
    );
  }
});

test('a hint the sentence names (at) is shown as code in its place; a span outside the words goes after', () => {
  const { message, hint } = commandIn("no peer named 'x'; ", hereHint(['peers']), ' lists them');
  assert.deepEqual(hintParts(message, hint), [
    { text: "no peer named 'x'; " },
    { code: 'clawbridge peers' },
    { text: ' lists them' },
  ]);
  assert.deepEqual(hintParts('short', { argv: ['peers'], where: 'here', at: [2, 99] }), [
    { text: 'short (' },
    { code: 'clawbridge peers' },
    { text: ')' },
  ]);
  assert.deepEqual(parseHint({ ...hint }), hint, 'the window takes `at`');
  assert.equal(parseHint({ ...hint, at: [1] }), undefined, 'a malformed span drops the hint');
});
