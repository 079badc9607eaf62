/**
 * The home and the identity key on disk (home/identity-store.ts, state/settings-file.ts): the home is 0700 from
 * the start, whichever module creates it first, and a key readable by others is set back to 0600 with
 * a warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  CERT_FILE,
  createIdentity,
  KEY_FILE,
  loadOrCreateIdentity,
  nodeKeyFileSystem,
  writeFileDurably,
  type KeyFileSystem,
} from '../../../src-main/home/identity-store.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { tempDir } from '../../helpers/temp-dir.js';

const unix = process.platform !== 'win32';
const newHome = () => join(tempDir('cb-idstore-'), 'deep', 'Clawbridge');
const mode = (path: string) => statSync(path).mode & 0o777;

test(
  'agent start from no home (settings first, as `clawbridge agent` does): home 0700, key 0600',
  { skip: !unix },
  async () => {
    const home = newHome();
    // server-commands.ts reads the saved settings before runAgent loads or creates the identity.
    NodeState.open(home).setOptions({ name: 'laptop' });
    assert.equal(mode(home), 0o700, 'the settings store must not create the home with the default mode');
    const warnings: string[] = [];
    const identity = await loadOrCreateIdentity(home, { warn: (l) => warnings.push(l) });
    assert.equal(mode(home), 0o700);
    assert.equal(mode(join(home, KEY_FILE)), 0o600);
    assert.equal(mode(join(home, CERT_FILE)), 0o644);
    assert.equal(mode(join(home, 'config.json')), 0o600);
    assert.equal(warnings.length, 0);
    assert.deepEqual(
      readdirSync(home).sort(),
      [CERT_FILE, KEY_FILE, 'config.json'].sort(),
      'no temp file left',
    );
    // Loading again gives the same identity, silently.
    assert.equal(
      (await loadOrCreateIdentity(home, { warn: (l) => warnings.push(l) })).fingerprint,
      identity.fingerprint,
    );
    assert.equal(warnings.length, 0);
  },
);

test('identity first (`clawbridge id`): home 0700 too', { skip: !unix }, async () => {
  const home = newHome();
  await loadOrCreateIdentity(home, { warn: () => assert.fail('no warning expected') });
  assert.equal(mode(home), 0o700);
  assert.equal(mode(join(home, KEY_FILE)), 0o600);
});

test('a home left 0755 by an older version is tightened to 0700', { skip: !unix }, async () => {
  const home = newHome();
  await loadOrCreateIdentity(home);
  chmodSync(home, 0o755);
  NodeState.open(home);
  assert.equal(mode(home), 0o700);
});

test('a key readable by others is changed to 0600, with a warning', { skip: !unix }, async () => {
  const home = newHome();
  const { fingerprint } = await loadOrCreateIdentity(home);
  const keyPath = join(home, KEY_FILE);
  chmodSync(keyPath, 0o644);
  const warnings: string[] = [];
  const again = await loadOrCreateIdentity(home, { warn: (l) => warnings.push(l) });
  assert.equal(again.fingerprint, fingerprint);
  assert.equal(mode(keyPath), 0o600);
  assert.deepEqual(warnings, [
    `identity key ${keyPath} was readable by others (mode 0644); changed to 0600 — if others could read it, re-create the identity`,
  ]);
  // Group-readable counts too; a fixed key is quiet afterwards.
  chmodSync(keyPath, 0o640);
  warnings.length = 0;
  await loadOrCreateIdentity(home, { warn: (l) => warnings.push(l) });
  assert.equal(mode(keyPath), 0o600);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /\(mode 0640\); changed to 0600/);
  await loadOrCreateIdentity(home, { warn: (l) => warnings.push(l) });
  assert.equal(warnings.length, 1);
});

test('a home whose identity is gone but whose config.json has peers is refused, not given a new identity', async () => {
  const home = newHome();
  const first = await loadOrCreateIdentity(home);
  NodeState.open(home).addPeer({
    fingerprint: 'b'.repeat(64),
    name: 'office',
    allow: ['terminal'],
    addresses: [],
    addedAt: new Date(0).toISOString(),
  });
  for (const f of [CERT_FILE, KEY_FILE]) rmSync(join(home, f));
  await assert.rejects(loadOrCreateIdentity(home), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.match(
      err.message,
      /has a peer in config\.json but no identity .*Restore the identity files from a backup, or move config\.json away/,
    );
    return true;
  });
  assert.deepEqual(readdirSync(home), ['config.json'], 'nothing was created');
  // Without peers (a fresh home, or config.json moved away) a new identity is made as usual.
  renameSync(join(home, 'config.json'), join(home, 'config.json.old'));
  assert.notEqual((await loadOrCreateIdentity(home)).fingerprint, first.fingerprint);
});

test('a home that is a file, or an identity file that is a directory, is named in a clear line', async () => {
  const parent = tempDir('cb-idstore-');
  const fileHome = join(parent, 'home');
  writeFileSync(fileHome, 'not a folder');
  await assert.rejects(loadOrCreateIdentity(fileHome), {
    message: `home ${fileHome} is not a directory (a file is in the way): move the file, or pick another --home`,
  });
  const home = join(parent, 'real');
  await loadOrCreateIdentity(home);
  rmSync(join(home, KEY_FILE));
  mkdirSync(join(home, KEY_FILE));
  await assert.rejects(loadOrCreateIdentity(home), {
    message: `${join(home, KEY_FILE)} is a directory, not a file: move it away`,
  });
});

test(
  'identity files that are links to nothing are refused, not replaced by a new identity',
  { skip: !unix },
  async () => {
    const home = newHome();
    await loadOrCreateIdentity(home);
    const gone = join(tempDir('cb-idstore-gone-'), 'unmounted');
    for (const f of [CERT_FILE, KEY_FILE]) {
      rmSync(join(home, f));
      symlinkSync(join(gone, f), join(home, f));
    }
    await assert.rejects(loadOrCreateIdentity(home), /is a link to .*unmounted.*, which does not exist/);
    assert.ok(lstatSync(join(home, KEY_FILE)).isSymbolicLink(), 'the link is left as it was');
  },
);

test('a first identity the disk cannot hold leaves nothing behind, and says which file', async () => {
  const home = tempDir('cb-idstore-full-');
  const written = new Map<string, string | Uint8Array>();
  const full: KeyFileSystem = {
    ...nodeKeyFileSystem,
    createSynced: (path, data) => {
      // Room for the key, none for the certificate (the order createIdentity writes them in).
      if (path.includes(CERT_FILE)) {
        written.set(path, 'half');
        return Promise.reject(
          Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
        );
      }
      written.set(path, data);
      return Promise.resolve();
    },
    rename: (from, to) => {
      written.set(to, written.get(from)!);
      written.delete(from);
      return Promise.resolve();
    },
    remove: (path) => (written.delete(path), Promise.resolve()),
    syncDir: () => Promise.resolve(),
  };
  const keyPath = join(home, KEY_FILE);
  await assert.rejects(
    createIdentity(
      home,
      (pem) => writeFileDurably(full, keyPath, pem, 0o600),
      full,
      () => full.remove(keyPath),
    ),
    (err: Error) =>
      err.message ===
      `cannot write ${join(home, CERT_FILE)}: the disk holding ${home} is full: free space and try again`,
  );
  assert.deepEqual([...written.keys()], [], 'neither the new key nor a temp file is left');
});
