/** Why a forward's connections fail, as a toast wherever the window is; the same words not twice at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { AgentStore } from '../../../src-renderer/api/store.js';
import {
  followForwardNotices,
  NOTICE_REPEAT_MS,
} from '../../../src-renderer/features/forwards/forward-notices.js';
import { Toasts } from '../../../src-renderer/lib/toasts.js';

test('a notice is a toast; the same one again within the repeat time is not', () => {
  const t = new FakeTransport({ kind: 'connecting' });
  const store = new AgentStore(new ApiClient(t));
  const toasts = new Toasts();
  let now = 1_000_000;
  const stop = followForwardNotices(store, toasts, () => now);
  const refused = { message: 'forward web: permission denied: b does not allow forwards from a' };
  const cut = { message: 'proxy sx: open connections through b were cut: heartbeat timeout' };
  // A browser's six connections at once, each refused: one toast.
  for (let i = 0; i < 6; i++) t.emit('notice', refused);
  t.emit('notice', cut);
  assert.deepEqual(
    toasts.get().map((x) => x.text),
    [refused.message, cut.message],
  );
  now += NOTICE_REPEAT_MS;
  for (const x of toasts.get()) toasts.dismiss(x.id);
  t.emit('notice', refused);
  assert.deepEqual(
    toasts.get().map((x) => x.text),
    [refused.message],
    'said again once the repeat time is over',
  );
  stop();
  t.emit('notice', cut);
  assert.equal(toasts.get().length, 1, 'nothing after stop');
});

test("a notice's hint goes with its toast, once checked; a malformed one is left out", () => {
  const t = new FakeTransport({ kind: 'connecting' });
  const store = new AgentStore(new ApiClient(t));
  const toasts = new Toasts();
  const stop = followForwardNotices(store, toasts, () => 0);
  const hint = { argv: ['peers'], where: 'here' };
  t.emit('notice', { kind: 'forward', message: 'forward web: no peer named b', hint });
  t.emit('notice', { kind: 'proxy', message: 'proxy sx: odd', hint: { argv: 'rm -rf /', where: 'here' } });
  assert.deepEqual(
    toasts.get().map((x) => [x.text, x.hint]),
    [
      ['forward web: no peer named b', hint],
      ['proxy sx: odd', undefined],
    ],
  );
  stop();
});
