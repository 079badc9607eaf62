/** The joiner's messages while it looks for the issuer: they never name the code's rendezvous alias. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issuerSearchError, withoutAlias } from '../../../src-main/pairing/pairing-joiner.js';
import { ClawError } from '../../../src-main/core/errors.js';
import { abbreviateFingerprint } from '../../../src-main/core/fingerprint.js';
import { parseCodeOrInvite } from '../../../src-main/protocol/pair-code.js';

const alias = 'ab'.repeat(32);
const short = abbreviateFingerprint(alias);

test('relay errors about the rendezvous alias name the device that showed the code, and do not say retrying', () => {
  const invite = parseCodeOrInvite('ABCD-EFGH-JKMN');
  const err = issuerSearchError(
    new ClawError(
      'RELAY_UNREACHABLE',
      `cannot reach peer ${short} through relay ws://127.0.0.1:1: relay ws://127.0.0.1:1 is unreachable (connection refused) — check the address and that the relay is running; retrying`,
    ),
    alias,
    invite,
  );
  assert.equal(
    err.message,
    'cannot reach the device that showed the code through relay ws://127.0.0.1:1: relay ws://127.0.0.1:1 is unreachable (connection refused) — check the address and that the relay is running',
  );
  assert.equal(
    withoutAlias(`peer ${short} disconnected from relay x`, alias),
    'the device that showed the code disconnected from relay x',
  );
});

test("a relay that is not the invite's certificate is no reason to pin it: ask for a new invite", () => {
  const fp = 'cd'.repeat(32);
  const invite = parseCodeOrInvite(
    `clawbridge://join?invite=ABCD-EFGH-JKMN&relay=${encodeURIComponent('wss://127.0.0.1:7474')}&fp=${fp}`,
  );
  const err = issuerSearchError(
    new ClawError(
      'RELAY_FINGERPRINT_MISMATCH',
      'relay wss://127.0.0.1:7474: tls fingerprint mismatch … run `clawbridge peers add …`',
    ),
    alias,
    invite,
  );
  assert.match(err.message, /does not present the certificate the invite names .* ask for a new invite$/);
  assert.doesNotMatch(err.message, /peers add/);
});
