/**
 * The desktop app's identity key at rest (docs/security.md §Where the key is kept): encrypted with
 * Electron's safeStorage — Keychain on macOS, DPAPI on Windows, libsecret or KWallet on Linux — in
 * `identity.key.enc`, where that protects anything; otherwise the 0600 `identity.key` the CLI uses.
 * safeStorage works only in the main process, so main loads the identity here and hands it to the
 * agent. Pure apart from the file system, which comes in as a KeyFileSystem so tests can fail any step.
 */
import { isAbsolute, join } from 'node:path';
import type { SafeStorage } from 'electron';
import { ClawError, errorMessage } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import { ensureHomeDir } from '../home/home-dir.js';
import { removeStaleTempFiles } from '../home/stale-temp-files.js';
import {
  CERT_FILE,
  checkedIdentity,
  createIdentity,
  ENCRYPTED_KEY_FILE,
  IDENTITY_FILES,
  incompleteIdentity,
  KEY_FILE,
  loadOrCreateIdentity,
  nodeKeyFileSystem,
  protectKey,
  writeFileDurably,
  refuseNewIdentityWithPeers,
  type KeyFileSystem,
} from '../home/identity-store.js';

/** The safeStorage calls used here; Electron's `safeStorage` has them all. */
export type KeyVault = Pick<
  SafeStorage,
  'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'
>;

export interface DesktopIdentityOptions {
  /** The OS, for the Linux backend check; process.platform by default. */
  platform?: NodeJS.Platform;
  fs?: KeyFileSystem;
  /** Where a one-line warning goes; stderr by default. */
  warn?: (line: string) => void;
}

/** How the key is kept: 'encrypted' with safeStorage, or a 0600 'file'. */
export type KeyProtection = 'encrypted' | 'file';

/**
 * Whether safeStorage protects anything here. On Linux, the 'basic_text' backend (no keyring found,
 * or `--password-store=basic`) encrypts with a fixed password built into Chromium, so anyone who can
 * read the file can decrypt it: no better than a 0600 file, and the CLI could no longer read the key.
 * 'unknown' means the app is not ready yet; main must call after 'ready'. Both count as unavailable.
 */
export function keyProtection(vault: KeyVault, platform: NodeJS.Platform = process.platform): KeyProtection {
  if (!vault.isEncryptionAvailable()) return 'file';
  if (platform === 'linux') {
    const backend = vault.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown') return 'file';
  }
  return 'encrypted';
}

const warnOnStderr = (line: string) => {
  process.stderr.write(`clawbridge: ${line}\n`);
};

/**
 * Loads this node's identity for the desktop app, creating it on first run.
 * - With usable encryption: reads `identity.key.enc`; a plain `identity.key` is migrated into it
 *   (first set back to 0600 with a warning when others could read it, as the CLI does)
 *   (written durably, read back and decrypted to the same key, and only then the plain file removed),
 *   so a crash at any point leaves the plain key, both, or the encrypted one — always a readable key.
 *   A new identity's key is stored encrypted only.
 * - Without: the plain 0600 file, exactly as the CLI keeps it.
 * @throws ClawError('CONFIG_INVALID') when a key file cannot be decrypted or does not match the
 *   certificate; nothing is deleted then.
 */
