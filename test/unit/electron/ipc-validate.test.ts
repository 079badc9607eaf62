import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSender } from '../../../src-main/electron/ipc-validate.js';

const PAGE = 'file:///opt/Clawbridge/resources/app.asar/dist/renderer/index.html';
const top = (url: string) => ({ url, parent: null });

test('checkSender accepts the top frame of the app page, with or without hash and query', () => {
  assert.deepEqual(checkSender(top(PAGE), PAGE), { ok: true });
  assert.deepEqual(checkSender(top(`${PAGE}#/peers?x=1`), PAGE), { ok: true });
});

test('checkSender rejects other pages, subframes and vanished frames with a reason', () => {
  const cases: [Parameters<typeof checkSender>[0], RegExp][] = [
    [null, /sender frame is gone/],
    [{ url: PAGE, parent: {} }, /subframe/],
    [top('https://evil.example/index.html'), /'https:\/\/evil\.example\/index\.html' is not the app's page/],
    [top('file:///tmp/index.html'), /is not the app's page/],
    [top('file:///opt/Clawbridge/resources/app.asar/dist/renderer/other.html'), /is not the app's page/],
    [top('not a url'), /is not a URL/],
  ];
  for (const [frame, reason] of cases) {
    const verdict = checkSender(frame, PAGE);
    assert.equal(verdict.ok, false);
    assert.match(verdict.ok ? '' : verdict.reason, reason);
  }
});
