/**
 * The release's signing script (scripts/sign-update-metadata.ts, docs/adr/0084-signed-update-metadata.md):
 * it signs every feed file of a release folder and nothing else, refuses a key the app does not ship
 * (writing nothing), and what it writes is what the app's real updater accepts. Run as the workflow
 * runs it, too: `node --import tsx scripts/sign-update-metadata.ts <folder>`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newKeyPair, signFeedFolder } from '../../../scripts/sign-update-metadata.js';
import {
  updateMetadataProblem,
  updatePublicKey,
} from '../../../src-main/crypto/update-metadata-signature.js';
import { updateController } from '../../../src-main/electron/update-controller.js';
import { updaterEngine } from '../../../src-main/electron/update-engine.js';
import { tempDir } from '../../helpers/temp-dir.js';
import {
  appImageLike,
  appImageUpdater,
  installedApp,
  startFeed,
  testSigningKey,
} from '../../helpers/update-feed.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/sign-update-metadata.ts', import.meta.url));
const FEED_FILES = ['beta-linux.yml', 'latest-linux.yml', 'latest-mac.yml', 'latest.yml'];

/** A release folder as the workflow collects it: feed files, installers, a blockmap, builder's debug file. */
function releaseFolder(): string {
  const dir = tempDir('cb-release-');
  for (const name of FEED_FILES) writeFileSync(join(dir, name), `version: 1.1.0\npath: ${name}.bin\n`);
  for (const name of ['Clawbridge-1.1.0.AppImage', 'Clawbridge-1.1.0.AppImage.blockmap', 'builder-debug.yml'])
    writeFileSync(join(dir, name), name);
  return dir;
}

const b64 = (seed: Uint8Array) => Buffer.from(seed).toString('base64');

test('every feed file gets a .sig that verifies with the shipped key; nothing else is signed', () => {
  const dir = releaseFolder();
  const key = testSigningKey();
  assert.deepEqual(signFeedFolder(dir, b64(key.seed), [key.publicKey]), FEED_FILES);
  for (const name of FEED_FILES) {
    const sig = readFileSync(join(dir, `${name}.sig`), 'utf8');
    assert.match(sig, /^[A-Za-z0-9+/]{86}==\n$/);
    assert.equal(updateMetadataProblem(name, readFileSync(join(dir, name)), sig, [key.publicKey]), undefined);
  }
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.sig')),
    FEED_FILES.map((n) => `${n}.sig`),
  );
});

test('no key, a malformed key, a key the app does not ship, or no feed file: refused, and nothing written', () => {
  const shipped = testSigningKey();
  const other = testSigningKey();
  const cases: [string | undefined, RegExp][] = [
    [undefined, /UPDATE_SIGNING_KEY is not set/],
    ['', /UPDATE_SIGNING_KEY is not set/],
    ['c2hvcnQ=', /not a base64 32-byte Ed25519 key/],
    [b64(other.seed), /is not one the app ships .*its apps would refuse this release/],
  ];
  for (const [seed, expected] of cases) {
    const dir = releaseFolder();
    assert.throws(() => signFeedFolder(dir, seed, [shipped.publicKey]), expected);
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.sig')), String(seed));
  }
  assert.throws(
    () => signFeedFolder(tempDir('cb-release-'), b64(shipped.seed), [shipped.publicKey]),
    /no feed file/,
  );
});

test('as the workflow runs it: a key this source tree does not ship fails the step; --new-key makes a matching pair', () => {
  const dir = releaseFolder();
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
  const refused = run([dir], { UPDATE_SIGNING_KEY: b64(testSigningKey().seed) });
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /is not one the app ships/);
  assert.ok(
    !readdirSync(dir).some((n) => n.endsWith('.sig')),
    "!readdirSync(dir).some((n) => n.endsWith('.sig'))",
  );

  const made = run(['--new-key']);
  assert.equal(made.status, 0, made.stderr);
  const publicKey = /^public key .*: (\S+)$/m.exec(made.stdout)?.[1];
  const secret = /^private key .*: (\S+)$/m.exec(made.stdout)?.[1];
  assert.ok(publicKey && secret, made.stdout);
  assert.equal(updatePublicKey(Buffer.from(secret, 'base64')), publicKey);
  assert.notEqual(newKeyPair().secret, secret, 'each key is new');
});

test("the app's real updater takes a release the script signed", async () => {
  const dir = tempDir('cb-feed-');
  const feed = await startFeed(dir);
  try {
    // The feed as electron-builder leaves it (unsigned), then signed by the script.
    feed.offer('1.1.0', appImageLike('new 1.1.0'), { signing: 'none' });
    assert.ok(
      !existsSync(join(dir, 'latest-linux.yml.sig')),
      "!existsSync(join(dir, 'latest-linux.yml.sig'))",
    );
    signFeedFolder(dir, b64(feed.key.seed), [feed.key.publicKey]);
    const installed = installedApp(tempDir('cb-update-'), '1.0.0', feed.url);
    const updates = updateController({
      current: '1.0.0',
      support: { kind: 'in-place' },
      prefs: {
        updates: () => ({ mode: 'automatic', channel: 'stable' }),
        setUpdates: () => {},
        lastUpdateCheck: () => null,
        setLastUpdateCheck: () => {},
      },
      fleet: null,
      engine: (c) =>
        updaterEngine(appImageUpdater(installed.adapter), c.channel, feed.url, () => {}, [
          feed.key.publicKey,
        ]),
      running: () => Promise.resolve({ terminals: 0, served: 0, transfers: 0 }),
      handOver: () => Promise.resolve(),
      log: () => {},
    });
    const { state } = await updates.checkNow();
    assert.deepEqual(state, { phase: 'ready', version: '1.1.0', notes: 'Faster file transfers.' });
    assert.deepEqual(feed.downloads(), ['/Clawbridge-1.1.0.AppImage']);
  } finally {
    await feed.close();
  }
});
