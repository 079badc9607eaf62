import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { startShell, type ShellOptions } from '../../../src-main/electron/shell.js';
import { IPC_CHANNELS } from '../../../src-main/electron/bridge-api.js';
import { isClawError } from '../../../src-main/core/errors.js';
import type { AgentStatus } from '../../../src-main/electron/agent-port.js';
import { FakeAgent, FakeTray, FakeWindow, fakeElectron } from './fake-electron.js';

const RENDERER = '/app/dist/renderer/index.html';
const PAGE_FRAME = { url: pathToFileURL(RENDERER).href, parent: null };
const desk: AgentStatus = {
  name: 'desk',
  fingerprint: 'a'.repeat(64),
  relays: [{ url: 'wss://relay.example', connected: true }],
  peers: [],
};

function setup(createAgent?: ShellOptions['createAgent']) {
  const fake = fakeElectron();
  const agent = new FakeAgent(desk);
  const homes: string[] = [];
  const logs: string[] = [];
  const options: ShellOptions = {
    createAgent:
      createAgent ??
      ((home) => {
        homes.push(home);
        return Promise.resolve(agent);
      }),
    rendererHtml: RENDERER,
    preload: '/app/dist/src-main/electron/preload.cjs',
    trayIcon: '/app/assets/trayTemplate.png',
    log: (line) => logs.push(line),
  };
  return { ...fake, agent, homes, logs, start: () => startShell(fake.electron, options) };
}

/** Lets queued promise callbacks (a tray refresh) run; bounded to a few turns of the event loop. */
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

test('start: sandbox on, no dock icon, agent started in userData, tray shows its status', async () => {
  const s = setup();
  const shell = await s.start();
  assert.equal(s.app.sandboxed, true);
  assert.equal(s.app.dock.hidden, true);
  assert.deepEqual(s.homes, ['/fake/userData/Clawbridge']);
  assert.equal(s.agent.running, true);
  assert.equal(shell?.state().kind, 'running');
  assert.deepEqual(FakeTray.all[0]?.labels(), [
    'Online · no peers yet',
    '—',
    'Open Clawbridge',
    'Quit Clawbridge',
  ]);
  assert.equal(FakeTray.all[0]?.tooltip, 'Clawbridge — Online · no peers yet');
});

test('an agent change updates the tray and tells an open window to re-read', async () => {
  const s = setup();
  await s.start();
  FakeTray.all[0]!.click('Open Clawbridge');
  const win = FakeWindow.all[0]!;
  assert.equal(win.loaded, RENDERER);
  assert.equal(win.visible, true);
  s.agent.change({
    ...desk,
    peers: [{ name: 'laptop', fingerprint: 'b'.repeat(64), online: true, path: 'relay', rttMs: 40 }],
  });
  await settle();
  assert.deepEqual(FakeTray.all[0]?.labels().slice(0, 3), [
    'Online · 1/1 peer online (0 direct, 1 relay)',
    '—',
    'laptop — relay, 40 ms',
  ]);
  assert.deepEqual(win.sent, [IPC_CHANNELS.changed]);
});

test('the status channel answers the app page and refuses other senders', async () => {
  const s = setup();
  await s.start();
  assert.deepEqual(await s.invoke(IPC_CHANNELS.status, PAGE_FRAME), desk);
  await assert.rejects(s.invoke(IPC_CHANNELS.status, { url: 'https://evil.example/', parent: null }), (err) =>
    isClawError(err, 'IPC_REJECTED'),
  );
  await assert.rejects(s.invoke(IPC_CHANNELS.status, PAGE_FRAME, 'extra'), /bad arguments/);
});

test('an agent that fails to start is reported in the tray and over IPC', async () => {
  const s = setup(() => Promise.reject(new Error('identity file is corrupt')));
  await s.start();
  assert.equal(FakeTray.all[0]?.labels()[0], 'Agent stopped: identity file is corrupt');
  await assert.rejects(s.invoke(IPC_CHANNELS.status, PAGE_FRAME), (err) => isClawError(err, 'NO_AGENT'));
  assert.deepEqual(s.logs, ['agent failed to start: identity file is corrupt']);
});

test('a second launch shows the one existing window; closing it keeps the app in the tray', async () => {
  const s = setup();
  await s.start();
  s.app.emit('second-instance');
  s.app.emit('second-instance');
  assert.equal(FakeWindow.all.length, 1);
  s.app.emit('window-all-closed');
  assert.equal(s.app.exited, false);
});

test('Quit stops the agent before the app exits', async () => {
  const s = setup();
  await s.start();
  FakeTray.all[0]!.click('Quit Clawbridge');
  assert.equal(s.app.exited, false, 'waits for the agent');
  await settle();
  assert.equal(s.agent.stopped, true);
  assert.equal(s.app.exited, true);
});
