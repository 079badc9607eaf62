/**
 * `ping` (app/peer-api.ts) when the link it asked on is closed as a duplicate meanwhile (two nodes
 * dialing each other right after pairing keep one link): it asks again on the link that stays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ping } from '../../../src-main/app/peer-api.js';
import { newPeerEntry } from '../../../src-main/links/peer-entry.js';
import { ClawError } from '../../../src-main/core/errors.js';
import type { Mux } from '../../../src-main/mux/mux.js';
import { createLinkPair } from '../../helpers/link-pair.js';

test('a ping whose link is closed as a duplicate is answered on the link that stays', async () => {
  const first = createLinkPair().a;
  const second = createLinkPair().a;
  const entry = newPeerEntry(
    '0'.repeat(64),
    { name: 'b', fingerprint: first.peerId, addresses: [], allow: [] } as never,
    () => undefined,
    {
      dialDirect: () => Promise.resolve(undefined),
      dialRelay: () => Promise.resolve(undefined),
      attach: () => undefined,
      onError: () => undefined,
    },
  );
  const staying = { ping: () => Promise.resolve(0.25) } as unknown as Mux;
  const closing = {
    ping: () => {
      // The duplicate goes, the other link takes over, and this ping fails with the link.
      entry.links.remove(first);
      entry.links.offer('direct', { link: second, mux: staying, since: new Date() });
      entry.links.confirm(second);
      return Promise.reject(new ClawError('LINK_CLOSED', 'peer closed the link: duplicate link'));
    },
  } as unknown as Mux;
  entry.links.offer('direct', { link: first, mux: closing, since: new Date() });
  entry.links.confirm(first);
  const host = {
    links: {
      peerEntries: () => [entry],
      noteRtt: (_fp: string, ms: number) => void (entry.links.rttMs = ms),
      noteUse: () => undefined,
      activePath: (e: typeof entry) => ({
        path: 'direct',
        link: e.links.active!.link,
        mux: e.links.active!.mux,
      }),
    },
  };
  const r = await ping(host as never, 'b');
  assert.equal(r.rttMs, 0.25);

  // Any other failure, or a link with nothing to take over, is reported as it is.
  const alone = {
    ping: () => Promise.reject(new ClawError('LINK_CLOSED', 'peer closed the link: bye')),
  } as unknown as Mux;
  entry.links.remove(second);
  entry.links.offer('direct', { link: first, mux: alone, since: new Date() });
  entry.links.confirm(first);
  await assert.rejects(ping(host as never, 'b'), /peer closed the link: bye/);
});

test('a pong names the path and address of the link it went over, though the link moved meanwhile', async () => {
  const relayed = createLinkPair({ path: 'relay' }).a;
  Object.defineProperty(relayed, 'remote', { value: 'ws://127.0.0.1:7474' });
  const direct = createLinkPair().a;
  const entry = newPeerEntry(
    '0'.repeat(64),
    { name: 'b', fingerprint: relayed.peerId, addresses: [], allow: [] } as never,
    () => undefined,
    {
      dialDirect: () => Promise.resolve(undefined),
      dialRelay: () => Promise.resolve(undefined),
      attach: () => undefined,
      onError: () => undefined,
    },
  );
  const viaRelay = {
    ping: () => {
      // While the pong is on its way, a direct link comes up and becomes the one in use.
      entry.links.offer('direct', { link: direct, mux: viaRelay, since: new Date() });
      entry.links.confirm(direct);
      return Promise.resolve(1.5);
    },
  } as unknown as Mux;
  entry.links.offer('relay', { link: relayed, mux: viaRelay, since: new Date() });
  entry.links.confirm(relayed);
  const host = {
    links: {
      peerEntries: () => [entry],
      noteRtt: (_fp: string, ms: number) => void (entry.links.rttMs = ms),
      noteUse: () => undefined,
      activePath: (e: typeof entry) => e.links.active!,
    },
  };
  const r = await ping(host as never, 'b');
  assert.equal(entry.links.active?.path, 'direct', 'the link did move');
  assert.deepEqual([r.path, r.remote], ['relay', 'ws://127.0.0.1:7474']);
});
