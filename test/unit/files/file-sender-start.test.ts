/**
 * An agent carries its unfinished outgoing transfers on when it starts (files/file-sender.ts). The
 * agent starts its files part before its peers are loaded (app/run-agent.ts), so a saved
 * transfer's first look finds no peers: it must wait for them, not fail as if its peer had been removed
 * (integration test "either agent killed…" failed so, "b is no longer a peer of this node").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClawError } from '../../../src-main/core/errors.js';
import { FileSender, type FilePeers } from '../../../src-main/files/file-sender.js';
import { until, sleep } from '../../helpers/wait.js';

const PEER = 'cd'.repeat(32);
const ID = '0123456789abcdef0123456789abcdef';

test('a saved transfer carried on at start waits for the peers to be loaded instead of failing', async () => {
  const outgoing = join(mkdtempSync(join(tmpdir(), 'cb-send-')), 'outgoing');
  mkdirSync(outgoing);
  writeFileSync(
    join(outgoing, `${ID}.json`),
    JSON.stringify({
      id: ID,
      peer: PEER,
      peerName: 'b',
      manifest: '0'.repeat(64),
      entries: [{ path: 'f', kind: 'file', size: 5, exec: false }],
      sources: ['/nonexistent'],
      startedAt: new Date().toISOString(),
      state: 'active',
    }),
  );
  let loaded = false;
  const listeners = new Set<() => void>();
  let opened = 0;
  const entry = { fingerprint: PEER, record: { name: 'b' }, links: { active: {} } };
  const peers = {
    peerEntries: () => (loaded ? [entry] : []),
    onChanged: (l: () => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    openStream: () => {
      opened++;
      // Not reachable yet: the transfer waits and tries again (a failure that is not final).
      return Promise.reject(new ClawError('LINK_CLOSED', 'no link yet'));
    },
  } as unknown as FilePeers;
  const sender = new FileSender({
    log: { warn: () => undefined, info: () => undefined },
    peers,
    store: { outgoing },
  });
  try {
    await sender.start();
    const t = sender.transfers.get(ID)!;
    await sleep(50, 'the peers are not loaded yet: the transfer must not fail meanwhile');
    assert.notEqual(t.view.state, 'failed', t.view.why);
    // The peers are loaded (links.start()): the transfer goes on to open its stream.
    loaded = true;
    for (const l of [...listeners]) l();
    await until('opened !== 0', () => opened !== 0);
    assert.ok(opened > 0, 'the transfer opened a stream once its peer was known');
    assert.notEqual(t.view.state, 'failed', t.view.why);
  } finally {
    sender.stop();
  }
});
