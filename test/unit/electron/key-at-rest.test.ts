/**
 * The desktop app's key at rest (electron/key-at-rest.ts): encrypted with safeStorage when that
 * protects anything, migrated from a plain key without ever leaving the home without a readable key,
 * and never deleted when it cannot be read. safeStorage is faked with real AES-GCM under a key of the
 * fake's own, so another "keychain" really cannot decrypt it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CERT_FILE,
  ENCRYPTED_KEY_FILE,
  KEY_FILE,
  KEY_IN_DESKTOP_APP_MESSAGE,
  loadOrCreateIdentity,
  nodeKeyFileSystem,
  type KeyFileSystem,
} from '../../../src-main/home/identity-store.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { keyProtection, loadDesktopIdentity, type KeyVault } from '../../../src-main/electron/key-at-rest.js';
import { tempDir } from '../../helpers/temp-dir.js';

const unix = process.platform !== 'win32';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stand-in for safeStorage: AES-256-GCM under this keychain's own key, like DPAPI or Keychain. */
class FakeKeychain implements KeyVault {
  available = true;
  backend: ReturnType<KeyVault['getSelectedStorageBackend']> = 'gnome_libsecret';
  /** When set, decryption returns this instead (a keychain that lies). */
  lie: string | undefined;
  private readonly secret = randomBytes(32);
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  getSelectedStorageBackend(): ReturnType<KeyVault['getSelectedStorageBackend']> {
    return this.backend;
  }
  encryptString(plain: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.secret, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from('v10'), iv, body, cipher.getAuthTag()]);
  }
  decryptString(data: Buffer): string {
    if (this.lie !== undefined) return this.lie;
    if (data.length < 3 + IV_BYTES + TAG_BYTES || data.subarray(0, 3).toString() !== 'v10') {
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    }
    const iv = data.subarray(3, 3 + IV_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.secret, iv);
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(data.subarray(3 + IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    }
  }
}

const newHome = () => join(tempDir('cb-keyrest-'), 'Clawbridge');
const files = (home: string) => readdirSync(home).sort();
/** Every file in the home with its bytes, to show that nothing changed. */
const snapshot = (home: string) =>
  Object.fromEntries(files(home).map((f) => [f, readFileSync(join(home, f)).toString('base64')]));
const quiet = { warn: () => assert.fail('no warning expected'), platform: 'linux' as const };

/** A home holding an identity as the CLI keeps it (plain identity.key), and its fingerprint. */
async function plainHome(): Promise<{ home: string; fingerprint: string }> {
  const home = newHome();
  const { fingerprint } = await loadOrCreateIdentity(home);
  return { home, fingerprint };
}

/** The real file system, failing (like a crash) just before step number `failAt` (1-based). */
function crashingFs(failAt: number, torn = false): KeyFileSystem & { steps: number } {
  const fs = { steps: 0 } as KeyFileSystem & { steps: number };
  const step =
    <A extends unknown[], R>(name: string, real: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      fs.steps += 1;
      if (fs.steps === failAt) {
        // A torn write: part of the data reaches the temp file before the crash.
        if (torn && name === 'createSynced') {
          const [path, data] = args as unknown as [string, Uint8Array];
          writeFileSync(path, Buffer.from(data).subarray(0, 10), { mode: 0o600 });
        }
        throw new Error(`crash before ${name}`);
      }
      return real(...args);
    };
  fs.read = step('read', nodeKeyFileSystem.read);
  fs.createSynced = step('createSynced', nodeKeyFileSystem.createSynced);
  fs.rename = step('rename', nodeKeyFileSystem.rename);
  fs.remove = step('remove', nodeKeyFileSystem.remove);
  fs.syncDir = step('syncDir', nodeKeyFileSystem.syncDir);
  return fs;
}