export async function loadDesktopIdentity(
  home: string,
  vault: KeyVault,
  options: DesktopIdentityOptions = {},
): Promise<Identity> {
  if (typeof home !== 'string' || !isAbsolute(home)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `the desktop app's home must be an absolute path, got ${String(home)}`,
    );
  }
  const fs = options.fs ?? nodeKeyFileSystem;
  const warn = options.warn ?? warnOnStderr;
  ensureHomeDir(home);
  removeStaleTempFiles(home, IDENTITY_FILES);
  const encPath = join(home, ENCRYPTED_KEY_FILE);
  const plainPath = join(home, KEY_FILE);
  const [cert, plain, enc] = await Promise.all([
    fs.read(join(home, CERT_FILE)),
    fs.read(plainPath),
    fs.read(encPath),
  ]);

  if (keyProtection(vault, options.platform) === 'file') {
    if (enc !== undefined && plain === undefined) {
      throw new ClawError(
        'CONFIG_INVALID',
        `the identity key in ${home} is encrypted with the system keychain, which is not available now; unlock or restore the keychain (on Linux: log in to a desktop session with GNOME Keyring or KWallet) and start Clawbridge again`,
      );
    }
    return loadOrCreateIdentity(home, { warn });
  }

  const store = new EncryptedKeyStore(home, vault, fs);
  if (enc !== undefined) {
    const keyPem = store.decrypt(enc, plain !== undefined);
    if (cert === undefined) throw incompleteIdentity(home, ENCRYPTED_KEY_FILE, CERT_FILE);
    const identity = checkedIdentity(home, cert.toString('utf8'), keyPem, ENCRYPTED_KEY_FILE);
    if (plain !== undefined) await finishMigration(home, plain, identity, fs, warn);
    return identity;
  }
  if (plain !== undefined) {
    if (cert === undefined) throw incompleteIdentity(home, KEY_FILE, CERT_FILE);
    const identity = checkedIdentity(home, cert.toString('utf8'), plain.toString('utf8'), KEY_FILE);
    // Encrypting it now does not undo that others could read it: say so, as the CLI does.
    await protectKey(plainPath, warn);
    try {
      await store.write(identity.keyPem);
    } catch (err) {
      return keepPlain(err);
    }
    await fs.remove(plainPath);
    await fs.syncDir(home);
    return identity;
  }
  if (cert !== undefined) throw incompleteIdentity(home, CERT_FILE, ENCRYPTED_KEY_FILE);
  await refuseNewIdentityWithPeers(home, fs);
  try {
    return await createIdentity(home, (keyPem) => store.write(keyPem), fs);
  } catch (err) {
    return keepPlain(err);
  }

  /** The keychain gave back something else than was stored: the key stays (or becomes) a 0600 file. */
  async function keepPlain(err: unknown): Promise<Identity> {
    if (!(err instanceof VerifyFailed)) throw err;
    await fs.remove(encPath);
    warn(`could not keep the identity key encrypted (${err.message}); it is a 0600 file in ${home}`);
    return loadOrCreateIdentity(home, { warn });
  }
}

/** A plain key left next to the encrypted one by an interrupted migration: removed once it is the same key. */
async function finishMigration(
  home: string,
  plain: Buffer,
  identity: Identity,
  fs: KeyFileSystem,
  warn: (line: string) => void,
): Promise<void> {
  // Whoever's key it is, it must not stay open to others while it waits here.
  await protectKey(join(home, KEY_FILE), warn);
  let samePlain = false;
  try {
    samePlain =
      checkedIdentity(home, identity.certPem, plain.toString('utf8'), KEY_FILE).keyPem === identity.keyPem;
  } catch {
    samePlain = false;
  }
  if (!samePlain) {
    warn(
      `${KEY_FILE} in ${home} is not this node's key (the encrypted ${ENCRYPTED_KEY_FILE} is); it was left in place — delete it once you know it is not needed`,
    );
    return;
  }
  await fs.remove(join(home, KEY_FILE));
  await fs.syncDir(home);
}

/** The encrypted key read back did not decrypt to the key just written. */
class VerifyFailed extends Error {}

/** `identity.key.enc`: safeStorage ciphertext of the PKCS#8 PEM, mode 0600. */
class EncryptedKeyStore {
  private readonly path: string;

  constructor(
    private readonly home: string,
    private readonly vault: KeyVault,
    private readonly fs: KeyFileSystem,
  ) {
    this.path = join(home, ENCRYPTED_KEY_FILE);
  }

  /** The key PEM in `data`; a clear error when the keychain cannot decrypt it (nothing is deleted). */
  decrypt(data: Buffer, plainToo: boolean): string {
    try {
      return this.vault.decryptString(data);
    } catch (err) {
      const way = plainToo
        ? `${KEY_FILE} is still there: move ${ENCRYPTED_KEY_FILE} out of ${this.home} to use it`
        : `restore ${ENCRYPTED_KEY_FILE} and the keychain from the same backup, or move ${CERT_FILE} and ${ENCRYPTED_KEY_FILE} away to create a new identity (peers will have to re-pair)`;
      throw new ClawError(
        'CONFIG_INVALID',
        `${ENCRYPTED_KEY_FILE} in ${this.home} cannot be decrypted with this system keychain (${errorMessage(err)}); ${way}`,
        { cause: err },
      );
    }
  }

  /** Writes the encrypted key durably, then reads it back from disk and checks it decrypts to `keyPem`. */
  async write(keyPem: string): Promise<void> {
    await writeFileDurably(this.fs, this.path, this.vault.encryptString(keyPem), 0o600);
    const back = await this.fs.read(this.path);
    let decrypted: string | undefined;
    try {
      decrypted = back === undefined ? undefined : this.vault.decryptString(back);
    } catch (err) {
      throw new VerifyFailed(`reading it back failed: ${errorMessage(err)}`);
    }
    if (decrypted !== keyPem) throw new VerifyFailed('reading it back gave a different key');
  }
}
