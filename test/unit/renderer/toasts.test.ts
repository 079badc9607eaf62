/** Toasts: a screen reader hears the newest one alone, never the older ones again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPEAT_GAP_MS, TOAST_MS, Toasts } from '../../../src-renderer/lib/toasts.js';

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

test('a toast with the same words as the one being announced is announced again: the region empties first', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const toasts = new Toasts();
  const heard: string[] = [];
  toasts.subscribe(() => heard.push(toasts.announcement()));
  toasts.show('Resume window saved');
  const first = toasts.announced();
  toasts.show('Resume window saved');
  assert.equal(
    toasts.announcement(),
    '',
    'empty for a moment: a live region that does not change says nothing',
  );
  t.mock.timers.tick(REPEAT_GAP_MS);
  assert.equal(toasts.announcement(), 'Resume window saved', 'then said again');
  assert.notEqual(toasts.announced(), first, 'as a new toast (a new node in the region)');
  assert.deepEqual(heard, ['Resume window saved', '', 'Resume window saved']);
  // Different words need no pause.
  toasts.show('Name saved');
  assert.equal(toasts.announcement(), 'Name saved');
  t.mock.timers.reset();
});

test('a toast stays while the user is on it (focus or pointer) and goes a full TOAST_MS after they leave', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const toasts = new Toasts();
  const shown = () => toasts.get().map((x) => x.text);
  const id = toasts.show('c approved');
  toasts.show('d rejected');
  t.mock.timers.tick(TOAST_MS - 1);
  toasts.hold(id, 'focus');
  toasts.hold(id, 'pointer');
  t.mock.timers.tick(10 * TOAST_MS);
  assert.deepEqual(shown(), ['c approved'], 'the one held stays; the other went on time');
  toasts.release(id, 'pointer');
  t.mock.timers.tick(10 * TOAST_MS);
  assert.deepEqual(shown(), ['c approved'], 'still focused: still held');
  toasts.release(id, 'focus');
  t.mock.timers.tick(TOAST_MS - 1);
  assert.deepEqual(shown(), ['c approved'], 'a full read again once left');
  t.mock.timers.tick(1);
  assert.deepEqual(shown(), []);
  toasts.hold(id, 'focus');
  assert.deepEqual(shown(), [], 'a gone toast is not brought back by a late focus event');
  t.mock.timers.reset();
});
