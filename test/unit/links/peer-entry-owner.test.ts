/**
 * A peer's entry has one owner, the links layer (links/peer-entry.ts): everyone else reads it as a
 * ReadonlyPeerEntry and tells the link set what it learned by name (noteMarksMine, noteRtt). The writes
 * below are refused by the compiler (`npm run typecheck` checks each `@ts-expect-error`); the scan
 * keeps the writable type from being imported above the links layer, where a cast would bring it back.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { PeerDirectory, ReadonlyPeerEntry } from '../../../src-main/links/ports.js';

const srcMain = fileURLToPath(new URL('../../../src-main/', import.meta.url));

/** The writes other layers made before the links layer owned them; none type-checks now. */
function writesFromOutside(entry: ReadonlyPeerEntry): void {
  /* eslint-disable @typescript-eslint/no-unsafe-call -- each call here is one the compiler refuses */
  // @ts-expect-error pairing/introductions.ts: PeerLinkSet.noteMarksMine instead
  entry.theyMarkMine = true;
  // @ts-expect-error app/peer-api.ts ping: PeerLinkSet.noteRtt instead
  entry.links.rttMs = 12;
  // @ts-expect-error what the peer grants is said by its `grants` message, heard by the links only
  entry.theyAllow = ['terminal'];
  // @ts-expect-error nor may its array be changed in place
  entry.theyAllow?.push('terminal');
  // @ts-expect-error a hello's addresses are the links' to record
  entry.announcedAddresses = ['127.0.0.1:1'];
  // @ts-expect-error a hello's features too
  entry.features = [];
  // @ts-expect-error and a refusal of this node's hello
  entry.refusal = undefined;
  // @ts-expect-error and whether its listener is off
  entry.directOffThere = true;
  // @ts-expect-error a path's retrier is not driven from outside
  entry.direct.kick();
  // @ts-expect-error nor are its links closed from outside
  entry.links.closeAll('no');
  /* eslint-enable @typescript-eslint/no-unsafe-call */
}

function fromDirectory(peers: PeerDirectory): void {
  for (const entry of peers.peerEntries()) {
    // @ts-expect-error what the directory hands out is the read-only entry
    entry.theyMarkMine = false;
  }
}

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(path);
    else if (/\.c?ts$/.test(e.name)) yield path;
  }
}

test('outside the links layer a peer entry is read-only (checked by tsc)', () => {
  // Type-level only: these exist to be compiled, never called.
  assert.equal(typeof writesFromOutside, 'function');
  assert.equal(typeof fromDirectory, 'function');
});

test('only the links layer imports the writable peer entry', () => {
  const offenders: string[] = [];
  for (const file of tsFiles(srcMain)) {
    const rel = relative(srcMain, file).split('\\').join('/');
    if (rel.startsWith('links/')) continue;
    if (/from\s+'[^']*links\/peer-entry\.js'/.test(readFileSync(file, 'utf8'))) offenders.push(rel);
  }
  assert.deepEqual(
    offenders,
    [],
    'these import links/peer-entry.ts: take ReadonlyPeerEntry from links/ports.ts',
  );
});
