/**
 * Send to anyone in the window (src-renderer/features/files/code-offers-store.ts, code-offer-text.ts)
 * against a fake agent: offers read on connecting and kept live by `file.codeOffer`; an ended offer
 * does not move back on a late event; the words for each state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeOfferInfo } from '../../../src-main/files/files-contract.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { CodeOffersStore, withOffer } from '../../../src-renderer/features/files/code-offers-store.js';
import { offerStateText, offerTitle } from '../../../src-renderer/features/files/code-offer-text.js';

const NOW = Date.UTC(2026, 10, 29, 10, 0, 0);

function offer(id: string, patch: Partial<CodeOfferInfo> = {}): CodeOfferInfo {
  return {
    id,
    code: 'K7QX-M2RT-9WZA',
    link: 'clawbridge://file?invite=x',
    expiresAt: new Date(NOW + 9 * 60_000 + 41_000).toISOString(),
    state: 'open',
    names: ['report.pdf'],
    files: 1,
    bytes: 2048,
    ...patch,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('offers are read on connecting, made and cancelled here, and kept live by file.codeOffer', async () => {
  const transport = new FakeTransport({ kind: 'disconnected' } as never);
  transport
    .on('files.codeOffers', () => [offer('o1')])
    .on('files.sendCode', (p) => {
      assert.deepEqual(p, { paths: ['/srv/a'], ttlSeconds: 3600 }, 'the paths and the lifetime chosen');
      return offer('o2');
    })
    .on('files.cancelCode', () => offer('o2', { state: 'cancelled' }));
  const store = new CodeOffersStore(new ApiClient(transport));
  transport.setState({ kind: 'connected' });
  await tick();
  await tick();
  assert.deepEqual(
    store.get().offers.map((o) => o.id),
    ['o1'],
  );
  await store.send(['/srv/a'], 3600);
  assert.deepEqual(
    store.get().offers.map((o) => o.id),
    ['o2', 'o1'],
    'the new offer first',
  );
  const asked = transport.calls.length;
  transport.emit(
    'file.codeOffer',
    offer('o1', {
      state: 'taken',
      by: { name: 'code receiver', fingerprint: 'f'.repeat(64), short: 'ffff…ffff' },
    }),
  );
  assert.equal(transport.calls.length, asked, 'no read for an event');
  assert.equal(store.get().offers.find((o) => o.id === 'o1')?.state, 'taken');
  await store.cancel('o2');
  assert.equal(store.get().offers.find((o) => o.id === 'o2')?.state, 'cancelled');
  store.dispose();
});

test('an ended offer does not move back on a late event', () => {
  const done = withOffer([offer('o1', { state: 'done' })], offer('o1', { state: 'taken' }));
  assert.equal(done[0]?.state, 'done');
  const failed = withOffer([offer('o1', { state: 'taken' })], offer('o1', { state: 'failed', why: 'x' }));
  assert.equal(failed[0]?.state, 'failed', 'an end replaces a moving state');
});

test('the words: what is offered, the time left, who took it, how it ended', () => {
  assert.equal(
    offerTitle(offer('o', { names: ['a', 'b', 'c'], files: 3 })),
    'a and 2 more · 3 files · 2.0 KiB',
  );
  assert.equal(
    offerStateText(offer('o'), NOW),
    'Waiting for the receiver · the code works once, for 9:41 more',
  );
  assert.equal(offerStateText(offer('o'), NOW + 10 * 60_000), 'The code has expired.');
  const by = { name: 'code receiver', fingerprint: 'f'.repeat(64), short: '3f2a…91c0' };
  assert.equal(
    offerStateText(offer('o', { state: 'taken', by }), NOW),
    'Sending to code receiver (3f2a…91c0)',
  );
  assert.equal(
    offerStateText(offer('o', { state: 'done', by }), NOW),
    'Sent to code receiver (3f2a…91c0), every file verified',
  );
  assert.equal(
    offerStateText(offer('o', { state: 'failed', why: 'a wrong code was tried' }), NOW),
    'Failed: a wrong code was tried',
  );
  assert.equal(
    offerStateText(offer('o', { state: 'expired' }), NOW),
    'Expired: no one took the code in time',
  );
});
