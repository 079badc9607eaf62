/** `clawbridge --home DIR COMMAND …` reads as `clawbridge COMMAND --home DIR …`; nothing else moves. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { homeAfterCommand } from '../../../src-main/cli/home-first.js';

test('a home given before the command goes after it, in either spelling', () => {
  assert.deepEqual(homeAfterCommand(['--home', '/h', 'status', '--json']), [
    'status',
    '--home',
    '/h',
    '--json',
  ]);
  assert.deepEqual(homeAfterCommand(['--home=/h', 'forward', 'list']), ['forward', '--home=/h', 'list']);
  // Nothing to move: as given (commander then says what is missing).
  assert.deepEqual(homeAfterCommand(['status', '--home', '/h']), ['status', '--home', '/h']);
  assert.deepEqual(homeAfterCommand(['--home', '/h']), ['--home', '/h']);
  assert.deepEqual(homeAfterCommand([]), []);
});

test('property: the words are the same, only the home pair moves', () => {
  fc.assert(
    fc.property(fc.array(fc.string(), { maxLength: 6 }), (args) => {
      const out = homeAfterCommand(args);
      assert.deepEqual([...out].sort(), [...args].sort());
      if (args[0] !== '--home' && !args[0]?.startsWith('--home=')) assert.deepEqual(out, args);
    }),
  );
});
