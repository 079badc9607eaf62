/**
 * The updater against a real feed (docs/adr/0077-desktop-updates.md): a `latest-linux.yml` and an
 * AppImage-like file served from 127.0.0.1 (test/helpers/update-feed.ts), read by electron-updater's
 * own AppImageUpdater through the app's engine and controller, inside the shell with Electron faked.
 * What the user would see (the tray's line, the window's `app.update`) and what lands on disk (the
 * AppImage replaced, or left alone) are asserted, and every request the feed got is counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { startShell, type WindowIpc } from '../../../src-main/electron/shell.js';
import { desktopPreferences } from '../../../src-main/electron/preferences.js';
import { updateController, type UpdateController } from '../../../src-main/electron/update-controller.js';
import { updaterEngine } from '../../../src-main/electron/update-engine.js';
import {
  FIRST_CHECK_DELAY_MS,
  CHECK_INTERVAL_MS,
  type UpdateChoice,
} from '../../../src-main/electron/update-policy.js';
import type { UpdateStatus } from '../../../src-main/electron/update-policy.js';
import { tempDir } from '../../helpers/temp-dir.js';
import {
  appImageLike,
  appImageUpdater,
  installedApp,
  sha512,
  startFeed,
  type Feed,
} from '../../helpers/update-feed.js';
import { FakeConnection, FakeTray, fakeElectron } from './fake-electron.js';
import { until } from '../../helpers/wait.js';

/** Polls `read` until it returns a value, for up to 15 s. */
const polled = <T>(what: string, read: () => T | undefined, timeoutMs = 15_000): Promise<T> =>
  until<T>(what, () => read(), timeoutMs);

/** The shell with Electron faked, an installed AppImage of 1.0.0, and the real updater on `feed`. */
async function appWithFeed(feed: Feed, choice: UpdateChoice = { mode: 'automatic', channel: 'stable' }) {
  const dir = tempDir('cb-update-');
  const installed = installedApp(dir, '1.0.0', feed.url);
  const fake = fakeElectron(dir);
  const connection = new FakeConnection();
  const windowEvents: { event: string; data: unknown }[] = [];
  const prefs = desktopPreferences(
    new Conf({ cwd: dir, configName: 'preferences', projectName: 'clawbridge', projectSuffix: '' }),
    () => {},
  );
  prefs.setUpdates(choice);
  const logs: string[] = [];
  let controller: UpdateController | undefined;
  // electron-updater quits through its app adapter; in the app that is Electron's app.quit.
  installed.adapter.quit = () => {
    installed.adapter.quits += 1;
    fake.app.quit();
  };
  const shell = await startShell(fake.electron, {
    connect: () => connection,
    registerIpc: (): WindowIpc => ({
      broadcast: (event, data) => void windowEvents.push({ event, data }),
      dispose: () => {},
    }),
    updater: ({ running, handOver }) =>
      (controller = updateController({
        current: '1.0.0',
        support: { kind: 'in-place' },
        prefs,
        fleet: null,
        engine: (c) =>
          updaterEngine(appImageUpdater(installed.adapter), c.channel, feed.url, (l) => logs.push(l), [
            feed.key.publicKey,
          ]),
        running,
        handOver,
        log: (l) => logs.push(l),
      })),
    rendererHtml: '/app/dist/renderer/index.html',
    preload: '/app/preload.cjs',
    trayIcon: (state) => `/assets/${state}.png`,
    loginItem: { isOn: () => Promise.resolve(false), set: () => Promise.resolve() },
    preferences: prefs,
    argv: ['/opt/Clawbridge/clawbridge'],
    platform: 'linux',
    log: (l) => logs.push(l),
  });
  assert.ok(shell && controller, 'shell && controller');
  const updates = controller;
  const lastStatus = () =>
    windowEvents.filter((e) => e.event === 'app.update').at(-1)?.data as UpdateStatus | undefined;
  return { dir, installed, fake, connection, updates, tray: () => FakeTray.all[0]!, lastStatus, logs };
}

test('a newer version on the feed is downloaded, its SHA-512 checked, and the restart offered in the tray and the window; the restart installs it and keeps served shells', async () => {
  const feed = await startFeed(tempDir('cb-feed-'));
  try {
    const update = appImageLike('new 1.1.0');
    feed.offer('1.1.0', update, { notes: '<p>Faster file transfers.</p>' });
    const app = await appWithFeed(feed);

    const status = await app.updates.checkNow();
    assert.deepEqual(status.state, { phase: 'ready', version: '1.1.0', notes: 'Faster file transfers.' });
    assert.deepEqual(feed.downloads(), ['/Clawbridge-1.1.0.AppImage']);
    assert.equal(status.last?.outcome, 'found');

    // The window hears it, and the tray's first lines say it (rendered on the next turn).
    assert.deepEqual(app.lastStatus()?.state, status.state);
    const line = 'Update ready — restart to update (v1.1.0)';
    await polled('the tray line', () => (app.tray().labels().includes(line) ? true : undefined));
    assert.match(app.tray().tooltip, /Update ready — restart to update \(v1\.1\.0\)/);
    // Nothing is installed before the user restarts.
    assert.equal(readFileSync(app.installed.appImage, 'utf8'), appImageLike('old 1.0.0').toString());

    app.tray().click(line);
    // The agent is handed over, not stopped: served shells stay in the session host.
    await polled('the hand-over', () => app.connection.stopOptions);
    assert.deepEqual(app.connection.stopOptions, { keepSessions: true });
    // electron-updater replaces the AppImage with the verified file, starts it, and quits this one.
    const started = await polled('the new version to start', () =>
      existsSync(app.installed.marker) ? readFileSync(app.installed.marker, 'utf8') : undefined,
    );
    assert.equal(started, 'new 1.1.0');
    assert.deepEqual(readFileSync(app.installed.appImage), update);
    await polled('the app to exit', () => (app.fake.app.exited ? true : undefined));
    assert.equal(app.fake.app.exitCode, 0);
    assert.equal(app.installed.adapter.quits, 1);
  } finally {
    await feed.close();
  }
});

