/**
 * The window's shared terminals (src-renderer/features/terminals/shares-store.ts) against a fake
 * agent: the shares and offers read once from `terminal.sessions`, the offers then replaced by
 * `terminal.offers` without a request, a share by what each action answers, and gone with Stop sharing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OfferInfo, ShareViewer } from '../../../src-main/terminal/shares/share-contract.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { SharesStore } from '../../../src-renderer/features/terminals/shares-store.js';
import { until } from '../../helpers/wait.js';

const ID = '0123456789abcdef';
const SHARE = 'fedcba9876543210';
const C = 'c'.repeat(64);

const viewer = (write: boolean): ShareViewer => ({
  fingerprint: C,
  name: 'c',
  device: 'c',
  write,
  since: '2026-11-29T20:00:00.000Z',
  watching: true,
});

const offer = (write: boolean): OfferInfo => ({
  share: SHARE,
  host: 'b'.repeat(64),
  hostName: 'b',
  sharer: 'a'.repeat(64),
  sharerName: 'a',
  what: 'terminal',
  write,
});

function world() {
  const t = new FakeTransport()
    .on('terminal.sessions', () => ({
      sessions: [
        {
          id: ID,
          peer: 'b'.repeat(64),
          peerName: 'b',
          state: 'connected',
          startedAt: '',
          share: { share: SHARE, viewers: [viewer(false)] },
        },
      ],
      offered: [offer(false)],
    }))
    .on('terminal.share', (p) => ({
      id: ID,
      share: SHARE,
      viewers: [viewer((p as { write: boolean }).write)],
    }))
    .on('terminal.revoke', () => ({ id: ID, share: SHARE, viewers: [] }))
    .on('terminal.unshare', () => ({ id: ID, share: SHARE }));
  const store = new SharesStore(new ApiClient(t));
  const reads = () => t.calls.filter((c) => c.method === 'terminal.sessions').length;
  return { t, store, reads };
}

test('read once; terminal.offers replaces the offers with no request', async () => {
  const { t, store, reads } = world();
  await until('the shares are read', () => store.live.get().phase === 'ready', 2_000);
  assert.deepEqual(store.live.get().offered, [offer(false)], 'the offer is read');
  assert.equal(store.live.get().shares[ID]?.viewers[0]?.name, 'c', "the terminal's share is read");
  t.emit('terminal.offers', { offered: [offer(true)] });
  assert.equal(store.live.get().offered[0]?.write, true, 'the switch the event carries is held');
  t.emit('terminal.offers', { offered: [] });
  assert.deepEqual(store.live.get().offered, [], 'an offer the event leaves out is gone');
  assert.equal(reads(), 1, 'no read for an event');
});

test('a switch, a revoke and Stop sharing keep what the agent answered', async () => {
  const { t, store } = world();
  await until('the shares are read', () => store.live.get().phase === 'ready', 2_000);
  await store.share(ID, C, true);
  assert.deepEqual(
    t.calls.at(-1),
    { method: 'terminal.share', params: { id: ID, with: [C], write: true } },
    'the switch asks terminal.share with write',
  );
  assert.equal(store.live.get().shares[ID]?.viewers[0]?.write, true, 'c types now');
  await store.revoke(ID, C);
  assert.deepEqual(store.live.get().shares[ID]?.viewers, [], 'c is gone from the share');
  await store.unshare(ID);
  assert.equal(store.live.get().shares[ID], undefined, 'the terminal is no longer shared');
});
