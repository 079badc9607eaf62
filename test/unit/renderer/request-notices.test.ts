/**
 * "b asks to pair — see Approvals": shown when a request arrives, taken down as soon as the request is
 * no longer pending (approved or rejected anywhere), not left up pointing at nothing.
 */
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PendingInfo, StatusEvent } from '../../../src-main/api/contract.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { AgentStore } from '../../../src-renderer/api/store.js';
import {
  followRequestNotices,
  PAIR_VIEW_HOLD_MS,
} from '../../../src-renderer/features/approvals/request-notices.js';
import { PairScreen } from '../../../src-renderer/features/pair/pair-screen.js';
import { TOAST_MS, Toasts } from '../../../src-renderer/lib/toasts.js';

const request = (id: string, name: string): PendingInfo => ({
  id,
  name,
  displayName: name,
  fingerprint: id.repeat(64).slice(0, 64),
  via: 'code',
  address: 'ws://127.0.0.1:1',
  age: 0,
  knownAs: null,
});

/** What the store looks at in a status event (the rest of `status` does not matter here). */
const statusEvent = (
  pending: PendingInfo[],
): Pick<StatusEvent, 'pending' | 'forwards' | 'proxies'> & {
  status: { fingerprint: string };
} => ({ status: { fingerprint: 'ab'.repeat(32) }, pending, forwards: [], proxies: [] });

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

function setup(screen = new PairScreen()) {
  // Not connected: the store reads nothing by itself, the test pushes every event.
  const t = new FakeTransport({ kind: 'connecting' });
  const store = new AgentStore(new ApiClient(t));
  const toasts = new Toasts();
  const stop = followRequestNotices(store, toasts, screen);
  const texts = () => toasts.get().map((x) => x.text);
  return { t, toasts, texts, stop };
}

test('the notice goes as soon as the request is no longer pending; another one stays', () => {
  const { t, texts } = setup();
  const b = request('1', 'b');
  const c = request('2', 'c');
  t.emit('pending.added', b);
  t.emit('status', statusEvent([b]));
  t.emit('pending.added', c);
  t.emit('status', statusEvent([b, c]));
  assert.deepEqual(texts(), ['b asks to pair — see Approvals', 'c asks to pair — see Approvals']);
  // b approved (or rejected) — here, in the CLI or the tray: its notice goes, long before 4 s.
  t.emit('status', statusEvent([c]));
  assert.deepEqual(texts(), ['c asks to pair — see Approvals']);
  t.emit('status', statusEvent([]));
  assert.deepEqual(texts(), []);
});

test('a list read before the request arrived does not take its notice down', () => {
  const { t, texts } = setup();
  const b = request('1', 'b');
  t.emit('pending.added', b);
  t.emit('status', statusEvent([]));
  assert.deepEqual(texts(), ['b asks to pair — see Approvals']);
  t.emit('status', statusEvent([b]));
  t.emit('status', statusEvent([]));
  assert.deepEqual(texts(), []);
});

test('a notice still goes by itself after TOAST_MS; the other toasts are left alone', () => {
  const { t, toasts, texts, stop } = setup();
  const b = request('1', 'b');
  toasts.show('Relay added');
  t.emit('pending.added', b);
  t.emit('status', statusEvent([b]));
  mock.timers.tick(TOAST_MS);
  assert.deepEqual(texts(), []);
  toasts.show('Forward added');
  t.emit('status', statusEvent([]));
  assert.deepEqual(texts(), ['Forward added']);
  stop();
  t.emit('pending.added', b);
  assert.deepEqual(texts(), ['Forward added'], 'nothing after stop');
});

/** The agent's `pairing` event for a device that joined `code`, as it follows `pending.added`. */
const joined = (code: string, r: PendingInfo) => ({
  role: 'new',
  code,
  step: 'joined',
  peerName: r.name,
  fingerprint: r.fingerprint,
});

test('no toast for a request "Pair new device" shows itself; one for another code, a hold later', () => {
  const screen = new PairScreen();
  screen.code = 'AAAA-BBBB-CCCC';
  const { t, texts } = setup(screen);
  const bravo = request('1', 'bravo');
  // The agent's order: the request, then the event that puts it on the Pair view.
  t.emit('pending.added', bravo);
  t.emit('pairing', joined('AAAA-BBBB-CCCC', bravo));
  t.emit('status', statusEvent([bravo]));
  mock.timers.tick(PAIR_VIEW_HOLD_MS);
  assert.deepEqual(texts(), [], 'the Pair view says it: no second announcement, nothing over its buttons');

  // The other order, should the events cross: still none.
  const delta = request('4', 'delta');
  t.emit('pairing', joined('AAAA-BBBB-CCCC', delta));
  t.emit('pending.added', delta);
  mock.timers.tick(PAIR_VIEW_HOLD_MS);
  assert.deepEqual(texts(), []);

  // A code made elsewhere (the CLI): the Pair view does not show it, so the toast comes after the hold.
  const charlie = request('2', 'charlie');
  t.emit('pending.added', charlie);
  t.emit('pairing', joined('ZZZZ-ZZZZ-ZZZZ', charlie));
  assert.deepEqual(texts(), []);
  mock.timers.tick(PAIR_VIEW_HOLD_MS);
  assert.deepEqual(texts(), ['charlie asks to pair — see Approvals']);

  // A fingerprint-only request never shows on the Pair view: at once.
  const echo = { ...request('3', 'echo'), via: 'fingerprint' as const };
  t.emit('pending.added', echo);
  assert.deepEqual(texts(), ['charlie asks to pair — see Approvals', 'echo asks to pair — see Approvals']);
});

test('with the Pair view closed, a request that used a code is toasted at once', () => {
  const { t, texts } = setup();
  const bravo = request('1', 'bravo');
  t.emit('pending.added', bravo);
  t.emit('pairing', joined('AAAA-BBBB-CCCC', bravo));
  assert.deepEqual(texts(), ['bravo asks to pair — see Approvals']);
});
