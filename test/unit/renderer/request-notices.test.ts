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
import { followRequestNotices } from '../../../src-renderer/lib/request-notices.js';
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

function setup() {
  // Not connected: the store reads nothing by itself, the test pushes every event.
  const t = new FakeTransport({ kind: 'connecting' });
  const store = new AgentStore(new ApiClient(t));
  const toasts = new Toasts();
  const stop = followRequestNotices(store, toasts);
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
