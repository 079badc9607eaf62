/**
 * Loads this node's identity from its home, creating it on first run. The private key is written with
 * mode 0600 via a temp file + rename, so a crash never leaves half a key behind.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClawError } from '../core/errors.js';
import { generateIdentity, loadIdentity, type Identity } from '../crypto/identity.js';

export const CERT_FILE = 'identity.crt';
export const KEY_FILE = 'identity.key';

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

export async function ensureHome(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
}

export async function loadOrCreateIdentity(home: string): Promise<Identity> {
  await ensureHome(home);
  const certPath = join(home, CERT_FILE);
  const keyPath = join(home, KEY_FILE);
  const [certPem, keyPem] = await Promise.all([
    readFile(certPath, 'utf8').catch(() => undefined),
    readFile(keyPath, 'utf8').catch(() => undefined),
  ]);
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
