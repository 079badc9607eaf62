import { test } from 'node:test';
import assert from 'node:assert/strict';
import { destinationAllowed, malformedPatterns } from '../../../src-main/forwards/destination-policy.js';

test('no list allows everything; an empty list allows nothing', () => {
  assert.equal(destinationAllowed(undefined, 'anything.example', 1), true);
  assert.equal(destinationAllowed([], '127.0.0.1', 80), false);
});

test('patterns match host and port with * wildcards, names case-insensitively', () => {
  const limits = ['*.corp.example:*', '10.0.0.*:22', '[::1]:8080', 'db:54*'];
  const cases: [string, number, boolean][] = [
    ['git.corp.example', 443, true],
    ['GIT.Corp.Example', 22, true],
    ['corp.example', 443, false], // `*.` needs a label before the dot
    ['evil-corp.example', 443, false],
    ['10.0.0.7', 22, true],
    ['10.0.0.7', 23, false],
    ['10.0.1.7', 22, false],
    ['::1', 8080, true],
    ['::1', 8081, false],
    ['db', 5432, true],
    ['db', 6543, false],
  ];
  for (const [host, port, want] of cases) {
    assert.equal(destinationAllowed(limits, host, port), want, `${host}:${port}`);
  }
  assert.equal(destinationAllowed(['*'], 'x', 9), true);
  assert.equal(destinationAllowed(['*:*'], '::1', 9), true);
});

test('regex characters in patterns are literal, and malformed patterns match nothing', () => {
  assert.equal(destinationAllowed(['a.b:1'], 'axb', 1), false);
  assert.deepEqual(malformedPatterns(['host', 'a:b', '*:80', 'x y:1', '[::1]:22']), ['host', 'a:b', 'x y:1']);
  assert.equal(destinationAllowed(['host'], 'host', 80), false);
});
