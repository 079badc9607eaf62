/**
 * The phone's key row (features/terminals/key-row.ts): each key sends what a terminal's key sends, and
 * Ctrl held turns the next character into its control code (Ctrl then c interrupts), leaving others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARROW_KEYS, KEYS_BEFORE_CTRL, withCtrl } from '../../../src-renderer/features/terminals/key-row.js';

test('Esc, Tab and the arrows send the keys’ own sequences, each named for a screen reader', () => {
  const sends = Object.fromEntries([...KEYS_BEFORE_CTRL, ...ARROW_KEYS].map((k) => [k.name, k.sends]));
  assert.deepEqual(sends, {
    Escape: '\x1b',
    Tab: '\t',
    Left: '\x1b[D',
    Up: '\x1b[A',
    Down: '\x1b[B',
    Right: '\x1b[C',
  });
});

test('Ctrl makes a letter or @[\\]^_ its control code; anything else goes as it is', () => {
  assert.equal(withCtrl('c'), '\x03');
  assert.equal(withCtrl('C'), '\x03');
  assert.equal(withCtrl('d'), '\x04');
  assert.equal(withCtrl('['), '\x1b');
  assert.equal(withCtrl('@'), '\x00');
  assert.equal(withCtrl('1'), '1');
  assert.equal(withCtrl('ab'), 'ab', 'a paste is not one key');
});
