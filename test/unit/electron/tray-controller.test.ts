/** The tray follows the state: one rebuild per burst of changes, the icon swapped only when it changes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayController } from '../../../src-main/electron/tray-controller.js';
import { notificationCenter } from '../../../src-main/electron/notification-center.js';
import { FakeNotification, fakeElectron, type FakeMenuItem } from './fake-electron.js';
import { pending, relay, statusEvent } from './status-fixtures.js';

const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

function recordingTray() {
  const seen = { menus: 0, images: [] as string[], tooltip: '', firstLine: '', destroyed: false };
  return {
    seen,
    tray: {
      setContextMenu: (menu: unknown) => {
        seen.menus++;
        seen.firstLine = (menu as { items: FakeMenuItem[] }).items[0]!.label!;
      },
      setToolTip: (t: string) => void (seen.tooltip = t),
      setImage: (i: unknown) => void seen.images.push(i as string),
      destroy: () => void (seen.destroyed = true),
    },
  };
}

/** A tray controller for a running agent that has not reported yet, drawing into `tray`. */
function runningController(tray: ReturnType<typeof recordingTray>['tray']) {
  return trayController({
    tray,
    Menu: { buildFromTemplate: (items) => ({ items }) as never },
    icon: (state) => state,
    run: () => {},
    initial: { host: { kind: 'running' }, agent: null, openAtLogin: false },
    platform: 'linux',
  });
}

test('a burst of status events rebuilds the menu once, with the newest state', async () => {
  const { seen, tray } = recordingTray();
  const controller = runningController(tray);
  assert.equal(seen.menus, 1, 'drawn once at start');
  for (let n = 0; n < 20; n++)
    controller.setAgent(statusEvent({ relays: [relay(true)], pending: [pending(`dev${n}`)] }));
  await settle();
  assert.equal(seen.menus, 2);
  assert.equal(seen.tooltip, 'Online — 0 direct, 0 relay');
  assert.deepEqual(seen.images, ['offline', 'attention']);
  controller.setAgent(statusEvent({ relays: [relay(true)], pending: [pending('other')] }));
  await settle();
  assert.deepEqual(seen.images, ['offline', 'attention'], 'same icon: not set again');
  controller.destroy();
  controller.setHost({ kind: 'stopped' });
  await settle();
  assert.equal(seen.menus, 3, 'the last change before destroy drew once; nothing after');
  assert.equal(seen.destroyed, true);
});

test("after a restart the tray shows Starting… until the new agent's first status, not the old agent's state", async () => {
  const { seen, tray } = recordingTray();
  const controller = runningController(tray);
  controller.setAgent(statusEvent({ relays: [relay(true)], pending: [pending('laptop')] }));
  await settle();
  assert.equal(seen.firstLine, 'Online — 0 direct, 0 relay');
  controller.setHost({ kind: 'restarting', reason: 'the agent process ended unexpectedly', retryAt: 0 });
  controller.setHost({ kind: 'starting' });
  controller.setHost({ kind: 'running' });
  await settle();
  assert.equal(seen.firstLine, 'Starting…');
  assert.equal(seen.tooltip, 'Starting…');
  assert.equal(seen.images.at(-1), 'offline');
  assert.equal(controller.state().agent, null);
  controller.setAgent(statusEvent({ relays: [relay(false, 'refused')] }));
  await settle();
  assert.equal(seen.firstLine, 'Offline: refused');
});

test('notifications: none where the system has none; shown when the switch cannot be read', async () => {
  const { electron } = fakeElectron('/unused');
  const opened: unknown[] = [];
  const logs: string[] = [];
  const center = notificationCenter({
    Notification: electron.Notification,
    connection: { call: () => Promise.reject(new Error('agent restarting')) },
    open: (place) => opened.push(place),
    log: (line) => logs.push(line),
  });
  FakeNotification.supported = false;
  center('pending.added', pending('laptop', 1));
  await settle();
  assert.equal(FakeNotification.all.length, 0);
  FakeNotification.supported = true;
  center('pending.added', pending('nas', 2));
  await settle();
  assert.deepEqual(
    FakeNotification.all.map((n) => n.options.title),
    ['nas entered your code'],
  );
  assert.match(logs.join('\n'), /notification settings unreadable \(agent restarting\)/);
  FakeNotification.all[0]!.click();
  assert.deepEqual(opened, [{ view: 'approvals', request: 'req2' }]);
});
