/** The agent's `commands` in a message become code runs in the window; the backticks go. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeSpans } from '../../../src-renderer/lib/code-spans.js';

test('a command between backticks is a code run; the words around it stay words', () => {
  assert.deepEqual(codeSpans('open the link that `clawbridge ui` prints'), [
    { text: 'open the link that ', code: false },
    { text: 'clawbridge ui', code: true },
    { text: ' prints', code: false },
  ]);
  assert.deepEqual(codeSpans('`clawbridge peers` lists them; `clawbridge pending` too'), [
    { text: 'clawbridge peers', code: true },
    { text: ' lists them; ', code: false },
    { text: 'clawbridge pending', code: true },
    { text: ' too', code: false },
  ]);
});

test('no backticks: one run; an unpaired backtick stays as it is', () => {
  assert.deepEqual(codeSpans('agent unreachable'), [{ text: 'agent unreachable', code: false }]);
  assert.deepEqual(codeSpans(''), []);
  assert.deepEqual(codeSpans('run `a` and `b'), [
    { text: 'run ', code: false },
    { text: 'a', code: true },
    { text: ' and `b', code: false },
  ]);
});