test('a new identity keeps its key encrypted only, 0600, and loads again with the same fingerprint', async () => {
  const home = newHome();
  const keychain = new FakeKeychain();
  const created = await loadDesktopIdentity(home, keychain, quiet);
  assert.deepEqual(files(home), [CERT_FILE, ENCRYPTED_KEY_FILE]);
  const enc = readFileSync(join(home, ENCRYPTED_KEY_FILE));
  assert.doesNotMatch(enc.toString('latin1'), /PRIVATE KEY/);
  if (unix) assert.equal(statSync(join(home, ENCRYPTED_KEY_FILE)).mode & 0o777, 0o600);
  const again = await loadDesktopIdentity(home, keychain, quiet);
  assert.equal(again.fingerprint, created.fingerprint);
  assert.equal(again.keyPem, created.keyPem);
});

test('a plain key is migrated: same fingerprint, only the encrypted key remains', async () => {
  const { home, fingerprint } = await plainHome();
  const keychain = new FakeKeychain();
  assert.equal((await loadDesktopIdentity(home, keychain, quiet)).fingerprint, fingerprint);
  assert.deepEqual(files(home), [CERT_FILE, ENCRYPTED_KEY_FILE]);
  assert.equal((await loadDesktopIdentity(home, keychain, quiet)).fingerprint, fingerprint);
});

test(
  'a plain key readable by others is set to 0600 with the warning, then migrated',
  { skip: !unix },
  async () => {
    const { home, fingerprint } = await plainHome();
    chmodSync(join(home, KEY_FILE), 0o644);
    const keychain = new FakeKeychain();
    const warnings: string[] = [];
    const loaded = await loadDesktopIdentity(home, keychain, {
      platform: 'linux',
      warn: (l) => warnings.push(l),
    });
    assert.equal(loaded.fingerprint, fingerprint);
    assert.deepEqual(files(home), [CERT_FILE, ENCRYPTED_KEY_FILE]);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /identity key .*identity\.key was readable by others \(mode 0644\); changed to 0600 .*re-create the identity/,
    );
  },
);

test('a crash before any step of the migration leaves a key that loads with the same fingerprint', async () => {
  // Count the steps of one whole migration, then crash before each of them in turn.
  const counting = crashingFs(0);
  const first = await plainHome();
  await loadDesktopIdentity(first.home, new FakeKeychain(), { ...quiet, fs: counting });
  const total = counting.steps;
  assert.ok(total >= 8, `a migration has at least 8 file steps, counted ${total}`);
  // The PID of a process that has ended, as a crashed one has.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;

  for (let failAt = 1; failAt <= total; failAt += 1) {
    for (const torn of [false, true]) {
      const { home, fingerprint } = await plainHome();
      const keychain = new FakeKeychain();
      await assert.rejects(
        loadDesktopIdentity(home, keychain, { ...quiet, fs: crashingFs(failAt, torn) }),
        /crash before/,
      );
      // What the crash left is readable as it is: the plain key, both, or the encrypted one.
      const left = files(home).filter((f) => !f.endsWith('.tmp'));
      assert.ok(
        left.includes(KEY_FILE) || left.includes(ENCRYPTED_KEY_FILE),
        `step ${failAt}: ${left.join(',')}`,
      );
      // The crashed process is gone: its temp file names a PID that no process has now.
      for (const f of files(home).filter((x) => x.endsWith(`.${process.pid}.tmp`))) {
        renameSync(join(home, f), join(home, f.replace(`.${process.pid}.tmp`, `.${dead}.tmp`)));
      }
      // The next start finishes the migration and removes the crashed write's temp file.
      const loaded = await loadDesktopIdentity(home, keychain, quiet);
      assert.equal(loaded.fingerprint, fingerprint, `crash before step ${failAt}${torn ? ' (torn)' : ''}`);
      assert.deepEqual(files(home), [CERT_FILE, ENCRYPTED_KEY_FILE], `crash before step ${failAt}`);
    }
  }
});

