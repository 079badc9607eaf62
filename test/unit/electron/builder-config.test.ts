/**
 * Loads electron-builder.yml the way `electron-builder` does (app-builder-lib's getConfig) and checks it
 * against electron-builder's own JSON schema (validateConfiguration), then pins the settings that
 * architecture.md §The desktop app and the window depends on. Runs under Node 20: app-builder-lib 26 needs only Node ≥14 for this part.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger, setPrinter } from 'builder-util';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// electron-builder's log writes to stdout, where node:test's child sends its serialized reports: a
// line landing inside one of those frames failed the whole file now and then ("Unable to deserialize
// cloned data"). Its lines go to stderr instead.
setPrinter((message: string) => process.stderr.write(`${message}\n`));
// Loaded once: getConfig logs a line every time it reads the file.
const loaded = getConfig(root, 'electron-builder.yml', null);
const load = () => loaded.then((c) => structuredClone(c));

test('electron-builder.yml passes electron-builder schema validation', async () => {
  await validateConfiguration(await load(), new DebugLogger(false));
});

test('the validator is live: an unknown option is rejected', async () => {
  const config = { ...(await load()), notAnOption: true } as never;
  await assert.rejects(
    validateConfiguration(config, new DebugLogger(false)),
    /unknown property 'notAnOption'/,
  );
});

test('targets, tray-only mac app, per-user installer, deep links and node-pty outside the asar', async () => {
  const c = await load();
  assert.equal(c.appId, 'dev.clawbridge.app');
  assert.equal(c.productName, 'Clawbridge');
  // The zip beside the dmg is what Squirrel.Mac updates from (docs/adr/0077-desktop-updates.md).
  assert.deepEqual(c.mac?.target, [
    { target: 'dmg', arch: ['x64', 'arm64'] },
    { target: 'zip', arch: ['x64', 'arm64'] },
  ]);
  assert.equal(c.mac?.extendInfo?.LSUIElement, true);
  assert.equal(c.win?.target, 'nsis');
  assert.equal(c.nsis?.perMachine, false);
  assert.equal(c.nsis?.createStartMenuShortcut, true);
  assert.deepEqual(c.linux?.target, ['AppImage', 'deb']);
  assert.deepEqual(c.protocols, [{ name: 'Clawbridge', schemes: ['clawbridge'] }]);
  // What the packed app holds is checked on a real pack in test/packaging/app-bundle.test.ts.
  assert.deepEqual(c.asarUnpack, ['node_modules/node-pty/**']);
});

test('Electron fuses close run-as-node, NODE_OPTIONS, --inspect and non-asar loading', async () => {
  assert.deepEqual((await load()).electronFuses, {
    resetAdHocDarwinSignature: true,
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
  });
});

test('updates: the release feed is GitHub releases, with feed files for every channel', async () => {
  const c = await load();
  assert.deepEqual(c.publish, { provider: 'github', releaseType: 'release' });
  assert.equal(c.generateUpdatesFilesForAllChannels, true);
});
