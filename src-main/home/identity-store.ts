/**
 * Loads this node's identity from its home, creating it on first run (docs/security.md §Where the key
 * is kept). The private key is a 0600 file written durably (temp file, fsync, rename, fsync of the
 * folder), so a crash never leaves half a key behind; a key found readable by group/others is set back
 * to 0600, with a warning. The desktop app keeps the key encrypted instead (electron/key-at-rest.ts);
 * the CLI cannot decrypt it and says so in one line.
 */
import { chmod, open, readFile, readlink, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ClawError } from '../core/errors.js';
import { X509Certificate } from 'node:crypto';
import { generateIdentity, loadIdentity, type Identity } from '../crypto/identity.js';
import { fingerprintOfCert } from '../crypto/signature.js';
import { ensureHomeDir } from './home-dir.js';
import { removeStaleTempFiles } from './stale-temp-files.js';
import { tempPathFor } from './durable-file.js';
import { fileProblem } from '../core/file-errors.js';

export const CERT_FILE = 'identity.crt';
export const KEY_FILE = 'identity.key';
/** The key as the desktop app keeps it: encrypted with the OS keychain (Electron safeStorage). */
export const ENCRYPTED_KEY_FILE = 'identity.key.enc';
/** Every file of the identity, as its temp files are named after them (stale-temp-files.ts). */
export const IDENTITY_FILES = [CERT_FILE, KEY_FILE, ENCRYPTED_KEY_FILE] as const;

/**
 * The file operations that storing a key needs, one call per step, so a test can fail any single step
 * and check what a crash at that point leaves on disk.
 */
export interface KeyFileSystem {
  /** The file's bytes, or undefined when it does not exist. */
  read: (path: string) => Promise<Buffer | undefined>;
  /** Creates `path` (which must not exist) with `mode`, writes `data` and fsyncs it. */
  createSynced: (path: string, data: string | Uint8Array, mode: number) => Promise<void>;
  rename: (from: string, to: string) => Promise<void>;
  /** Removes `path`; a missing file is not an error. */
  remove: (path: string) => Promise<void>;
  /** Makes the renames and removals in `dir` durable (no-op where folders cannot be fsynced). */
  syncDir: (dir: string) => Promise<void>;
}

