/** The share section's report (bench/share-section.ts): medians of the turns, their ratio against the line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatShareSection,
  shareJson,
  TARGET_SHARE_OVER_HTTP_SERVER,
} from '../../../bench/share-section.js';

test('medians, ratio and verdict', () => {
  const f = { share: [100, 300, 200], httpServer: [250, 150, 200, 50] };
  const json = shareJson(f);
  assert.equal(json.shareMBps, 200);
  assert.equal(json.httpServerMBps, 175);
  assert.equal(json.ratio, 200 / 175);
  assert.equal(json.target, TARGET_SHARE_OVER_HTTP_SERVER);
  const text = formatShareSection(f, ['a note']);
  assert.match(text, /share \/ reverse forward \+ http\.server +1\.14x +target >= 0\.9x +PASS/);
  assert.match(text, /note: a note/);
  assert.match(formatShareSection({ share: [80], httpServer: [100] }, []), /0\.80x .* MISS/);
  assert.match(formatShareSection({ share: [], httpServer: [100] }, []), /n\/a .* n\/a/);
});
