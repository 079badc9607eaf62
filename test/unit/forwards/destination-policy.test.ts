import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowedAddresses,
  canonicalAddress,
  malformedPatterns,
  parseDestinationPattern,
  specialAddress,
  worthResolving,
} from '../../../src-main/forwards/destination-policy.js';

/** The decision for one request: IP literals are their own address; names come with what they resolved to. */
const allowed = (limits: string[] | undefined, host: string, port: number, resolved = [host]) =>
  allowedAddresses(limits, host, port, resolved).length > 0;

test('no list allows everything; an empty list allows nothing', () => {
  assert.equal(allowed(undefined, 'anything.example', 1, ['127.0.0.1']), true);
  assert.equal(allowed([], '127.0.0.1', 80), false);
  assert.equal(worthResolving([], 'anything.example', 1), false);
});

test('patterns match host and port with * wildcards, names case-insensitively', () => {
  const limits = ['*.corp.example:*', '10.0.0.*:22', '[::1]:8080', 'db:54*'];
  const cases: [string, number, string[], boolean][] = [
    ['git.corp.example', 443, ['10.1.2.3'], true],
    ['GIT.Corp.Example', 22, ['10.1.2.3'], true],
    ['corp.example', 443, ['10.1.2.3'], false], // `*.` needs a label before the dot
    ['evil-corp.example', 443, ['10.1.2.3'], false],
    ['10.0.0.7', 22, ['10.0.0.7'], true],
    ['10.0.0.7', 23, ['10.0.0.7'], false],
    ['10.0.1.7', 22, ['10.0.1.7'], false],
    ['::1', 8080, ['::1'], true],
    ['0:0:0:0:0:0:0:1', 8080, ['0:0:0:0:0:0:0:1'], true],
    ['::1', 8081, ['::1'], false],
    ['db', 5432, ['192.168.1.5'], true],
    ['db', 6543, ['192.168.1.5'], false],
  ];
  for (const [host, port, resolved, want] of cases) {
    assert.equal(allowed(limits, host, port, resolved), want, `${host}:${port}`);
  }
  assert.equal(allowed(['*'], 'x', 9, ['10.9.9.9']), true);
  assert.equal(allowed(['*:*'], '::1', 9), true);
});

test('regex characters in patterns are literal, and malformed patterns match nothing', () => {
  assert.equal(allowed(['a.b:1'], 'axb', 1, ['10.0.0.1']), false);
  assert.deepEqual(malformedPatterns(['host', 'a:b', '*:80', 'x y:1', '[::1]:22']), ['host', 'a:b', 'x y:1']);
  // A port no connection can have matches nothing, so it is refused rather than saved.
  assert.deepEqual(malformedPatterns(['127.0.0.1:99999', '*:0', '[::1]:70000', '*:8*', 'h:65535']), [
    '127.0.0.1:99999',
    '*:0',
    '[::1]:70000',
  ]);
  assert.equal(allowed(['host'], 'host', 80, ['10.0.0.1']), false);
});

test('hosts of digits, dots and * or in brackets are address patterns; `*` is any; the rest are names', () => {
  const kinds = [
    '10.0.0.*:22',
    '10.*:*',
    '1*:1',
    '[::1]:1',
    '[fe80::*]:1',
    '[::ffff:10.0.0.1]:1',
    '*:443',
    '*',
  ]
    .concat(['*.corp.example:22', 'db.internal:1', '10.0.0.7.evil.test:22'])
    .map((p) => parseDestinationPattern(p)?.kind);
  assert.deepEqual(kinds, [
    'ipv4',
    'ipv4',
    'ipv4',
    'ipv6',
    'ipv6',
    'ipv4',
    'any',
    'any',
    'name',
    'name',
    'name',
  ]);
});

test('an address pattern never matches the requested name: 10.0.0.7.evil.test → 127.0.0.1 is refused', () => {
  const limits = ['10.0.0.*:22'];
  assert.deepEqual(allowedAddresses(limits, '10.0.0.7.evil.test', 22, ['127.0.0.1']), []);
  assert.deepEqual(allowedAddresses(limits, '10.0.0.7.evil.test', 22, ['169.254.169.254']), []);
  assert.deepEqual(allowedAddresses(limits, '10.0.0.7', 22, ['10.0.0.7']), ['10.0.0.7']);
  // A name is fine when what it resolves to is in the range, and only those addresses are kept.
  assert.deepEqual(allowedAddresses(limits, 'build.lan', 22, ['127.0.0.1', '10.0.0.9', '10.0.1.1']), [
    '10.0.0.9',
  ]);
  assert.deepEqual(allowedAddresses(limits, 'x.test', 22, ['::ffff:10.0.0.4']), ['::ffff:10.0.0.4']);
});

