import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressBlock } from '../../../src-main/core/address-block.js';

test('IPv4 is its own block; an IPv4-mapped IPv6 address is that IPv4 address', () => {
  assert.equal(addressBlock('203.0.113.9'), '203.0.113.9');
  assert.equal(addressBlock('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(addressBlock('::FFFF:203.0.113.9'), '203.0.113.9');
});

test('IPv6 keys by its /64, whatever the spelling', () => {
  const block = '2001:db8:0:1::/64';
  for (const a of [
    '2001:db8:0:1::1',
    '2001:DB8:0:1:ffff:ffff:ffff:ffff',
    '2001:0db8:0000:0001:0000:0000:0000:0001',
    '2001:db8::1:0:0:0:1',
    'fe80::1%eth0'.replace('fe80::1', '2001:db8:0:1::5'),
  ]) {
    assert.equal(addressBlock(a), block, a);
  }
  assert.equal(addressBlock('2001:db8:0:2::1'), '2001:db8:0:2::/64');
  assert.equal(addressBlock('::1'), '0:0:0:0::/64');
  assert.equal(addressBlock('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
});

test('what is not an address keys as itself, and a missing one as unknown', () => {
  assert.equal(addressBlock(undefined), 'unknown');
  assert.equal(addressBlock(''), 'unknown');
  assert.equal(addressBlock('Host.Example'), 'host.example');
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', 'x:y::', '1:2:3:4:5:6:7:8::', '::1.2.3.999']) {
    assert.equal(addressBlock(bad), bad, bad);
  }
});
