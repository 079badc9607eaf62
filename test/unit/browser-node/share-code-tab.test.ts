/**
 * What a link viewer's tab keeps (src-web/node/share-code-tab.ts, docs/adr/0123-shared-terminals.md
 * §Link): the identity the code proved comes back from the tab's storage as the same node (its
 * fingerprint, a key that signs for its certificate, not extractable), with where to go; only for the
 * relay it was met on; a share that ended comes back as such; anything else in the storage is no viewer.
 * And how a typed code or a pasted link is read (protocol/share-code-frames.ts readShareLink).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { readShareLink } from '../../../src-main/protocol/share-code-frames.js';
import { makeKeepableIdentity, ViewerTab, type TabStorage } from '../../../src-web/node/share-code-tab.js';

function memoryStorage(): TabStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
}

const RELAY = 'ws://127.0.0.1:7474';
const target = {
  t: 'ready' as const,
  host: { fingerprint: 'b'.repeat(64), name: 'b' },
  share: '0123456789abcdef',
  sharerName: 'a',
  write: false,
};

test('a kept viewer comes back as the same node, for its relay only, and as ended once its share ended', async () => {
  const storage = memoryStorage();
  const tab = new ViewerTab(storage);
  const { identity, keys } = await makeKeepableIdentity('link viewer');
  tab.keep(
    { code: 'K7QX-M2RT-9WZA', relayUrl: RELAY, sharer: { fingerprint: 'a'.repeat(64), name: 'a' }, target },
    keys,
    'link viewer',
  );

  const kept = await new ViewerTab(storage).kept(RELAY);
  assert.ok(kept, 'the tab has the viewer after a reload');
  assert.equal(kept.identity.fingerprint, identity.fingerprint, 'the same node');
  assert.deepEqual(kept.target, target, 'and where it goes');
  assert.equal(kept.code, 'K7QX-M2RT-9WZA', 'the code it spent');
  assert.equal(kept.identity.privateKey.extractable, false, 'the key in use is not extractable');
  const data = new TextEncoder().encode('transcript');
  const ecdsa = { name: 'ECDSA', hash: 'SHA-256' };
  const signature = await crypto.subtle.sign(ecdsa, kept.identity.privateKey, data);
  assert.ok(
    await crypto.subtle.verify(ecdsa, identity.publicKey, signature, data),
    'its key signs for the certificate',
  );

  assert.equal(await tab.kept('ws://127.0.0.1:7475'), undefined, 'another relay has no viewer here');
  tab.ended('a stopped sharing this terminal');
  assert.equal((await tab.kept(RELAY))?.ended, 'a stopped sharing this terminal', 'ended, kept as such');
});

test('what is no viewer in the storage is none', async () => {
  const storage = memoryStorage();
  for (const text of ['not json', '{"code":1}', JSON.stringify({ code: 'x', relayUrl: RELAY, target })]) {
    storage.items.set('clawbridge.watch', text);
    assert.equal(await new ViewerTab(storage).kept(RELAY), undefined, `no viewer in ${text}`);
  }
  assert.equal(await new ViewerTab(undefined).kept(RELAY), undefined, 'no storage, no viewer');
});

test('a link names its code and relay; a code alone, its code', () => {
  assert.deepEqual(readShareLink(' http://127.0.0.1:7474/#watch=K7QX-M2RT-9WZA '), {
    code: 'K7QX-M2RT-9WZA',
    relayUrl: 'ws://127.0.0.1:7474',
  });
  assert.deepEqual(readShareLink('https://relay.example/r/#watch=K7QX%20M2RT'), {
    code: 'K7QX M2RT',
    relayUrl: 'wss://relay.example/r/',
  });
  assert.deepEqual(readShareLink('watch=K7QX-M2RT-9WZA'), { code: 'K7QX-M2RT-9WZA' });
  assert.deepEqual(readShareLink('#watch=K7QX-M2RT-9WZA'), { code: 'K7QX-M2RT-9WZA' });
  assert.deepEqual(readShareLink('k7qx-m2rt-9wza'), { code: 'k7qx-m2rt-9wza' });
});
