import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatHostPort, parseHostPort } from '../../../src-main/core/host-port.js';
import { isClawError } from '../../../src-main/core/errors.js';

test('parses IPv4, names, bracketed IPv6 and bare ports', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:7474'), { host: '127.0.0.1', port: 7474 });
  assert.deepEqual(parseHostPort('relay.example.com:443'), { host: 'relay.example.com', port: 443 });
  assert.deepEqual(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseHostPort('8080', '127.0.0.1'), { host: '127.0.0.1', port: 8080 });
});

test('rejects with a reason', () => {
  assert.throws(() => parseHostPort('::1:80'), /write IPv6 as \[::1\]:7474/);
  assert.throws(() => parseHostPort('host:99999'), /port must be a number from 0 to 65535/);
  assert.throws(() => parseHostPort('8080'), /is not HOST:PORT/);
  assert.throws(() => parseHostPort('a b:1'), /not a host name/);
});

test('formats IPv6 in brackets and unmaps v4-mapped addresses', () => {
  assert.equal(formatHostPort('::1', 5), '[::1]:5');
  assert.equal(formatHostPort('::ffff:127.0.0.1', 5), '127.0.0.1:5');
});

test('property: format then parse round-trips; garbage only raises ClawError', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 65535 }), (host, port) => {
      const parsed = parseHostPort(formatHostPort(host, port));
      assert.equal(parsed.port, port);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      try {
        parseHostPort(s);
      } catch (err) {
        assert.ok(isClawError(err, 'BAD_ARGUMENT'), "isClawError(err, 'BAD_ARGUMENT')");
      }
    }),
    { numRuns: 10_000 },
  );
});
