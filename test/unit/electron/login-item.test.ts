/** Start at login: the OS setting on macOS and Windows, an XDG autostart entry on Linux (in a temp dir). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AUTOSTART_FILE,
  HIDDEN_FLAG,
  autostartDir,
  autostartExec,
  desktopEntry,
  execArgument,
  launchedAtLogin,
  loginItemFor,
} from '../../../src-main/electron/login-item.js';
import { tempDir } from '../../helpers/temp-dir.js';

function fakeApp() {
  let settings = { openAtLogin: false, args: [] as string[] };
  return {
    getLoginItemSettings: () => ({ ...settings }) as never,
    setLoginItemSettings: (s: { openAtLogin?: boolean; args?: string[] }) =>
      void (settings = { openAtLogin: s.openAtLogin ?? false, args: s.args ?? [] }),
    current: () => settings,
  };
}

test('macOS and Windows: the system login item, started with --hidden', async () => {
  for (const platform of ['darwin', 'win32'] as const) {
    const app = fakeApp();
    const item = loginItemFor(platform, app, { dir: '/nonexistent', exec: '/x' });
    assert.equal(await item.isOn(), false);
    await item.set(true);
    assert.deepEqual(app.current(), { openAtLogin: true, args: [HIDDEN_FLAG] });
    assert.equal(await item.isOn(), true);
    await item.set(false);
    assert.equal(await item.isOn(), false);
  }
});

test('Linux: an autostart entry written atomically, removed when switched off', async () => {
  const dir = join(tempDir('autostart-'), 'autostart');
  const item = loginItemFor('linux', fakeApp(), { dir, exec: '/home/me/Apps/Clawbridge.AppImage' });
  assert.equal(await item.isOn(), false);
  await item.set(true);
  assert.equal(await item.isOn(), true);
  assert.deepEqual(await readdir(dir), [AUTOSTART_FILE]);
  const entry = await readFile(join(dir, AUTOSTART_FILE), 'utf8');
  assert.match(entry, /^\[Desktop Entry\]\nType=Application\n/);
  assert.match(entry, /^Exec="\/home\/me\/Apps\/Clawbridge.AppImage" --hidden$/m);
  await item.set(false);
  assert.equal(await item.isOn(), false);
  assert.deepEqual(await readdir(dir), []);
  await item.set(false);
});

test('Linux: an entry switched off by the desktop (Hidden=true, X-GNOME-Autostart-enabled=false) is off', async () => {
  const dir = join(tempDir('autostart-'), 'autostart');
  const item = loginItemFor('linux', fakeApp(), { dir, exec: '/opt/Clawbridge/clawbridge' });
  await item.set(true);
  const file = join(dir, AUTOSTART_FILE);
  const entry = await readFile(file, 'utf8');
  for (const [edited, on] of [
    [entry.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'), false],
    [entry.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled = false'), false],
    [`${entry}Hidden=true\n`, false],
    [`${entry}Hidden=false\n`, true],
    [entry.replace(/^Exec=.*$/m, ''), false],
    // Keys of another group do not switch the entry.
    [`${entry}[Desktop Action other]\nHidden=true\n`, true],
  ] as const) {
    await writeFile(file, edited);
    assert.equal(await item.isOn(), on, edited);
  }
  // Switching on again writes a fresh entry that is on.
  await item.set(true);
  assert.equal(await item.isOn(), true);
});

test('where the entry goes and what it starts', () => {
  assert.equal(autostartDir({ XDG_CONFIG_HOME: '/cfg' }, '/home/me'), '/cfg/autostart');
  assert.equal(autostartDir({}, '/home/me'), '/home/me/.config/autostart');
  assert.equal(autostartDir({ XDG_CONFIG_HOME: 'relative' }, '/home/me'), '/home/me/.config/autostart');
  assert.equal(
    autostartExec({ APPIMAGE: '/a/Clawbridge.AppImage' }, '/tmp/.mount_x/clawbridge'),
    '/a/Clawbridge.AppImage',
  );
  assert.equal(autostartExec({}, '/opt/Clawbridge/clawbridge'), '/opt/Clawbridge/clawbridge');
});

test('Exec quoting: spaces, quotes, $, backslashes and % survive the two levels of escaping', () => {
  assert.equal(execArgument('/opt/My Apps/clawbridge'), '"/opt/My Apps/clawbridge"');
  assert.equal(execArgument('/a/"b"/$c/`d`'), '"/a/\\\\"b\\\\"/\\\\$c/\\\\`d\\\\`"');
  assert.equal(execArgument('/a\\b'), '"/a\\\\\\\\b"');
  assert.equal(execArgument('/100%/x'), '"/100%%/x"');
  assert.throws(() => execArgument('/a\nb'), /line break/);
  assert.match(desktopEntry('/x y'), /^Exec="\/x y" --hidden$/m);
});

test('a launch at login: --hidden on Windows and Linux, the system says so on macOS', () => {
  const app = (wasOpenedAtLogin: boolean) => ({
    getLoginItemSettings: () => ({ wasOpenedAtLogin }) as never,
  });
  assert.equal(launchedAtLogin('linux', ['/x', HIDDEN_FLAG], app(false)), true);
  assert.equal(launchedAtLogin('win32', ['C:\\x.exe'], app(true)), false);
  assert.equal(launchedAtLogin('darwin', ['/x'], app(true)), true);
  assert.equal(launchedAtLogin('darwin', ['/x'], app(false)), false);
});
