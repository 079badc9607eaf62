/**
 * The relay's self-signed TLS identity (cli/relay-command.ts): created once and kept, and never
 * silently replaced when damaged, since clients pin its fingerprint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { isClawError } from '../../../src-main/core/errors.js';
import {
  loadOrCreateRelayTls,
  RELAY_CERT_FILE,
  RELAY_KEY_FILE,
} from '../../../src-main/cli/relay-command.js';
import { tempDir } from '../../helpers/temp-dir.js';

const fingerprint = (certPem: string) => new X509Certificate(certPem).fingerprint256;

test('the first start creates the pair (key 0600, no temp files left); later starts load the same one', async () => {
  const home = join(tempDir('cb-relay-tls-'), 'home');
  const first = await loadOrCreateRelayTls(home);
  assert.equal(readFileSync(join(home, RELAY_CERT_FILE), 'utf8'), first.certPem);
  assert.equal(readFileSync(join(home, RELAY_KEY_FILE), 'utf8'), first.keyPem);
  if (process.platform !== 'win32') {
    assert.equal(statSync(join(home, RELAY_KEY_FILE)).mode & 0o777, 0o600);
  }
  assert.deepEqual(
    readdirSync(home).filter((f) => f.endsWith('.tmp')),
    [],
  );
  const again = await loadOrCreateRelayTls(home);
  assert.equal(fingerprint(again.certPem), fingerprint(first.certPem));
  assert.equal(again.keyPem, first.keyPem);
});

test('a truncated certificate is an error naming both files, and the files are left as they were', async () => {
  const home = tempDir('cb-relay-tls-');
  const { certPem } = await loadOrCreateRelayTls(home);
  const truncated = certPem.slice(0, certPem.length / 2);
  writeFileSync(join(home, RELAY_CERT_FILE), truncated);
  await assert.rejects(loadOrCreateRelayTls(home), (err: unknown) => {
    assert.ok(isClawError(err) && err.code === 'CONFIG_INVALID', String(err));
    assert.match(err.message, /damaged/);
    assert.match(err.message, new RegExp(`${RELAY_CERT_FILE}.*${RELAY_KEY_FILE}`));
    // One piece of advice, the relay's: not also the node identity's "delete the identity".
    assert.doesNotMatch(err.message, /delete the identity/);
    return true;
  });
  assert.equal(readFileSync(join(home, RELAY_CERT_FILE), 'utf8'), truncated);
});

test('a key from another identity is refused, not used with this certificate', async () => {
  const home = tempDir('cb-relay-tls-');
  const other = tempDir('cb-relay-tls-');
  await loadOrCreateRelayTls(home);
  const { keyPem } = await loadOrCreateRelayTls(other);
  writeFileSync(join(home, RELAY_KEY_FILE), keyPem);
  await assert.rejects(loadOrCreateRelayTls(home), /damaged/);
});

test('half a pair is an error naming what is missing, and is never completed with a new half', async () => {
  const home = tempDir('cb-relay-tls-');
  const made = await loadOrCreateRelayTls(home);
  rmSync(join(home, RELAY_KEY_FILE));
  await assert.rejects(
    loadOrCreateRelayTls(home),
    /incomplete: found only relay-tls\.crt; restore relay-tls\.key/,
  );

  // Only the key left (the certificate deleted): clients pinned the old fingerprint, so nothing new
  // is made behind their backs.
  rmSync(join(home, RELAY_CERT_FILE));
  writeFileSync(join(home, RELAY_KEY_FILE), made.keyPem, { mode: 0o600 });
  await assert.rejects(
    loadOrCreateRelayTls(home),
    /incomplete: found only relay-tls\.key; restore relay-tls\.crt/,
  );
  assert.equal(existsSync(join(home, RELAY_CERT_FILE)), false);
  assert.equal(readFileSync(join(home, RELAY_KEY_FILE), 'utf8'), made.keyPem);
});
