/** What a peer lets this device do, in the window's words, and when a picker must not offer it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  grantsText,
  refusal,
  refusedAllBecause,
  refusedBecause,
  theirGrantsText,
} from '../../../src-renderer/lib/their-grants.js';
import { permissionWords } from '../../../src-renderer/features/permission-words.js';
import { FILES_PERMISSIONS } from '../../../src-renderer/features/files/files-permissions.js';
import { FORWARDS_PERMISSIONS } from '../../../src-renderer/features/forwards/forwards-permissions.js';
import { MESSAGES_PERMISSIONS } from '../../../src-renderer/features/messages/messages-permissions.js';
import { PEERS_PERMISSIONS } from '../../../src-renderer/features/peers/peers-permissions.js';
import { TERMINALS_PERMISSIONS } from '../../../src-renderer/features/terminals/terminals-permissions.js';

/** The words as the window's features declare them (permission-words.test.ts holds them to the agent's). */
const words = permissionWords(
  [
    PEERS_PERMISSIONS,
    TERMINALS_PERMISSIONS,
    MESSAGES_PERMISSIONS,
    FILES_PERMISSIONS,
    FORWARDS_PERMISSIONS,
  ].map((permissions) => ({ permissions })),
);

test('a peer that said what it grants refuses what it left out, with the words the pickers show', () => {
  const n3 = { name: 'n3', theyAllow: ['forward' as const] };
  assert.equal(refusedBecause(n3, 'terminal', words), 'n3 does not allow terminals from this device');
  assert.equal(refusal(n3, 'relay', words), 'does not allow relaying from this device');
  assert.equal(refusal(n3, 'listen', words), 'does not allow reverse forwards from this device');
  assert.equal(refusal(n3, 'forward', words), null);
  // A word no feature explains is named as is.
  assert.equal(refusal(n3, 'toy', words), 'does not allow toy from this device');
});

test('unknown grants (not said yet, or an older agent) refuse nothing', () => {
  assert.equal(refusal({ theyAllow: null }, 'terminal', words), null);
  assert.equal(refusal({}, 'terminal', words), null);
  assert.equal(theirGrantsText({ theyAllow: null }, words), 'not known yet');
  assert.equal(theirGrantsText({ theyAllow: [] }, words), 'nothing');
  assert.equal(theirGrantsText({ theyAllow: ['terminal', 'forward'] }, words), 'terminal, forward');
});

test("a peer card's one line names everything the peer refuses, or nothing", () => {
  const none = { name: 'b', theyAllow: [] };
  assert.equal(
    refusedAllBecause(none, ['terminal', 'forward'], words),
    'b does not allow terminals or forwards from this device',
  );
  assert.equal(
    refusedAllBecause({ name: 'b', theyAllow: ['terminal' as const] }, ['terminal', 'forward'], words),
    'b does not allow forwards from this device',
  );
  assert.equal(refusedAllBecause({ name: 'b', theyAllow: null }, ['terminal', 'forward'], words), null);
});

test('grants read in the permissions order, whatever order they were given in; none is nothing', () => {
  assert.equal(grantsText(['message', 'terminal', 'forward'], words), 'terminal, forward, message');
  assert.equal(grantsText(['listen', 'terminal'], words), 'terminal, listen');
  assert.equal(grantsText([], words), 'nothing');
  // A word no feature explains (an agent newer than the window) still shows, after the known ones.
  assert.equal(grantsText(['toy', 'message', 'terminal'], words), 'terminal, message, toy');
});