/** KeyFileSystem on node:fs. */
export const nodeKeyFileSystem: KeyFileSystem = {
  read: (path) =>
    readFile(path).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw fileProblem(path, err, 'read');
      // A link to nothing (keys kept on a disk not mounted yet) is not "no key": a new identity
      // written over it would replace the one every peer pinned.
      const target = await readlink(path).catch(() => undefined);
      if (target === undefined) return undefined;
      throw new ClawError(
        'CONFIG_INVALID',
        `${path} is a link to ${target}, which does not exist; make it reachable again (or remove the link)`,
      );
    }),
  async createSynced(path, data, mode) {
    const handle = await open(path, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
  async syncDir(dir) {
    // Windows cannot open a folder for fsync; NTFS journals the rename itself.
    if (process.platform === 'win32') return;
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/**
 * Replaces `path` with `data` so that a reader sees the old file or the whole new one, never a part,
 * and the new one survives a power cut once this resolves.
 */
export async function writeFileDurably(
  fs: KeyFileSystem,
  path: string,
  data: string | Uint8Array,
  mode: number,
): Promise<void> {
  const tmp = tempPathFor(path);
  // A leftover temp file would keep its old mode: start from a new file.
  await fs.remove(tmp);
  try {
    await fs.createSynced(tmp, data, mode);
    await fs.rename(tmp, path);
  } catch (err) {
    // A full disk, say: no half-written temp file left behind, and the error names the file.
    await fs.remove(tmp).catch(() => undefined);
    throw fileProblem(path, err, 'write');
  }
  await fs.syncDir(dirname(path));
}

export interface IdentityStoreOptions {
  /** Where a one-line warning goes (a key that was readable by others); stderr by default. */
  warn?: (line: string) => void;
}

/** Where one-line warnings about key files go by default (the CLI's `clawbridge: …` lines). */
export const warnOnStderr = (line: string) => {
  process.stderr.write(`clawbridge: ${line}\n`);
};

/**
 * Sets a key file readable by group/others back to 0600 and says so (ssh refuses such keys; we repair).
 * `what` names the key in the lines (`identity key`), `remedy` says what to do if others read it.
 */
export async function protectKey(
  keyPath: string,
  warn: (line: string) => void,
  what = 'identity key',
  remedy = 're-create the identity',
): Promise<void> {
  if (process.platform === 'win32') return;
  const mode = (await stat(keyPath)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const was = `0${mode.toString(8).padStart(3, '0')}`;
  try {
    await chmod(keyPath, 0o600);
  } catch (err) {
    throw new ClawError(
      'CONFIG_INVALID',
      `${what} ${keyPath} is readable by others (mode ${was}) and cannot be changed (${(err as Error).message}); run chmod 600 on it`,
    );
  }
  warn(
    `${what} ${keyPath} was readable by others (mode ${was}); changed to 0600 — if others could read it, ${remedy}`,
  );
}

/** The one line a CLI meets when the desktop app holds this home's key (see docs/security.md). */
export const KEY_IN_DESKTOP_APP_MESSAGE =
  "the desktop app keeps this node's key encrypted with the system keychain; CLI commands go through the running app (start Clawbridge), or use another --home for a separate node";

/** Checks a loaded certificate and key belong together, naming the files to restore when not. */
export function checkedIdentity(home: string, certPem: string, keyPem: string, keyFile: string): Identity {
  try {
    return loadIdentity(certPem, keyPem);
  } catch (err) {
    throw new ClawError(
      'CONFIG_INVALID',
      `identity in ${home} is damaged (${(err as Error).message}); restore ${CERT_FILE} and ${keyFile} from a backup, or move both away to create a new identity (peers will have to re-pair)`,
    );
  }
}

/** The error for a home holding one half of an identity. */
export function incompleteIdentity(home: string, found: string, missing: string): ClawError {
  return new ClawError(
    'CONFIG_INVALID',
    `identity in ${home} is incomplete: found only ${found}; restore ${missing}, or move ${found} away to create a new identity`,
  );
}

/**
 * Refuses to make a new identity in a home whose config.json already has peers: they know this node by
 * the fingerprint of the identity that is missing, and a new one would be a stranger to all of them
 * (identity files deleted or lost in a restore that took only part of the home).
 */
export async function refuseNewIdentityWithPeers(
  home: string,
  fs: KeyFileSystem = nodeKeyFileSystem,
): Promise<void> {
  const config = await fs.read(join(home, 'config.json'));
  if (config === undefined) return;
  let peers = 0;
  try {
    const parsed = JSON.parse(config.toString('utf8')) as { peers?: unknown };
    peers = Array.isArray(parsed.peers) ? parsed.peers.length : 0;
  } catch {
    return; // the settings store says what is wrong with the file
  }
  if (peers === 0) return;
  throw new ClawError(
    'CONFIG_INVALID',
    `${home} has ${peers === 1 ? 'a peer' : `${peers} peers`} in config.json but no identity (${CERT_FILE} and its key): they know this node by that identity's fingerprint, and a new one would be a stranger to them. Restore the identity files from a backup, or move config.json away to start as a new node`,
  );
}

/**
 * Generates a new identity for `home` and stores it: the key through `storeKey` (a 0600 file here,
 * encrypted in the desktop app), then the certificate. The key goes first so a crash in between
 * leaves no certificate without its key. When the certificate cannot be written (a full disk), the
 * new key is taken back with `discardKey`: no one knows it yet, and a key without its certificate
 * would stop every later start ("identity incomplete") though there is nothing to restore.
 */
export async function createIdentity(
  home: string,
  storeKey: (keyPem: string) => Promise<void>,
  fs: KeyFileSystem = nodeKeyFileSystem,
  discardKey?: () => Promise<void>,
): Promise<Identity> {
  const identity = await generateIdentity();
  await storeKey(identity.keyPem);
  try {
    await writeFileDurably(fs, join(home, CERT_FILE), identity.certPem, 0o644);
  } catch (err) {
    await discardKey?.().catch(() => undefined);
    throw err;
  }
  return identity;
}

export async function loadOrCreateIdentity(home: string, opts: IdentityStoreOptions = {}): Promise<Identity> {
  ensureHomeDir(home);
  removeStaleTempFiles(home, IDENTITY_FILES);
  const fs = nodeKeyFileSystem;
  const certPath = join(home, CERT_FILE);
  const keyPath = join(home, KEY_FILE);
  const [cert, key] = await Promise.all([fs.read(certPath), fs.read(keyPath)]);
  if (key === undefined && (await fs.read(join(home, ENCRYPTED_KEY_FILE))) !== undefined) {
    // Only the desktop app's main process can ask the keychain to decrypt it (Electron safeStorage).
    throw new ClawError('KEY_IN_DESKTOP_APP', KEY_IN_DESKTOP_APP_MESSAGE);
  }
  if (key !== undefined) await protectKey(keyPath, opts.warn ?? warnOnStderr);
  if (cert !== undefined && key !== undefined) {
    return checkedIdentity(home, cert.toString('utf8'), key.toString('utf8'), KEY_FILE);
  }
  if (cert !== undefined) throw incompleteIdentity(home, CERT_FILE, KEY_FILE);
  if (key !== undefined) throw incompleteIdentity(home, KEY_FILE, CERT_FILE);
  await refuseNewIdentityWithPeers(home, fs);
  return createIdentity(
    home,
    (keyPem) => writeFileDurably(fs, keyPath, keyPem, 0o600),
    fs,
    () => fs.remove(keyPath),
  );
}

/**
 * This node's fingerprint for `clawbridge id`: from the certificate alone when the desktop app keeps
 * the key (the fingerprint is the certificate's; the key is not needed to say who the node is),
 * otherwise from the identity loaded, or created on first run, as the agent would.
 */
export async function nodeFingerprint(home: string): Promise<string> {
  const fs = nodeKeyFileSystem;
  const [cert, plainKey, encryptedKey] = await Promise.all([
    fs.read(join(home, CERT_FILE)),
    fs.read(join(home, KEY_FILE)),
    fs.read(join(home, ENCRYPTED_KEY_FILE)),
  ]);
  if (cert !== undefined && plainKey === undefined && encryptedKey !== undefined) {
    try {
      return fingerprintOfCert(new Uint8Array(new X509Certificate(cert).raw));
    } catch (err) {
      throw new ClawError(
        'CONFIG_INVALID',
        `identity in ${home} is damaged (${(err as Error).message}); restore ${CERT_FILE} from a backup`,
      );
    }
  }
  return (await loadOrCreateIdentity(home)).fingerprint;
}
