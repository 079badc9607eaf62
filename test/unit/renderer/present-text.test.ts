/**
 * A joined tab's bar says who else is in the share (docs/window.md, ADR 0123): those here now, typing
 * said, and those invited but not here; this node left out; a device named apart when it differs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presentText } from '../../../src-renderer/features/terminals/present-text.js';

const me = { name: 'c', device: 'c', write: false, watching: true, you: true as const };

test('nobody else, then others here and away, this node left out', () => {
  assert.equal(presentText([me]), 'Nobody else is watching.', 'only this node');
  assert.equal(
    presentText([
      me,
      { name: 'd', device: 'd', write: true, watching: true },
      { name: 'dana', device: 'dans-laptop', write: false, watching: true },
      { name: 'e', device: 'e', write: false, watching: false },
    ]),
    'Also here: d (typing), dana on dans-laptop. Invited, not here now: e.',
    'typing said, a device named apart, the absent listed after',
  );
  assert.equal(
    presentText([me, { name: 'e', device: 'e', write: true, watching: false }]),
    'Nobody else is watching. Invited, not here now: e (may type).',
    'none here, one invited',
  );
});