test('a damaged encrypted key is a clear error and nothing is deleted', async () => {
  const home = newHome();
  const keychain = new FakeKeychain();
  await loadDesktopIdentity(home, keychain, quiet);
  const enc = readFileSync(join(home, ENCRYPTED_KEY_FILE));
  const flipped = enc.length - 20;
  enc.writeUInt8(enc.readUInt8(flipped) ^ 0xff, flipped);
  writeFileSync(join(home, ENCRYPTED_KEY_FILE), enc);
  const before = snapshot(home);
  await assert.rejects(loadDesktopIdentity(home, keychain, quiet), (err: Error) => {
    assert.ok(isClawError(err, 'CONFIG_INVALID'), "isClawError(err, 'CONFIG_INVALID')");
    assert.match(err.message, /identity\.key\.enc in .* cannot be decrypted with this system keychain/);
    assert.match(err.message, /restore identity\.key\.enc and the keychain from the same backup/);
    return true;
  });
  assert.deepEqual(snapshot(home), before);
});

test("another keychain's encrypted key is refused; a plain key left beside it is named, nothing deleted", async () => {
  const { home } = await plainHome();
  const plainKey = readFileSync(join(home, KEY_FILE));
  await loadDesktopIdentity(home, new FakeKeychain(), quiet);
  // As if a migration from the old keychain was interrupted and the keychain then replaced.
  writeFileSync(join(home, KEY_FILE), plainKey, { mode: 0o600 });
  const before = snapshot(home);
  await assert.rejects(
    loadDesktopIdentity(home, new FakeKeychain(), quiet),
    /cannot be decrypted .*; identity\.key is still there: move identity\.key\.enc out of .* to use it/,
  );
  assert.deepEqual(snapshot(home), before);
});

test('an encrypted key that is not the certificate’s key is refused and nothing is deleted', async () => {
  const home = newHome();
  const keychain = new FakeKeychain();
  await loadDesktopIdentity(home, keychain, quiet);
  const other = newHome();
  await loadDesktopIdentity(other, keychain, quiet);
  writeFileSync(join(home, ENCRYPTED_KEY_FILE), readFileSync(join(other, ENCRYPTED_KEY_FILE)));
  const before = snapshot(home);
  await assert.rejects(
    loadDesktopIdentity(home, keychain, quiet),
    /identity in .* is damaged .*does not match/,
  );
  assert.deepEqual(snapshot(home), before);
});

test('a plain key that is not this node’s is left beside the encrypted one, with a warning', async () => {
  const home = newHome();
  const keychain = new FakeKeychain();
  const { fingerprint } = await loadDesktopIdentity(home, keychain, quiet);
  const stranger = await plainHome();
  writeFileSync(join(home, KEY_FILE), readFileSync(join(stranger.home, KEY_FILE)), { mode: 0o600 });
  const warnings: string[] = [];
  const loaded = await loadDesktopIdentity(home, keychain, {
    platform: 'linux',
    warn: (l) => warnings.push(l),
  });
  assert.equal(loaded.fingerprint, fingerprint);
  assert.deepEqual(files(home), [CERT_FILE, KEY_FILE, ENCRYPTED_KEY_FILE].sort());
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /identity\.key in .* is not this node's key .* left in place/);
});

test(
  'a plain key left beside the encrypted one and readable by others is set to 0600 with the warning',
  { skip: !unix },
  async () => {
    const home = newHome();
    const keychain = new FakeKeychain();
    await loadDesktopIdentity(home, keychain, quiet);
    const stranger = await plainHome();
    writeFileSync(join(home, KEY_FILE), readFileSync(join(stranger.home, KEY_FILE)));
    chmodSync(join(home, KEY_FILE), 0o644);
    const warnings: string[] = [];
    await loadDesktopIdentity(home, keychain, { platform: 'linux', warn: (l) => warnings.push(l) });
    assert.equal(statSync(join(home, KEY_FILE)).mode & 0o777, 0o600);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /was readable by others \(mode 0644\); changed to 0600/);
    assert.match(warnings[1]!, /is not this node's key/);
  },
);