test('a name pattern admits ordinary addresses, never loopback/link-local/unspecified on its own', () => {
  const limits = ['*.corp.example:22'];
  const name = 'git.corp.example';
  assert.equal(allowed(limits, name, 22, ['10.1.2.3']), true);
  assert.equal(allowed(limits, name, 22, ['2001:db8::7']), true);
  for (const bad of ['127.0.0.1', '127.3.2.1', '169.254.169.254', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1'])
    assert.equal(allowed(limits, name, 22, [bad]), false, bad);
  for (const bad of ['fe80::1', '0.0.0.0', '::', '::ffff:169.254.169.254'])
    assert.equal(allowed(limits, name, 22, [bad]), false, bad);
  // Mixed answers: the special address is dropped, the ordinary one kept.
  assert.deepEqual(allowedAddresses(limits, name, 22, ['127.0.0.1', '10.1.2.3']), ['10.1.2.3']);
});

test('an address pattern that names a special address explicitly allows it, port included', () => {
  const limits = ['*.corp.example:22', '127.0.0.1:22'];
  assert.equal(allowed(limits, 'git.corp.example', 22, ['127.0.0.1']), true);
  assert.equal(allowed(limits, 'git.corp.example', 22, ['::ffff:127.0.0.1']), true);
  assert.equal(allowed(limits, 'git.corp.example', 22, ['::1']), false);
  assert.equal(allowed(limits, 'git.corp.example', 22, ['169.254.169.254']), false);
  assert.equal(allowed(['*.corp.example:*', '127.0.0.1:22'], 'git.corp.example', 23, ['127.0.0.1']), false);
  assert.equal(allowed(['*.corp.example:22', '[::1]:22'], 'git.corp.example', 22, ['::1']), true);
  assert.equal(allowed(['[::FFFF:127.0.0.1]:22'], 'x.test', 22, ['127.0.0.1']), true);
});

test('a name pattern never matches an IP-literal request', () => {
  assert.equal(allowed(['*:22'], '127.0.0.1', 22), true);
  assert.equal(allowed(['*a*:22'], 'fe80::a', 22), false);
  assert.equal(allowed(['*-*:22', 'local*:22'], '::ffff:127.0.0.1', 22), false);
});

test('host `*` means any host: every name and every address on its port, loopback included', () => {
  for (const a of ['127.0.0.1', '::1', '169.254.169.254', '10.0.0.1'])
    assert.equal(allowed(['*:443'], 'anything.test', 443, [a]), true, a);
  assert.equal(allowed(['*:443'], 'anything.test', 80, ['10.0.0.1']), false);
  assert.equal(allowed(['*'], '::', 1), true);
});

test('worthResolving: refuse a name without DNS when no pattern could allow it', () => {
  assert.equal(worthResolving(undefined, 'x.test', 1), true);
  assert.equal(worthResolving(['*.corp.example:22'], 'x.test', 22), false);
  assert.equal(worthResolving(['*.corp.example:22'], 'a.corp.example', 22), true);
  assert.equal(worthResolving(['*.corp.example:22'], 'a.corp.example', 23), false);
  assert.equal(worthResolving(['10.0.0.*:22'], 'x.test', 22), true);
  assert.equal(worthResolving(['10.0.0.*:22'], 'x.test', 80), false);
});

test('canonical address text and special ranges', () => {
  assert.equal(canonicalAddress('::FFFF:7f00:1'), '127.0.0.1');
  assert.equal(canonicalAddress('FE80:0::1'), 'fe80::1');
  const cases: [string, string | undefined][] = [
    ['127.255.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.0.1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', undefined],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['10.0.0.1', undefined],
    ['128.0.0.1', undefined],
    ['2001:db8::1', undefined],
  ];
  for (const [a, want] of cases) assert.equal(specialAddress(a), want, a);
});
