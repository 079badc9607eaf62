/**
 * The permission words the window explains are the agent's: every word the agent's domains bring (test/helpers/agent-contract.ts) gets a
 * box (a label) and a refusal noun, in the agent's order, and the boxes a new peer starts with are the
 * agent's default. A word the agent learns and no feature explains fails here, not silently in a list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ALLOW, PERMISSIONS } from '../../helpers/agent-contract.js';
import { defaultAllow, permissionWords } from '../../../src-renderer/features/permission-words.js';
import { declaredPermissionWords } from './declared-permission-words.js';

test("the features explain every one of the agent's permission words, in its order, with its default", async () => {
  const words = await declaredPermissionWords();
  assert.deepEqual(
    words.map((w) => w.word),
    [...PERMISSIONS],
  );
  assert.deepEqual(defaultAllow(words), DEFAULT_ALLOW);
  for (const w of words) {
    assert.ok(w.label.length > 0 && w.refused.length > 0, `${w.word} has a label and a refusal noun`);
  }
});

test('words gather from every feature in their order, the first declaration of a word winning', () => {
  const word = (w: string, order: number, label = w) => ({
    word: w,
    label,
    refused: w,
    byDefault: false,
    order,
  });
  const words = permissionWords([
    { permissions: [word('b', 2)] },
    {},
    { permissions: [word('a', 1), word('b', 9, 'again')] },
  ]);
  assert.deepEqual(
    words.map((w) => [w.word, w.label]),
    [
      ['a', 'a'],
      ['b', 'b'],
    ],
  );
});
