/**
 * forwardTo limits under fast-check: with only address patterns (and `*`), the decision for a requested
 * name depends only on the addresses it resolved to (rename the name, same outcome; the same as asking
 * for each address as a literal), so a name built to look like an allowed address gains nothing; and
 * whatever the list, a special address (loopback, link-local, unspecified) only passes when the list's
 * address patterns alone allow it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { formatIPv6 } from '../../src-main/protocol/socks5.js';
import {
  allowedAddresses,
  parseDestinationPattern,
  specialAddress,
} from '../../src-main/forwards/destination-policy.js';

const RUNS = 5_000;

const octet = fc.oneof(fc.constantFrom(0, 10, 127, 169, 254, 255), fc.nat(255));
const ipv4 = fc.tuple(octet, octet, octet, octet).map((p) => p.join('.'));
const ipv6 = fc.oneof(
  fc.constantFrom('::1', '::', 'fe80::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '2001:db8::7'),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIPv6),
);
/** Resolved addresses, biased towards the special ranges and the ranges the patterns name. */
const address = fc.oneof(ipv4, ipv6, fc.constantFrom('127.0.0.1', '169.254.169.254', '0.0.0.0', '10.0.0.7'));

const port = fc.constantFrom(22, 80, 443, 8080);
const portGlob = fc.oneof(fc.constantFrom('*', '22', '443', '8*', '4*3'), port.map(String));
const octetGlob = fc.oneof(
  octet.map(String),
  fc.constant('*'),
  octet.map((n) => `${n}*`),
);
const ipv4Glob = fc.array(octetGlob, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));
const ipv6Glob = fc.oneof(ipv6, fc.constantFrom('fe80::*', '*', '::ffff:*', '2001:db8::*'));
/** Address patterns only (the host `*` included: it matches every address too). */
const addressPattern = fc.oneof(
  fc.tuple(ipv4Glob, portGlob).map(([h, p]) => `${h}:${p}`),
  fc.tuple(ipv6Glob, portGlob).map(([h, p]) => `[${h}]:${p}`),
  portGlob.map((p) => `*:${p}`),
);
const namePattern = fc.oneof(
  fc.constantFrom('*.corp.example', 'db.internal', '*.test', '10.0.0.*.evil.test', 'local*', '*-*'),
  fc.domain().map((d) => `*.${d}`),
);
const anyPattern = fc.oneof(
  addressPattern,
  fc.tuple(namePattern, portGlob).map(([h, p]) => `${h}:${p}`),
);

/** Requested names (never IP literals), many shaped to look like addresses the patterns name. */
const name = fc
  .oneof(
    fc.domain(),
    fc.tuple(ipv4, fc.domain()).map(([a, d]) => `${a}.${d}`),
    fc.tuple(ipv4Glob, fc.domain()).map(([g, d]) => `${g.replace(/\*/g, '7')}.${d}`),
    ipv4.map((a) => `${a}x`),
    fc.constantFrom('localhost', '10.0.0.7.evil.test', '127.0.0.1.nip.test', '1.2.3', '2130706433'),
  )
  .filter((n) => isIP(n) === 0 && /^[A-Za-z0-9._-]+$/.test(n));

test('property: the patterns generated are the kind they claim', () => {
  fc.assert(
    fc.property(addressPattern, (p) => assert.notEqual(parseDestinationPattern(p)?.kind ?? 'name', 'name')),
    { numRuns: 1_000 },
  );
});

test('property: with only address patterns, renaming the requested name never changes the outcome', () => {
  fc.assert(
    fc.property(
      fc.array(addressPattern, { maxLength: 6 }),
      name,
      name,
      port,
      fc.array(address, { minLength: 1, maxLength: 4 }),
      (patterns, a, b, p, resolved) => {
        const viaA = allowedAddresses(patterns, a, p, resolved);
        assert.deepEqual(allowedAddresses(patterns, b, p, resolved), viaA);
        // …and it is exactly what asking for each address as a literal would give.
        const literal = resolved.filter((r) => allowedAddresses(patterns, r, p, [r]).length > 0);
        assert.deepEqual(viaA, literal);
      },
    ),
    { numRuns: RUNS },
  );
});

test('property: a special address passes only when the address patterns alone allow it', () => {
  fc.assert(
    fc.property(
      fc.array(anyPattern, { maxLength: 6 }),
      name,
      port,
      fc.array(address, { minLength: 1, maxLength: 4 }),
      (patterns, n, p, resolved) => {
        const onlyAddresses = patterns.filter((x) => parseDestinationPattern(x)?.kind !== 'name');
        for (const a of allowedAddresses(patterns, n, p, resolved)) {
          if (specialAddress(a) === undefined) continue;
          assert.deepEqual(allowedAddresses(onlyAddresses, a, p, [a]), [a], `${a} via ${n}`);
        }
      },
    ),
    { numRuns: RUNS },
  );
});
