/**
 * A shared terminal's screen at the sharer's size (sharer-fit.ts, docs/adr/0123-shared-terminals.md
 * §Sizes): never drawn larger than it is (a larger box letterboxes), scaled down whole into a smaller
 * one, and its caption says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitScale, sizeCaption } from '../../../src-renderer/features/terminals/sharer-scale.js';

test('a larger box letterboxes at full size; a smaller one scales the whole screen into it', () => {
  const screen = { width: 800, height: 480 };
  assert.equal(fitScale(screen, { width: 1600, height: 900 }), 1, 'larger: drawn as it is');
  assert.equal(fitScale(screen, { width: 400, height: 900 }), 0.5, 'narrower: half as wide, whole');
  assert.equal(fitScale(screen, { width: 1600, height: 240 }), 0.5, 'shorter: half as tall, whole');
  assert.equal(fitScale({ width: 0, height: 0 }, { width: 10, height: 10 }), 1, 'not laid out yet');
});

test('the caption gives the size, and the scale when it is drawn smaller', () => {
  assert.equal(sizeCaption(100, 30, 1), "100×30, the sharer's size");
  assert.equal(sizeCaption(200, 60, 0.625), "200×60, the sharer's size (shown at 63% to fit)");
});