test('a file that does not match the SHA-512 its feed gives is refused with a clear message, and nothing is installed', async () => {
  const feed = await startFeed(tempDir('cb-feed-'));
  try {
    feed.offer('1.1.0', appImageLike('tampered 1.1.0'), { sha512: sha512(appImageLike('new 1.1.0')) });
    const app = await appWithFeed(feed);

    const status = await app.updates.checkNow();
    assert.equal(status.state.phase, 'failed');
    assert.ok(
      status.state.phase === 'failed' && status.state.kind === 'checksum',
      "status.state.phase === 'failed' && status.state.kind === 'checksum'",
    );
    assert.match(
      status.state.message,
      /^the downloaded update does not match the SHA-512 its feed gives, so it was refused and nothing was installed/,
    );
    assert.deepEqual(feed.downloads(), ['/Clawbridge-1.1.0.AppImage'], 'it was downloaded, then refused');
    assert.equal(status.last?.outcome, 'found');
    await polled('the tray line', () =>
      app.tray().labels().includes('Update refused — see Settings…') ? true : undefined,
    );
    assert.ok(
      !app
        .tray()
        .labels()
        .some((l) => l.startsWith('Update ready')),
      "!app .tray() .labels() .some((l) => l.startsWith('Update ready'))",
    );

    // No restart is offered, the AppImage is the old one, and no downloaded file is kept.
    assert.deepEqual(await app.updates.restart(true), { now: false, why: 'no update is ready to install' });
    assert.equal(app.connection.stopped, false);
    assert.equal(readFileSync(app.installed.appImage, 'utf8'), appImageLike('old 1.0.0').toString());
    const cache = join(app.dir, 'cache', 'clawbridge-updater');
    const kept = existsSync(cache) ? readdirSync(cache, { recursive: true }).map(String) : [];
    assert.ok(
      !kept.some((f) => f.endsWith('.AppImage')),
      `no AppImage kept in the cache: ${kept.join(', ')}`,
    );
    assert.equal(app.fake.app.exited, false);
  } finally {
    await feed.close();
  }
});

test('a feed that lies about its version (the same, older, a pre-release on stable, not a version) gets nothing downloaded', async () => {
  const feed = await startFeed(tempDir('cb-feed-'));
  try {
    const app = await appWithFeed(feed);
    const cases: [string, RegExp][] = [
      ['1.0.0', /^up-to-date$/],
      ['0.9.0', /^up-to-date$/],
      ['1.2.0-beta.1', /a pre-release, and this app follows the stable channel; nothing was downloaded/],
      ['banana', /the update feed's answer cannot be used/],
    ];
    for (const [version, expected] of cases) {
      feed.offer(version, appImageLike(`claims ${version}`), { name: 'Clawbridge-next.AppImage' });
      const { state } = await app.updates.checkNow();
      const said = state.phase === 'failed' ? state.message : state.phase;
      assert.match(said, expected, `offered ${version}`);
    }
    assert.deepEqual(feed.downloads(), [], 'no update file was requested');
    assert.equal(readFileSync(app.installed.appImage, 'utf8'), appImageLike('old 1.0.0').toString());
  } finally {
    await feed.close();
  }
});

test("'off' makes no request at all: not at start, not hours later, not on Check now; 'automatic' asks at start", async (t) => {
  const feed = await startFeed(tempDir('cb-feed-'));
  try {
    feed.offer('1.1.0', appImageLike('new 1.1.0'));
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const off = await appWithFeed(feed, { mode: 'off', channel: 'stable' });
    t.mock.timers.tick(FIRST_CHECK_DELAY_MS + 6 * CHECK_INTERVAL_MS);
    assert.equal((await off.updates.checkNow()).state.phase, 'off');
    assert.deepEqual(off.updates.status().state, { phase: 'off' });

    // The same app set to automatic asks the feed once the first delay has passed.
    const on = await appWithFeed(feed, { mode: 'automatic', channel: 'stable' });
    t.mock.timers.tick(FIRST_CHECK_DELAY_MS);
    t.mock.timers.reset();
    await polled('the first check', () => (feed.requests.length > 0 ? true : undefined));
    await polled('the download', () => (on.updates.status().state.phase === 'ready' ? true : undefined));
    // Every request came from the automatic app: the one that is off made none.
    const asked = ['/latest-linux.yml', '/latest-linux.yml.sig', '/Clawbridge-1.1.0.AppImage'];
    assert.ok(
      feed.requests.every((p) => asked.includes(p)),
      'feed.requests.every((p) => asked.includes(p))',
    );
    assert.equal(feed.requests.filter((p) => p.endsWith('.yml')).length, 1);
    on.updates.dispose();
  } finally {
    await feed.close();
  }
});
