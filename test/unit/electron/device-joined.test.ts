/**
 * A device that joins the owner's devices through an introduction (issue 57, ADR 0056) is announced
 * by the tray app: the decision is notifications.ts's plain function, shown here through the shell
 * with Electron faked; clicking it opens Peers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Conf from 'conf';
import { startShell, type ShellOptions } from '../../../src-main/electron/shell.js';
import { deviceJoined, NoticeDecider } from '../../../src-main/electron/notifications.js';
import { desktopPreferences } from '../../../src-main/electron/preferences.js';
import { HIDDEN_FLAG } from '../../../src-main/electron/login-item.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { FakeConnection, FakeNotification, FakeWindow, fakeElectron } from './fake-electron.js';
import { until } from '../../helpers/wait.js';

const joined = {
  name: 'laptop',
  fingerprint: 'c'.repeat(64),
  introducedBy: { name: 'desk', fingerprint: 'b'.repeat(64) },
};

test('device.joined: who joined, who introduced it, and how to undo it', () => {
  assert.deepEqual(new NoticeDecider().decide('device.joined', joined), [deviceJoined(joined)]);
  assert.deepEqual(deviceJoined(joined), {
    title: 'laptop joined your devices',
    body: 'Introduced by desk. Not yours? Remove it (peers rm laptop): it goes from all your devices.',
    open: { view: 'peers' },
  });
});

test('the tray app shows it, and clicking it opens Peers', async () => {
  const home = tempDir('shell-joined-');
  const fake = fakeElectron(home);
  const connection = new FakeConnection();
  const options: ShellOptions = {
    connect: () => connection,
    registerIpc: () => ({ broadcast: () => undefined, dispose: () => undefined }),
    rendererHtml: '/app/dist/renderer/index.html',
    preload: '/app/dist/src-main/electron/preload.cjs',
    trayIcon: (state) => `/assets/${state}.png`,
    loginItem: { isOn: () => Promise.resolve(false), set: () => Promise.resolve() },
    preferences: desktopPreferences(
      new Conf({ cwd: home, configName: 'preferences', projectName: 'clawbridge', projectSuffix: '' }),
      () => {},
    ),
    // Started hidden (at login): the click opens the window on Peers.
    argv: ['/opt/Clawbridge/clawbridge', HIDDEN_FLAG],
    platform: 'linux',
    log: () => {},
  };
  await startShell(fake.electron, options);
  FakeNotification.all = [];
  connection.emit('device.joined', joined);
  await until('a notification', () => FakeNotification.all.length > 0);
  assert.deepEqual(
    FakeNotification.all.map((n) => n.options.title),
    ['laptop joined your devices'],
  );
  FakeNotification.all[0]!.click();
  assert.equal(FakeWindow.all.at(-1)?.loaded?.hash, 'peers');
});
