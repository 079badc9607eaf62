/** The URL fragment: the web UI token and a deep link's join code, and nothing else. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFragment } from '../../../src-renderer/lib/fragment.js';

test('token and join are read from the fragment; anything malformed is ignored', () => {
  assert.deepEqual(parseFragment('#token=ab12CD'), { token: 'ab12CD', join: null });
  const invite = 'clawbridge://pair/K7QX-M2RT-9WZA?relay=ws%3A%2F%2Frelay%3A7474';
  assert.deepEqual(parseFragment(`#join=${encodeURIComponent(invite)}`), { token: null, join: invite });
  assert.deepEqual(parseFragment('#token=not-hex&join=%20'), { token: null, join: null });
  assert.deepEqual(parseFragment(''), { token: null, join: null });
});
