/** Toasts: a screen reader hears the newest one alone, never the older ones again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Toasts } from '../../../src-renderer/lib/toasts.js';

test('the announcement is the newest toast alone, and nothing once it is dismissed', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const toasts = new Toasts();
  assert.equal(toasts.announcement(), '', 'nothing on show, nothing said');
  toasts.show('delta rejected');
  assert.equal(toasts.announcement(), 'delta rejected');
  const id = toasts.show('charlie approved');
  assert.deepEqual(
    toasts.get().map((x) => x.text),
    ['delta rejected', 'charlie approved'],
  );
  assert.equal(toasts.announcement(), 'charlie approved', 'not "delta rejected charlie approved"');
  toasts.dismiss(id);
  assert.equal(toasts.announcement(), '', 'dismissing brings no older toast back to be read');
  t.mock.timers.reset();
});
