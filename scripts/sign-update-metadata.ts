/**
 * Signs the update metadata of a release (docs/adr/0084-signed-update-metadata.md): every feed file
 * (`*.yml`: latest.yml, latest-mac.yml, latest-linux.yml, beta*.yml) in a folder gets `<file>.sig`,
 * an Ed25519 signature over its exact bytes with the key in `UPDATE_SIGNING_KEY` (base64, 32 bytes).
 * The release workflow runs it over the collected installers before publishing them. It refuses a
 * key whose public half the app does not ship (src-main/electron/update-signing-keys.ts): every app
 * of that release would refuse its own updates.
 *
 *   node --import tsx scripts/sign-update-metadata.ts <folder>     sign (UPDATE_SIGNING_KEY set)
 *   node --import tsx scripts/sign-update-metadata.ts --new-key    make a key pair (docs/desktop-app.md §Updates)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  base64Exact,
  signatureFileName,
  signUpdateMetadata,
  UPDATE_KEY_BYTES,
  updateMetadataProblem,
  updatePublicKey,
} from '../src-main/crypto/update-metadata-signature.js';
import { UPDATE_SIGNING_KEYS } from '../src-main/electron/update-signing-keys.js';

/** The environment variable (a CI secret) holding the signing key. */
export const SIGNING_KEY_ENV = 'UPDATE_SIGNING_KEY';

/**
 * Signs every `*.yml` in `dir` with `seedText` (base64) and checks each signature as the app will;
 * returns the files signed. Throws, having written nothing, when the key is malformed or not among
 * `shipped`, or when `dir` holds no feed file.
 */
export function signFeedFolder(
  dir: string,
  seedText: string | undefined,
  shipped: readonly string[],
): string[] {
  if (!seedText) throw new Error(`${SIGNING_KEY_ENV} is not set: a release's update metadata must be signed`);
  const seed = base64Exact(seedText, UPDATE_KEY_BYTES);
  if (!seed) throw new Error(`${SIGNING_KEY_ENV} is not a base64 ${UPDATE_KEY_BYTES}-byte Ed25519 key`);
  const publicKey = updatePublicKey(seed);
  if (!shipped.includes(publicKey))
    throw new Error(
      `${SIGNING_KEY_ENV}'s public key ${publicKey} is not one the app ships ` +
        '(src-main/electron/update-signing-keys.ts): its apps would refuse this release',
    );
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.yml') && name !== 'builder-debug.yml')
    .sort();
  if (files.length === 0) throw new Error(`no feed file (*.yml) in ${dir}`);
  const signed = files.map((name) => {
    const content = readFileSync(join(dir, name));
    const sig = signUpdateMetadata(name, content, seed);
    const problem = updateMetadataProblem(name, content, sig, shipped);
    if (problem) throw new Error(`${name}: ${problem}`);
    return { name, sig };
  });
  for (const { name, sig } of signed) writeFileSync(join(dir, signatureFileName(name)), sig);
  return files;
}

/** A new key pair: the private half for the CI secret, the public half for update-signing-keys.ts. */
export function newKeyPair(): { secret: string; publicKey: string } {
  const seed = ed25519.utils.randomSecretKey();
  return { secret: Buffer.from(seed).toString('base64'), publicKey: updatePublicKey(seed) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = process.argv[2];
  if (arg === '--new-key') {
    const { secret, publicKey } = newKeyPair();
    process.stdout.write(
      `public key (add to src-main/electron/update-signing-keys.ts): ${publicKey}\n` +
        `private key (the ${SIGNING_KEY_ENV} secret; keep it nowhere else): ${secret}\n`,
    );
  } else if (arg && !arg.startsWith('-')) {
    try {
      for (const name of signFeedFolder(arg, process.env[SIGNING_KEY_ENV], UPDATE_SIGNING_KEYS))
        process.stdout.write(`signed ${name} -> ${signatureFileName(name)}\n`);
    } catch (err) {
      process.stderr.write(`sign-update-metadata: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  } else {
    process.stderr.write('usage: sign-update-metadata.ts <folder> | --new-key\n');
    process.exitCode = 2;
  }
}
