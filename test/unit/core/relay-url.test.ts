import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameRelayUrl } from '../../../src-main/core/relay-url.js';

test('one relay under several spellings is the same relay; another port, scheme or path is not', () => {
  assert.ok(
    sameRelayUrl('wss://h.example:7474', 'wss://H.example:7474/'),
    "sameRelayUrl('wss://h.example:7474', 'wss://H.example:7474/')",
  );
  assert.ok(
    sameRelayUrl('wss://h.example', 'wss://h.example:443'),
    "sameRelayUrl('wss://h.example', 'wss://h.example:443')",
  );
  assert.ok(
    sameRelayUrl('ws://[::1]:7474', 'ws://[0:0::1]:7474/'),
    "sameRelayUrl('ws://[::1]:7474', 'ws://[0:0::1]:7474/')",
  );
  assert.ok(
    !sameRelayUrl('wss://h.example:7474', 'wss://h.example:7475'),
    "!sameRelayUrl('wss://h.example:7474', 'wss://h.example:7475')",
  );
  assert.ok(
    !sameRelayUrl('wss://h.example:7474', 'ws://h.example:7474'),
    "!sameRelayUrl('wss://h.example:7474', 'ws://h.example:7474')",
  );
  assert.ok(
    !sameRelayUrl('wss://h.example/a', 'wss://h.example/b'),
    "!sameRelayUrl('wss://h.example/a', 'wss://h.example/b')",
  );
  assert.ok(sameRelayUrl('not a url', ' not a url '), "sameRelayUrl('not a url', ' not a url ')");
});
