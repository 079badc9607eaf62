/**
 * Loads this node's identity from its home, creating it on first run. The private key is written with
 * mode 0600 via a temp file + rename, so a crash never leaves half a key behind; a key found readable
 * by group/others is set back to 0600, with a warning.
 */
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClawError } from '../core/errors.js';
import { generateIdentity, loadIdentity, type Identity } from '../crypto/identity.js';
import { ensureHomeDir } from './home-dir.js';

export const CERT_FILE = 'identity.crt';
export const KEY_FILE = 'identity.key';

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  // A leftover temp file would keep its old mode: start from a new file.
  await rm(tmp, { force: true });
  await writeFile(tmp, data, { mode, flag: 'wx' });
  await rename(tmp, path);
}

/** Creates the home (mode 0700) if needed; see ensureHomeDir. */
export function ensureHome(home: string): Promise<void> {
  ensureHomeDir(home);
  return Promise.resolve();
}

export interface IdentityStoreOptions {
  /** Where a one-line warning goes (a key that was readable by others); stderr by default. */
  warn?: (line: string) => void;
}

const warnOnStderr = (line: string) => {
  process.stderr.write(`clawbridge: ${line}\n`);
};

/** Sets a key file readable by group/others back to 0600 and says so (ssh refuses such keys; we repair). */
async function protectKey(keyPath: string, warn: (line: string) => void): Promise<void> {
  if (process.platform === 'win32') return;
  const mode = (await stat(keyPath)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const was = `0${mode.toString(8).padStart(3, '0')}`;
  try {
    await chmod(keyPath, 0o600);
  } catch (err) {
    throw new ClawError(
      'CONFIG_INVALID',
      `identity key ${keyPath} is readable by others (mode ${was}) and cannot be changed (${(err as Error).message}); run chmod 600 on it`,
    );
  }
  warn(
    `identity key ${keyPath} was readable by others (mode ${was}); changed to 0600 — if others could read it, re-create the identity`,
  );
}

export async function loadOrCreateIdentity(home: string, opts: IdentityStoreOptions = {}): Promise<Identity> {
  ensureHomeDir(home);
  const certPath = join(home, CERT_FILE);
  const keyPath = join(home, KEY_FILE);
  const [certPem, keyPem] = await Promise.all([
    readFile(certPath, 'utf8').catch(() => undefined),
    readFile(keyPath, 'utf8').catch(() => undefined),
  ]);
  if (keyPem !== undefined) await protectKey(keyPath, opts.warn ?? warnOnStderr);
  if (certPem !== undefined && keyPem !== undefined) {
    try {
      return loadIdentity(certPem, keyPem);
    } catch (err) {
      throw new ClawError(
        'CONFIG_INVALID',
        `identity in ${home} is damaged (${(err as Error).message}); restore ${CERT_FILE} and ${KEY_FILE} from a backup, or move both away to create a new identity (peers will have to re-pair)`,
      );
    }
  }
  if (certPem !== undefined || keyPem !== undefined) {
    throw new ClawError(
      'CONFIG_INVALID',
      `identity in ${home} is incomplete: found only ${certPem !== undefined ? CERT_FILE : KEY_FILE}; restore the other file, or move it away to create a new identity`,
    );
  }
  const identity = await generateIdentity();
  await writeAtomic(keyPath, identity.keyPem, 0o600);
  await writeAtomic(certPath, identity.certPem, 0o644);
  return identity;
}
