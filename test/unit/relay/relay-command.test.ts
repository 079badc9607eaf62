/**
 * `clawbridge relay` refuses what would run a relay other than the one asked for, in one line naming
 * the flag, file or directory (cli/relay-command.ts): an empty --token (an open relay), a --tls-key that
 * is not the certificate's, an unusable --home; and it makes a relay home and key that others can read
 * private again, saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity } from '../../../src-main/crypto/identity.js';
import { isClawError } from '../../../src-main/core/errors.js';
import {
  loadOrCreateRelayTls,
  RELAY_KEY_FILE,
  startRelayFromCli,
} from '../../../src-main/cli/relay-command.js';
import { within } from '../../helpers/relay-harness.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** startRelayFromCli's rejection; these options must all be refused before anything listens. */
function refusal(opts: Parameters<typeof startRelayFromCli>[0]): Promise<Error> {
  return within(
    'the relay command to refuse',
    startRelayFromCli(opts).then(
      () => assert.fail('the relay started'),
      (err: Error) => err,
    ),
  );
}

/** One line, no OpenSSL or errno jargon alone. */
function assertOneLine(err: Error, mentions: string): void {
  assert.ok(isClawError(err), `a ClawError, got ${err.message}`);
  assert.ok(!err.message.includes('\n'), 'one line');
  assert.ok(err.message.includes(mentions), `"${err.message}" names ${mentions}`);
}

test('an empty --token is refused, not dropped (which ran an open relay)', async () => {
  const err = await refusal({ listen: '127.0.0.1:0', token: '', tls: false });
  assertOneLine(err, '--token');
  assert.match(err.message, /1 to 255 bytes/);
  const long = await refusal({ listen: '127.0.0.1:0', token: 'x'.repeat(256), tls: false });
  assertOneLine(long, '--token');
});

test('a --tls-key that is not the --tls-cert key, or not a key, or missing, is named', async () => {
  const dir = tempDir('cb-relay-cli-');
  const [one, two] = await Promise.all([generateIdentity(), generateIdentity()]);
  const cert = join(dir, 'cert.pem');
  const otherKey = join(dir, 'other.key');
  const notKey = join(dir, 'not.key');
  writeFileSync(cert, one.certPem);
  writeFileSync(otherKey, two.keyPem);
  writeFileSync(notKey, 'hello\n');
  const mismatch = await refusal({ listen: '127.0.0.1:0', tlsCert: cert, tlsKey: otherKey });
  assertOneLine(mismatch, otherKey);
  assert.match(mismatch.message, /does not belong to --tls-cert/);
  // A key of another algorithm (RSA for this EC certificate): OpenSSL builds a context with it and
  // then fails every handshake.
  const rsaKey = join(dir, 'rsa.key');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(rsaKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const otherAlgorithm = await refusal({ listen: '127.0.0.1:0', tlsCert: cert, tlsKey: rsaKey });
  assertOneLine(otherAlgorithm, rsaKey);
  assert.match(otherAlgorithm.message, /does not belong to --tls-cert/);
  assertOneLine(await refusal({ listen: '127.0.0.1:0', tlsCert: cert, tlsKey: notKey }), notKey);
  assertOneLine(await refusal({ listen: '127.0.0.1:0', tlsCert: notKey, tlsKey: otherKey }), notKey);
  const missing = join(dir, 'missing.pem');
  assertOneLine(await refusal({ listen: '127.0.0.1:0', tlsCert: missing, tlsKey: otherKey }), missing);
});

test('a --home that is a file, or below one, is named with what to do', async () => {
  const file = join(tempDir('cb-relay-cli-'), 'a-file');
  writeFileSync(file, '');
  for (const home of [file, join(file, 'below')]) {
    const err = await refusal({ listen: '127.0.0.1:0', home });
    assertOneLine(err, home);
    assert.match(err.message, /--home/);
  }
});

test(
  'a relay home and key readable by others are made private again, with a warning',
  {
    skip: process.platform === 'win32' && 'POSIX modes',
  },
  async () => {
    const home = join(tempDir('cb-relay-cli-'), 'home');
    const first = await loadOrCreateRelayTls(home, () => assert.fail('nothing to warn about'));
    const key = join(home, RELAY_KEY_FILE);
    chmodSync(home, 0o755);
    chmodSync(key, 0o644);
    const warnings: string[] = [];
    const again = await loadOrCreateRelayTls(home, (line) => warnings.push(line));
    assert.equal(again.keyPem, first.keyPem, 'the same identity');
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0]!, new RegExp(`relay home ${home} was open to other users \\(mode 0755\\)`));
    assert.ok(
      warnings[1]!.includes(`${key} was readable by others (mode 0644); changed to 0600`),
      'warnings[1]!.includes(`${key} was readable by others (mode 0644); changed to 0600`)',
    );
  },
);
