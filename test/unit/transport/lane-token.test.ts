import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isLaneToken,
  laneServerName,
  laneTokenOf,
  newLaneToken,
} from '../../../src-main/transport/lane-token.js';

test('a lane token survives the TLS server name; other names carry none', () => {
  const token = newLaneToken();
  assert.equal(isLaneToken(token), true);
  assert.notEqual(newLaneToken(), token);
  assert.equal(laneTokenOf(laneServerName(token)), token);
  const others: (string | false | null | undefined)[] = [
    undefined,
    null,
    false,
    '',
    'example.com',
    `${token}.example.com`,
    laneServerName('ab'),
  ];
  for (const name of others) {
    assert.equal(laneTokenOf(name), undefined, String(name));
  }
  assert.equal(laneTokenOf(laneServerName(token.toUpperCase())), undefined);
});
