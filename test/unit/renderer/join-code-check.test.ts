/**
 * The window's check of a pairing code before Join sends it (lib/format.ts codeProblem): "hello" and
 * the like are refused beside the field with why, and what it lets through is what the agent's own
 * parser (protocol/pair-code.ts parsePairCode) takes — held equal on generated codes, near-codes and
 * junk, so the copy cannot drift.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PAIR_CODE_ALPHABET, parsePairCode } from '../../../src-main/protocol/pair-code.js';
import { codeProblem } from '../../../src-renderer/lib/format.js';

test('not a code: said why, in words a person can act on', () => {
  assert.equal(codeProblem('hello'), 'a pairing code is 12 characters, like K7QX-M2RT-9WZA: this has 5');
  assert.equal(
    codeProblem('K7QX-M2RT-9WZU'),
    '“U” is not in a pairing code: codes are digits and the letters A–Z except U, like K7QX-M2RT-9WZA',
  );
  assert.match(codeProblem('K7QX-M2RT-9WZ\u00e9') ?? '', /^U\+E9 is not in a pairing code/);
});

test('a code as typed, read aloud or pasted goes through, and so does an invite link', () => {
  for (const ok of [
    'K7QX-M2RT-9WZA',
    ' k7qx m2rt 9wza ',
    'K7QXM2RT9WZA',
    'k7qx–m2rt–9wza',
    'I7QX-M2RT-9WZO',
    'clawbridge://join?invite=K7QX-M2RT-9WZA&relay=ws%3A%2F%2Fr',
    'https://relay.example/#join?invite=K7QX-M2RT-9WZA',
  ])
    assert.equal(codeProblem(ok), null, ok);
});

test('a bare code passes the check exactly when the agent parses it', () => {
  const codeChar = fc.constantFrom(...PAIR_CODE_ALPHABET, ...'iloILO-  ');
  const nearCode = fc.array(codeChar, { minLength: 8, maxLength: 16 }).map((cs) => cs.join(''));
  const junk = fc.string({ maxLength: 20, unit: 'grapheme' });
  fc.assert(
    fc.property(fc.oneof(nearCode, junk), (text) => {
      if (/^\s*clawbridge:|[?&]invite=/i.test(text)) return;
      let parses = true;
      try {
        parsePairCode(text.trim());
      } catch {
        parses = false;
      }
      assert.equal(codeProblem(text) === null, parses, JSON.stringify(text));
    }),
    { numRuns: 2000 },
  );
});
