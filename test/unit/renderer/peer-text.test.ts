import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathLabel } from '../../../src-main/cli/client-commands.js';
import { pathText } from '../../../src-renderer/lib/peer-text.js';
import { peer } from '../electron/status-fixtures.js';

test('the window names a peer’s path in the CLI’s words (relay (spliced)), then where it goes', () => {
  const relayed = { ...peer('b', 'online', 'relay'), relay: 'wss://relay.example:8443' };
  for (const spliced of [true, false]) {
    const p = { ...relayed, relaySpliced: spliced };
    assert.equal(pathText(p), `${pathLabel(p)} wss://relay.example:8443`);
  }
  assert.equal(pathText({ ...relayed, relaySpliced: true }), 'relay (spliced) wss://relay.example:8443');
  const direct = { ...peer('b', 'online', 'direct'), address: '127.0.0.1:7475' };
  assert.equal(pathText(direct), 'direct 127.0.0.1:7475');
});
