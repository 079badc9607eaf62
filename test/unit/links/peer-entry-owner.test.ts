/**
 * A peer's entry has one owner, the links layer (links/peer-entry.ts): everyone else reads it as a
 * ReadonlyPeerEntry and tells the link set what it learned by name (noteMarksMine, noteRtt). What the
 * node keeps (settings, peer records, relays, forwards) has one owner too, the node state
 * (state/node-state.ts), and is read-only all the way down: nested fields and arrays as much as the top
 * level. The writes below are refused by the compiler (`npm run typecheck` checks each
 * `@ts-expect-error`); the scan keeps the writable type from being imported above the links layer,
 * where a cast would bring it back.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { PeerDirectory, ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import type { NodeState, NodeStateReader } from '../../../src-main/state/node-state.js';

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

/**
 * Writes one level down, through the entry's record and links: each compiled before (a domain could
 * change a saved peer with no named write and no change event); none does now.
 */
function writesDeepInTheEntry(entry: ReadonlyPeerEntry): void {
  /* eslint-disable @typescript-eslint/no-unsafe-call -- each call here is one the compiler refuses */
  // @ts-expect-error forwards/forward-manager.ts could grant a permission: NodeState.setPermissions instead
  entry.record.allow.push('relay');
  // @ts-expect-error or rename the peer: NodeState.rename instead
  entry.record.name = 'renamed';
  // @ts-expect-error or forget its addresses in place
  entry.record.addresses.splice(0);
  // @ts-expect-error or change where an address came from
  entry.record.addresses[0]?.from.push('given');
  // @ts-expect-error or reorder its route: NodeState.setRoute instead
  entry.record.route?.reverse();
  // @ts-expect-error or widen where its forwards may go: NodeState.setForwardTo instead
  entry.record.forwardTo?.push('*:*');
  const home = entry.record.homeRelay;
  if (home) {
    // @ts-expect-error or point its home relay elsewhere
    home.url = 'wss://elsewhere:443';
  }
  const active = entry.links.active;
  if (active) {
    // @ts-expect-error the active path's link is confirmed by the links only (PeerLinks.confirm)
    active.confirmed = false;
    // @ts-expect-error nor is its time set from outside
    active.since = new Date(0);
  }
  const direct = entry.links.get('direct');
  if (direct) {
    // @ts-expect-error a path's entry as kept: writing here would take the peer offline unannounced
    direct.confirmed = false;
  }
  const traversal = entry.traversal;
  if (traversal) {
    // @ts-expect-error what the traversal knows is the traversal's to record
    traversal.punchAttempts = 0;
    // @ts-expect-error the peer's candidates too
    traversal.peer?.hosts.push('203.0.113.1');
  }
  /* eslint-enable @typescript-eslint/no-unsafe-call */
}

/**
 * Writes through what the node state hands out: every one compiled before, and every one would have
 * changed saved state with no change event. The named writes of NodeState are the only way in.
 */
function writesThroughTheState(state: NodeStateReader, owner: NodeState): void {
  /* eslint-disable @typescript-eslint/no-unsafe-call -- each call here is one the compiler refuses */
  // @ts-expect-error a peer's permissions in place: NodeState.setPermissions instead
  state.peers()[0]?.allow.splice(0);
  // @ts-expect-error nor the list of peers: NodeState.addPeer / removePeer
  state.peers().pop();
  // @ts-expect-error nor one found by fingerprint
  state.peer('f')?.listenOn?.push('0.0.0.0:*');
  const settings = state.get();
  // @ts-expect-error the settings' top level
  settings.lan = false;
  // @ts-expect-error their nested fields: NodeState.setOptions instead
  settings.ui.listen = null;
  // @ts-expect-error their lists: NodeState.addRelay instead
  settings.relays.push({ url: 'wss://relay.example:443' });
  const relay = settings.relays[0];
  if (relay) {
    // @ts-expect-error a relay entry's fields
    relay.token = 'stolen';
  }
  // @ts-expect-error the blocked list: NodeState.unblock instead
  settings.blocked.splice(0);
  for (const blocked of settings.blocked) {
    // @ts-expect-error a blocked entry's fields
    blocked.byRemoval = true;
  }
  // @ts-expect-error what introduced devices may do
  settings.mineAllow.push('listen');
  // @ts-expect-error nor may a field be deleted
  delete settings.name;
  const forward = owner.get().forwards.find((f) => f.name === 'web');
  if (forward) {
    // @ts-expect-error a forward record's fields: the forwards domain's editForward instead
    forward.listen = '0.0.0.0:80';
    // @ts-expect-error nor its share's
    if (forward.share) forward.share.dotfiles = true;
  }
  // @ts-expect-error the saved forwards as a list: the forwards domain's saveForward / removeForward
  owner.get().forwards.length = 0;
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
  assert.equal(typeof writesDeepInTheEntry, 'function');
  assert.equal(typeof fromDirectory, 'function');
});

test('what the node keeps is read-only all the way down outside its owner (checked by tsc)', () => {
  // Type-level only, as above.
  assert.equal(typeof writesThroughTheState, 'function');
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