test('a keychain that gives back a different key keeps the plain key and says so', async () => {
  const { home, fingerprint } = await plainHome();
  const keychain = new FakeKeychain();
  keychain.lie = 'not the key';
  const warnings: string[] = [];
  const loaded = await loadDesktopIdentity(home, keychain, {
    platform: 'linux',
    warn: (l) => warnings.push(l),
  });
  assert.equal(loaded.fingerprint, fingerprint);
  assert.deepEqual(files(home), [CERT_FILE, KEY_FILE]);
  assert.match(
    warnings.join('\n'),
    /could not keep the identity key encrypted \(reading it back gave a different key\)/,
  );
});

test('without encryption the key is the plain 0600 file, as the CLI keeps it', async () => {
  const home = newHome();
  const keychain = new FakeKeychain();
  keychain.available = false;
  const created = await loadDesktopIdentity(home, keychain, quiet);
  assert.deepEqual(files(home), [CERT_FILE, KEY_FILE]);
  if (unix) assert.equal(statSync(join(home, KEY_FILE)).mode & 0o777, 0o600);
  assert.equal((await loadOrCreateIdentity(home)).fingerprint, created.fingerprint);
});

test("Linux's basic_text backend counts as no encryption; on macOS and Windows the backend is not asked", async () => {
  const keychain = new FakeKeychain();
  keychain.backend = 'basic_text';
  assert.equal(keyProtection(keychain, 'linux'), 'file');
  keychain.backend = 'unknown';
  assert.equal(keyProtection(keychain, 'linux'), 'file');
  keychain.backend = 'kwallet6';
  assert.equal(keyProtection(keychain, 'linux'), 'encrypted');
  keychain.getSelectedStorageBackend = () => assert.fail('Linux only');
  assert.equal(keyProtection(keychain, 'darwin'), 'encrypted');
  assert.equal(keyProtection(keychain, 'win32'), 'encrypted');
  keychain.available = false;
  assert.equal(keyProtection(keychain, 'darwin'), 'file');

  const { home, fingerprint } = await plainHome();
  const basic = new FakeKeychain();
  basic.backend = 'basic_text';
  assert.equal((await loadDesktopIdentity(home, basic, quiet)).fingerprint, fingerprint);
  assert.deepEqual(files(home), [CERT_FILE, KEY_FILE], 'the plain key was not migrated');
});

test('an encrypted key while the keychain is unavailable is a clear error and nothing is deleted', async () => {
  const home = newHome();
  const keychain = new FakeKeychain();
  await loadDesktopIdentity(home, keychain, quiet);
  keychain.available = false;
  const before = snapshot(home);
  await assert.rejects(
    loadDesktopIdentity(home, keychain, quiet),
    /encrypted with the system keychain, which is not available now; unlock or restore the keychain/,
  );
  assert.deepEqual(snapshot(home), before);
});

test('the CLI meeting the encrypted key says in one line that the desktop app holds it', async () => {
  const home = newHome();
  await loadDesktopIdentity(home, new FakeKeychain(), quiet);
  const before = snapshot(home);
  await assert.rejects(loadOrCreateIdentity(home), (err: Error) => {
    assert.ok(isClawError(err, 'KEY_IN_DESKTOP_APP'), "isClawError(err, 'KEY_IN_DESKTOP_APP')");
    assert.equal(err.message, KEY_IN_DESKTOP_APP_MESSAGE);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  assert.deepEqual(snapshot(home), before, 'the CLI created no second identity');
});

test('a relative home is refused', async () => {
  await assert.rejects(
    loadDesktopIdentity('relative/home', new FakeKeychain(), quiet),
    /must be an absolute path/,
  );
});
