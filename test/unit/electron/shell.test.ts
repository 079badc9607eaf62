/**
 * The shell with Electron faked and a driven AgentConnection: what the tray shows, which window view
 * opens, what the agent is asked, and that Quit stops the agent and exits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AGENT_STOP_TIMEOUT_MS,
  startShell,
  type ShellOptions,
  type WindowIpc,
} from '../../../src-main/electron/shell.js';
import { HIDDEN_FLAG, type LoginItem } from '../../../src-main/electron/login-item.js';
import Conf from 'conf';
import { desktopPreferences } from '../../../src-main/electron/preferences.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { FakeConnection, FakeNotification, FakeTray, FakeWindow, fakeElectron } from './fake-electron.js';
import { forward, peer, pending, relay, statusEvent } from './status-fixtures.js';
import { until } from '../../helpers/wait.js';

const RENDERER = '/app/dist/renderer/index.html';
const INVITE = 'clawbridge://join?invite=K7QX-M2RT-9WZA&relay=wss%3A%2F%2Frelay.example';

function setup(options: Partial<ShellOptions> = {}, home = tempDir('shell-')) {
  const fake = fakeElectron(home);
  const connection = new FakeConnection();
  const navigated: unknown[] = [];
  const ipc = { trustedUrl: '', disposed: false };
  let loginOn = false;
  const loginItem: LoginItem = {
    isOn: () => Promise.resolve(loginOn),
    set: (on) => Promise.resolve(void (loginOn = on)),
  };
  const shellOptions: ShellOptions = {
    connect: () => connection,
    registerIpc: (_c, trustedUrl): WindowIpc => {
      ipc.trustedUrl = trustedUrl;
      return {
        broadcast: (event, data) => void navigated.push({ event, data }),
        dispose: () => void (ipc.disposed = true),
      };
    },
    rendererHtml: RENDERER,
    preload: '/app/dist/src-main/electron/preload.cjs',
    trayIcon: (state) => `/assets/${state}.png`,
    loginItem,
    // conf is what electron-store extends: the same file, written the same way.
    preferences: desktopPreferences(
      new Conf({ cwd: home, configName: 'preferences', projectName: 'clawbridge', projectSuffix: '' }),
      () => {},
    ),
    argv: ['/opt/Clawbridge/clawbridge'],
    platform: 'linux',
    log: () => {},
    ...options,
  };
  return {
    ...fake,
    home,
    connection,
    navigated,
    ipc,
    loginOn: () => loginOn,
    start: () => startShell(fake.electron, shellOptions),
    tray: () => FakeTray.all[0]!,
    window: () => FakeWindow.all.at(-1)!,
  };
}

/** Lets queued callbacks (a tray render, a settings read) run; bounded to a few turns of the loop. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

test('a second instance quits at once and creates no tray', async () => {
  const s = setup();
  s.app.hasLock = false;
  assert.equal(await s.start(), null);
  assert.equal(s.app.exited, true);
  assert.equal(FakeTray.all.length, 0);
});

test('start: sandbox, no dock icon, the scheme registered, the window open, tray follows the host', async () => {
  const s = setup();
  s.connection.host = { kind: 'starting' };
  await s.start();
  assert.equal(s.app.sandboxed, true);
  assert.equal(s.app.dock.hidden, true);
  assert.deepEqual(s.app.protocols, [{ scheme: 'clawbridge' }]);
  assert.equal(s.ipc.trustedUrl, 'file:///app/dist/renderer/index.html');
  assert.deepEqual(s.window().loaded, { file: RENDERER, hash: undefined });
  assert.equal(s.window().visible, true);
  assert.equal(s.tray().tooltip, 'Starting…');
  assert.equal(s.tray().image, '/assets/offline.png');

  s.connection.setHost({ kind: 'restarting', reason: 'it exited with code 1', retryAt: 0 });
  await settle();
  assert.equal(s.tray().labels()[0], 'Agent restarting: it exited with code 1…');

  s.connection.setHost({ kind: 'running' });
  s.connection.emit(
    'status',
    statusEvent({ relays: [relay(true)], peers: [peer('laptop', 'online', 'direct')] }),
  );
  await settle();
  assert.equal(s.tray().tooltip, 'Online — 1 direct, 0 relay');
  assert.equal(s.tray().image, '/assets/online.png');
});

test('started at login: no window, only the tray', async () => {
  const s = setup({ argv: ['/opt/Clawbridge/clawbridge', HIDDEN_FLAG] });
  await s.start();
  assert.equal(FakeWindow.all.length, 0);
  assert.equal(FakeTray.all.length, 1);

  // macOS passes no arguments to login items; it says so instead.
  const mac = setup({ platform: 'darwin' });
  mac.app.wasOpenedAtLogin = true;
  await mac.start();
  assert.equal(FakeWindow.all.length, 0);
});

test('a new pending request: a notification and a tray entry, both opening Approvals on it', async () => {
  const s = setup({ argv: ['/x', HIDDEN_FLAG] });
  await s.start();
  const laptop = pending('laptop', 7);
  s.connection.emit('status', statusEvent({ relays: [relay(true)], pending: [laptop] }));
  s.connection.emit('pending.added', laptop);
  await settle();
  assert.equal(s.tray().image, '/assets/attention.png');
  assert.deepEqual(
    FakeNotification.all.map((n) => n.options.title),
    ['laptop entered your code'],
  );

  FakeNotification.all[0]!.click();
  assert.deepEqual(s.window().loaded?.hash, 'approvals?request=req7');
  assert.equal(s.window().visible, true);

  // The window is open now: the tray entry moves the open page instead of loading another.
  s.tray().click('Approve laptop…');
  assert.equal(FakeWindow.all.length, 1);
  assert.deepEqual(s.navigated, [
    { event: 'app.navigate', data: { view: 'approvals', detail: 'request=req7' } },
  ]);
});

test('notifications off in Settings: none shown, the tray entry still there', async () => {
  const s = setup();
  await s.start();
  s.connection.settings.notifications = false;
  s.connection.emit('status', statusEvent({ pending: [pending('laptop')] }));
  s.connection.emit('pending.added', pending('laptop'));
  await settle();
  assert.deepEqual(FakeNotification.all, []);
  assert.ok(s.tray().labels().includes('Approve laptop…'), "s.tray().labels().includes('Approve laptop…')");
});

test('a new message: announced while the window is closed, behind another app or minimized away; never while in sight; its own switch', async () => {
  const s = setup();
  await s.start();
  const win = s.window();
  assert.equal(win.visible && win.focused, true, 'the window opened and has the focus');
  const from = (text: string, c = 'l') => ({
    id: '0190a000-0000-7000-8000-000000000001',
    from: { name: c === 'l' ? 'laptop' : 'nas', fingerprint: c.repeat(64) },
    topic: 'default',
    text,
    sentAt: '2026-11-27T10:00:00.000Z',
    receivedAt: '2026-11-27T10:00:00.000Z',
    expiresAt: '2026-12-04T10:00:00.000Z',
    read: false,
  });
  s.connection.emit('message', from('seen in the window'));
  await settle();
  assert.equal(FakeNotification.all.length, 0, 'in sight: the window shows it');
  // Closed to the tray: the first message after that is news (the one seen did not start a quiet minute).
  win.userClose();
  s.connection.emit('message', from('are you there?'));
  await settle();
  assert.deepEqual(
    FakeNotification.all.map((n) => [n.options.title, n.options.body]),
    [['Message from laptop', 'are you there?']],
  );
  FakeNotification.all[0]!.click();
  assert.equal(win.visible, true);
  assert.deepEqual(s.navigated.at(-1), {
    event: 'app.navigate',
    data: { view: 'messages', detail: `peer=${'l'.repeat(64)}` },
  });
  // Behind another app.
  win.blur();
  s.connection.emit('message', from('backup done', 'n'));
  await settle();
  assert.equal(FakeNotification.all.length, 2);
  // "Notify on new messages" off: none, while the other notifications go on.
  s.connection.settings.messageNotifications = false;
  win.hide();
  s.connection.emit('message', from('quiet', 'q'));
  s.connection.emit('pairing', { role: 'join', step: 'paired', peerName: 'desk' });
  await settle();
  assert.deepEqual(
    FakeNotification.all.map((n) => n.options.title),
    ['Message from laptop', 'Message from nas', 'Paired with desk'],
  );
  // And the other way round: messages on, the rest off.
  s.connection.settings = { notifications: false, messageNotifications: true };
  s.connection.emit('message', from('loud', 'x'));
  s.connection.emit('pairing', { role: 'join', step: 'paired', peerName: 'desk2' });
  await settle();
  assert.deepEqual(FakeNotification.all.at(-1)!.options.title, 'Message from nas');
  assert.equal(FakeNotification.all.length, 4);
});

test('a forward that cannot listen is notified once, pairing done once, path changes never', async () => {
  const s = setup();
  await s.start();
  const broken = statusEvent({ forwards: [forward('web', 'error', 'port 8080 is taken')] });
  s.connection.emit('status', broken);
  s.connection.emit('status', broken);
  s.connection.emit(
    'status',
    statusEvent({ peers: [peer('laptop', 'online', 'relay')], forwards: broken.forwards }),
  );
  s.connection.emit(
    'status',
    statusEvent({ peers: [peer('laptop', 'online', 'direct')], forwards: broken.forwards }),
  );
  s.connection.emit('pairing', { role: 'join', step: 'paired', peerName: 'nas' });
  await settle();
  assert.deepEqual(
    FakeNotification.all.map((n) => n.options.title),
    ['web cannot listen on 127.0.0.1:8080', 'Paired with nas'],
  );
  FakeNotification.all[0]!.click();
  assert.equal(s.navigated.length, 1);
  assert.deepEqual(s.navigated[0], { event: 'app.navigate', data: { view: 'forwards' } });
});

test('Open terminal on a peer opens a terminal tab to it; Copy fingerprint copies it', async () => {
  const s = setup({ argv: ['/x', HIDDEN_FLAG] });
  await s.start();
  const laptop = peer('laptop', 'online', 'direct');
  s.connection.emit('status', statusEvent({ relays: [relay(true)], peers: [laptop] }));
  await settle();
  s.tray().click('Peers', 'laptop — direct', 'Open terminal');
  assert.equal(s.window().loaded?.hash, `terminals?open=${laptop.fingerprint}&name=laptop`);
  s.tray().click('Peers', 'laptop — direct', 'Copy fingerprint');
  assert.equal(s.clipboard.text, laptop.fingerprint);
});

test('Pair new device opens Pair with a fresh code; a forward click switches it through the agent', async () => {
  const s = setup({ argv: ['/x', HIDDEN_FLAG] });
  await s.start();
  s.connection.emit('status', statusEvent({ forwards: [forward('web', 'listening'), forward('db', 'off')] }));
  await settle();
  s.tray().click('Pair new device…');
  assert.equal(s.window().loaded?.hash, 'pair/new');
  s.tray().click('Forwards', 'web 127.0.0.1:8080 → laptop:localhost:80 — on');
  s.tray().click('Forwards', 'db 127.0.0.1:8080 → laptop:localhost:80 — off');
  assert.deepEqual(s.connection.actions(), [
    { method: 'forward.disable', params: { name: 'web' } },
    { method: 'forward.enable', params: { name: 'db' } },
  ]);
});

test('an agent stopped on request (clawbridge stop) is started again from the tray', async () => {
  const s = setup({ argv: ['/x', HIDDEN_FLAG] });
  await s.start();
  s.connection.setHost({ kind: 'stopped' });
  await settle();
  s.tray().click('Start agent');
  await settle();
  assert.equal(s.connection.started, 1);
  assert.equal(s.connection.hostState().kind, 'running');
  assert.throws(() => s.tray().find(['Start agent']));
});

test('Open log folder shows the logs folder; a failure to open it is logged', async () => {
  const logs: string[] = [];
  const s = setup({ logDir: '/home/me/.config/Clawbridge/logs', log: (l) => logs.push(l) });
  await s.start();
  await settle();
  s.tray().click('Open log folder');
  await settle();
  assert.deepEqual(s.openedPaths, ['/home/me/.config/Clawbridge/logs']);
  s.failOpenPath('no file manager');
  s.tray().click('Open log folder');
  await settle();
  assert.deepEqual(logs, ['could not open the log folder /home/me/.config/Clawbridge/logs: no file manager']);
});

test('Start at login: the checkbox sets it and shows it', async () => {
  const s = setup();
  await s.start();
  await settle();
  assert.equal(s.tray().find(['Start at login']).checked, false);
  s.tray().click('Start at login');
  await settle();
  assert.equal(s.loginOn(), true);
  assert.equal(s.tray().find(['Start at login']).checked, true);
});

test('deep links: at start (argv), from a second instance, and macOS open-url before and after ready', async () => {
  const s = setup({ argv: ['/x', INVITE] });
  await s.start();
  assert.equal(s.window().loaded?.hash, `join?invite=${encodeURIComponent(INVITE)}`);
  s.app.emit('second-instance', {}, ['/x', 'clawbridge://pair/K7QX-M2RT-9WZA']);
  assert.deepEqual(s.navigated.at(-1), {
    event: 'app.navigate',
    data: { view: 'join', detail: `invite=${encodeURIComponent('clawbridge://join?invite=K7QX-M2RT-9WZA')}` },
  });
  s.app.openUrl('clawbridge://evil?x=1');
  assert.deepEqual(s.navigated.at(-1), { event: 'app.navigate', data: { view: 'pair/join' } });
  s.app.emit('second-instance', {}, ['/x']);
  assert.equal(FakeWindow.all.length, 1);

  // A second launch while this one is still starting: its window opens once the app is ready.
  const starting = setup({ argv: ['/x', HIDDEN_FLAG] });
  const launch = starting.start();
  starting.app.emit('second-instance', {}, ['/x']);
  await launch;
  assert.equal(FakeWindow.all.length, 1);
  assert.equal(starting.window().visible, true);

  // macOS: the link arrives before 'ready'; the first window opens on it.
  const mac = setup({ argv: ['/x'], platform: 'darwin' });
  const started = mac.start();
  mac.app.openUrl(INVITE);
  await started;
  assert.equal(FakeWindow.all.length, 1);
  assert.equal(mac.window().loaded?.hash, `join?invite=${encodeURIComponent(INVITE)}`);
  assert.deepEqual(
    (mac.app.appMenu?.items ?? []).map((i) => i.role ?? i.label),
    ['appMenu', 'Edit', 'windowMenu'],
  );
});

test('deep links: a group invitation opens Groups with Join group filled in; a malformed one says why there', async () => {
  const group = 'clawbridge://group?invite=K7QX-M2RT-9WZA&relay=wss%3A%2F%2Frelay.example';
  const s = setup({ argv: ['/x', group] });
  await s.start();
  assert.equal(s.window().loaded?.hash, `groups?join=${encodeURIComponent(group)}`);
  s.app.emit('second-instance', {}, ['/x', 'clawbridge://group?invite=k7qx-m2rt-9wza']);
  assert.deepEqual(s.navigated.at(-1), {
    event: 'app.navigate',
    data: {
      view: 'groups',
      detail: `join=${encodeURIComponent('clawbridge://group?invite=K7QX-M2RT-9WZA')}`,
    },
  });
  s.app.openUrl('clawbridge://group?invite=K7QX');
  const refused = s.navigated.at(-1) as { data: { view: string; detail: string } };
  assert.equal(refused.data.view, 'groups');
  assert.match(new URLSearchParams(refused.data.detail).get('refused') ?? '', /must be 12 characters/);
  assert.equal(new URLSearchParams(refused.data.detail).get('join'), null, 'nothing filled in');
});

test('a place asked for while the page still loads reloads it there (it could not hear app.navigate yet)', async () => {
  const s = setup();
  FakeWindow.holdLoads = true;
  await s.start();
  s.app.emit('second-instance', {}, ['/x', INVITE]);
  assert.equal(s.window().loaded?.hash, `join?invite=${encodeURIComponent(INVITE)}`);
  assert.deepEqual(s.navigated, []);
  s.window().finishLoad();
  s.tray().click('Open Clawbridge');
  s.app.emit('second-instance', {}, ['/x', INVITE]);
  assert.equal(s.navigated.length, 1);
  assert.equal(FakeWindow.all.length, 1);
});

test('Windows: a click on the tray icon opens the window; elsewhere the click is the menu', async () => {
  const win = setup({ platform: 'win32', argv: ['/x', HIDDEN_FLAG] });
  await win.start();
  win.tray().emit('click');
  assert.equal(win.window().visible, true);
  const linux = setup({ argv: ['/x', HIDDEN_FLAG] });
  await linux.start();
  linux.tray().emit('click');
  assert.equal(FakeWindow.all.length, 0);
});

test('closing the window hides it and the app stays; it reopens where it was', async () => {
  const s = setup();
  await s.start();
  const win = s.window();
  win.moveTo({ x: 300, y: 200, width: 1000, height: 700 });
  win.userClose();
  assert.equal(win.visible, false);
  assert.equal(win.isDestroyed(), false);
  assert.equal(s.app.exited, false);
  s.app.emit('window-all-closed');
  assert.equal(s.app.exited, false);
  s.tray().click('Open Clawbridge');
  assert.equal(win.visible, true);
  assert.equal(FakeWindow.all.length, 1);
  const saved = await until('the window saved in preferences.json', async () => {
    const prefs = JSON.parse(await readFile(join(s.home, 'preferences.json'), 'utf8')) as {
      window?: unknown;
    };
    if (!prefs.window) throw new Error('not saved yet');
    return prefs.window;
  });
  assert.deepEqual(saved, { x: 300, y: 200, width: 1000, height: 700, maximized: false });

  // Next launch: the window opens with those bounds.
  const next = setup({}, s.home);
  await next.start();
  const { x, y, width, height } = next.window().options;
  assert.deepEqual({ x, y, width, height }, { x: 300, y: 200, width: 1000, height: 700 });
});

test('Quit stops the agent, then exits; Cmd+Q goes the same way', async () => {
  const s = setup();
  await s.start();
  s.tray().click('Quit');
  await settle();
  assert.equal(s.connection.stopped, true);
  assert.equal(s.ipc.disposed, true);
  assert.equal(s.tray().destroyed, true);
  assert.equal(s.app.exitCode, 0);

  const mac = setup({ platform: 'darwin' });
  await mac.start();
  mac.app.quit();
  await settle();
  assert.equal(mac.connection.stopped, true);
  assert.equal(mac.app.exitCode, 0);
});

test('Quit exits within 5 s even when the agent never stops', async () => {
  const s = setup();
  await s.start();
  s.connection.stopHangs = true;
  const began = Date.now();
  s.tray().click('Quit');
  await until('the app to exit', () => s.app.exited, 30_000);
  assert.equal(s.app.exitCode, 0);
  // It waited for the agent its deadline, then exited anyway (how late the timer fired is the scheduler's).
  assert.ok(Date.now() - began >= AGENT_STOP_TIMEOUT_MS - 50, `exited after ${Date.now() - began} ms`);
  assert.equal(s.connection.stopped, true);
});
