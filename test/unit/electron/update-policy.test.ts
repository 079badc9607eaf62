/**
 * The updater's decisions as pure functions (update-policy.ts, update-support.ts, update-fleet.ts), the
 * controller's schedule and restart rule with a fake engine, and its IPC channels through the real
 * preload (test/helpers/fake-electron-ipc.ts): what a page may ask and what is refused.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHECK_INTERVAL_MS,
  compareVersions,
  failureKind,
  FIRST_CHECK_DELAY_MS,
  nextCheckDelayMs,
  OFFLINE_FIRST_RETRY_MS,
  offerProblem,
  restartVerdict,
  updateTrayLabel,
  type LastCheck,
  type UpdateChoice,
} from '../../../src-main/electron/update-policy.js';
import { updateSupport } from '../../../src-main/electron/update-support.js';
import { readFleetPolicy, UPDATES_ENV } from '../../../src-main/electron/update-fleet.js';
import {
  updateController,
  type EngineCheckResult,
  type UpdaterEngine,
} from '../../../src-main/electron/update-controller.js';
import { registerUpdatesIpc } from '../../../src-main/electron/updates-ipc.js';
import { fakeElectronIpc } from '../../helpers/fake-electron-ipc.js';

const err = (code: string, message = code) => Object.assign(new Error(message), { code });

test('checks: every 4 h online; offline, 1 min doubling up to 4 h', () => {
  assert.equal(nextCheckDelayMs(0), CHECK_INTERVAL_MS);
  assert.equal(nextCheckDelayMs(1), OFFLINE_FIRST_RETRY_MS);
  assert.equal(nextCheckDelayMs(2), 2 * OFFLINE_FIRST_RETRY_MS);
  assert.equal(nextCheckDelayMs(5), 16 * OFFLINE_FIRST_RETRY_MS);
  assert.equal(nextCheckDelayMs(9), CHECK_INTERVAL_MS);
  assert.equal(nextCheckDelayMs(10_000), CHECK_INTERVAL_MS);
});

test('failures are told apart by code: offline, checksum, signature, feed', () => {
  assert.equal(failureKind(err('ENOTFOUND')), 'offline');
  assert.equal(failureKind(new Error('net::ERR_INTERNET_DISCONNECTED')), 'offline');
  assert.equal(failureKind(err('ERR_CHECKSUM_MISMATCH')), 'checksum');
  assert.equal(
    failureKind(
      err('ERR_UPDATER_INVALID_SIGNATURE', 'New version 1.1.0 is not signed by the application owner'),
    ),
    'signature',
  );
  assert.equal(
    failureKind(new Error('Code signature at URL file:///… did not pass validation')),
    'signature',
  );
  assert.equal(failureKind(err('ERR_UPDATER_INVALID_VERSION')), 'feed');
  // The app's own checks (update-metadata-check.ts): an unsigned feed file, a feed that is not HTTPS.
  assert.equal(failureKind(err('ERR_UPDATE_METADATA_SIGNATURE')), 'signature');
  assert.equal(failureKind(err('ERR_UPDATE_FEED_INSECURE')), 'feed');
  assert.equal(failureKind(new Error('disk full')), 'other');
});

test('offers: only a newer release version, and no pre-release on stable', () => {
  assert.equal(offerProblem('1.0.0', '1.0.1', 'stable'), null);
  assert.equal(offerProblem('1.0.0', '1.1.0-beta.1', 'beta'), null);
  assert.equal(offerProblem('1.1.0-beta.1', '1.1.0', 'beta'), null);
  assert.match(offerProblem('1.0.0', '1.1.0-beta.1', 'stable')!, /pre-release/);
  assert.match(offerProblem('1.0.0', '1.0.0', 'stable')!, /not newer/);
  assert.match(offerProblem('1.0.0', '0.9.9', 'beta')!, /not newer/);
  assert.match(offerProblem('1.0.0', '../../etc', 'stable')!, /not a release version/);
  assert.match(offerProblem('1.0.0', 7, 'stable')!, /not a release version/);
  assert.ok(
    compareVersions('1.1.0-beta.2', '1.1.0-beta.10') < 0,
    "compareVersions('1.1.0-beta.2', '1.1.0-beta.10') < 0",
  );
  assert.ok(
    compareVersions('1.1.0-alpha.1', '1.1.0-beta') < 0,
    "compareVersions('1.1.0-alpha.1', '1.1.0-beta') < 0",
  );
  assert.ok(compareVersions('1.10.0', '1.9.9') > 0, "compareVersions('1.10.0', '1.9.9') > 0");
});

test('the tray line: restart when ready, Settings when found or refused, nothing otherwise', () => {
  assert.equal(
    updateTrayLabel({ phase: 'ready', version: '1.2.3', notes: '' }),
    'Update ready — restart to update (v1.2.3)',
  );
  assert.equal(
    updateTrayLabel({ phase: 'available', version: '1.2.3', notes: '' }),
    'Update available (v1.2.3)…',
  );
  assert.equal(
    updateTrayLabel({ phase: 'failed', kind: 'signature', message: 'x' }),
    'Update refused — see Settings…',
  );
  assert.equal(updateTrayLabel({ phase: 'failed', kind: 'offline', message: 'x' }), null);
  assert.equal(updateTrayLabel({ phase: 'up-to-date' }), null);
});

test('a restart waits for the user while terminals or transfers run', () => {
  assert.deepEqual(restartVerdict({ terminals: 0, served: 0, transfers: 0 }, false), { now: true });
  assert.deepEqual(restartVerdict({ terminals: 2, served: 0, transfers: 1 }, false), {
    now: false,
    why: '2 terminals and 1 file transfer are running: they pause for the restart and carry on after it',
  });
  // Shells peers have open here are said apart: they end with the restart.
  assert.deepEqual(restartVerdict({ terminals: 1, served: 1, transfers: 0 }, false), {
    now: false,
    why: '1 terminal is running: it pauses for the restart and carries on after it; 1 shell is open here from other devices: it ends with the restart',
  });
  assert.deepEqual(restartVerdict({ terminals: 0, served: 2, transfers: 0 }, false), {
    now: false,
    why: '2 shells are open here from other devices: they end with the restart',
  });
  assert.deepEqual(restartVerdict({ terminals: 2, served: 3, transfers: 1 }, true), { now: true });
});

test('how each build takes an update: in place, only a link, or none', () => {
  const yml = 'provider: github\nowner: o\nrepo: r\n';
  const base = { packaged: true, packageType: null, updateConfig: yml };
  assert.deepEqual(updateSupport({ ...base, platform: 'darwin' }), { kind: 'in-place' });
  assert.deepEqual(updateSupport({ ...base, platform: 'linux', appImage: '/home/me/Clawbridge.AppImage' }), {
    kind: 'in-place',
  });
  assert.deepEqual(updateSupport({ ...base, platform: 'linux', packageType: 'deb\n' }), {
    kind: 'notify',
    why: 'the deb package is updated by its package manager',
    link: 'https://github.com/o/repo/releases/latest'.replace('/repo/', '/r/'),
  });
  const generic = 'provider: generic\nurl: https://updates.example.org/cb/\n';
  assert.deepEqual(updateSupport({ ...base, platform: 'linux', packageType: 'deb', updateConfig: generic }), {
    kind: 'notify',
    why: 'the deb package is updated by its package manager',
    link: 'https://updates.example.org/cb/',
  });
  assert.equal(updateSupport({ ...base, platform: 'win32' }).kind, 'notify', 'an unsigned Windows build');
  assert.deepEqual(
    updateSupport({ ...base, platform: 'win32', updateConfig: `${yml}publisherName:\n  - Clawbridge\n` }),
    { kind: 'in-place' },
  );
  assert.equal(updateSupport({ ...base, platform: 'linux', packaged: false }).kind, 'none');
  assert.equal(updateSupport({ ...base, platform: 'darwin', updateConfig: null }).kind, 'none');
});

test("a fleet's policy: the variable, the file, and a policy that does not read as one turns updates off", () => {
  const logs: string[] = [];
  const log = (l: string) => void logs.push(l);
  const missing = () => {
    throw Object.assign(new Error('no file'), { code: 'ENOENT' });
  };
  assert.equal(readFleetPolicy('linux', {}, log, missing), null);
  assert.deepEqual(readFleetPolicy('linux', { [UPDATES_ENV]: 'notify' }, log, missing), {
    mode: 'notify',
    source: UPDATES_ENV,
  });
  assert.deepEqual(readFleetPolicy('linux', { [UPDATES_ENV]: 'never' }, log, missing), {
    mode: 'off',
    source: UPDATES_ENV,
  });
  const file = (text: string) => () => text;
  assert.deepEqual(
    readFleetPolicy(
      'linux',
      {},
      log,
      file('{"channel":"stable","feedUrl":"https://updates.example.org/cb/"}'),
    ),
    { channel: 'stable', feedUrl: 'https://updates.example.org/cb/', source: '/etc/clawbridge/updates.json' },
  );
  for (const bad of [
    '{"mode":"of"}',
    'mode: off',
    '{"feedUrl":"file:///tmp/x"}',
    '{"mode":"off","x":1}',
    // Plain HTTP lets anyone on the path answer for the feed: refused, and updates are off.
    '{"mode":"automatic","feedUrl":"http://updates.example.org/cb/"}',
    '{"feedUrl":"http://10.0.0.5:8080/"}',
  ])
    assert.equal(readFleetPolicy('linux', {}, log, file(bad))?.mode, 'off', bad);
  // Loopback HTTP is no path anyone is on (a local mirror, the tests' feeds).
  for (const local of ['http://127.0.0.1:8080/cb/', 'http://localhost:8080/', 'http://[::1]:8080/'])
    assert.deepEqual(readFleetPolicy('linux', {}, log, file(JSON.stringify({ feedUrl: local }))), {
      feedUrl: local,
      source: '/etc/clawbridge/updates.json',
    });
  assert.ok(
    logs.every((l) => /updates are off$/.test(l)),
    'logs.every((l) => /updates are off$/.test(l))',
  );
});

/** An engine whose feed answers what `offer` says, recording every request. */
function fakeEngine(offer: () => EngineCheckResult | Error) {
  const requests: string[] = [];
  const engine: UpdaterEngine = {
    autoDownload: true,
    autoInstallOnAppQuit: true,
    allowPrerelease: false,
    allowDowngrade: true,
    checkForUpdates() {
      requests.push('check');
      const o = offer();
      return o instanceof Error ? Promise.reject(o) : Promise.resolve(o);
    },
    downloadUpdate() {
      requests.push('download');
      return Promise.resolve([]);
    },
    quitAndInstall() {
      requests.push('install');
    },
    on() {
      return this;
    },
  };
  return { engine, requests };
}

function memoryPrefs(choice: UpdateChoice) {
  let last: LastCheck | null = null;
  return {
    updates: () => choice,
    setUpdates: (c: UpdateChoice) => void (choice = c),
    lastUpdateCheck: () => last,
    setLastUpdateCheck: (l: LastCheck) => void (last = l),
  };
}

test('the controller: first check after start, offline backoff, and the restart asked for, never taken', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let online = false;
  const feed = fakeEngine(() =>
    online
      ? { isUpdateAvailable: true, updateInfo: { version: '1.1.0', releaseNotes: 'Notes' } }
      : err('ENOTFOUND'),
  );
  const handedOver: string[] = [];
  let work = { terminals: 1, served: 0, transfers: 0 };
  const c = updateController({
    current: '1.0.0',
    support: { kind: 'in-place' },
    prefs: memoryPrefs({ mode: 'automatic', channel: 'stable' }),
    fleet: null,
    engine: () => feed.engine,
    running: () => Promise.resolve(work),
    handOver: () => Promise.resolve(void handedOver.push('hand-over')),
    log: () => undefined,
  });
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  c.start();
  t.mock.timers.tick(FIRST_CHECK_DELAY_MS - 1);
  assert.deepEqual(feed.requests, []);
  t.mock.timers.tick(1);
  await settle();
  assert.deepEqual(feed.requests, ['check']);
  assert.equal(c.status().state.phase, 'failed');
  assert.equal(feed.engine.autoDownload, false, 'the app decides when to download');
  assert.equal(feed.engine.allowDowngrade, false);
  // Offline: 1 min, then 2 min.
  t.mock.timers.tick(OFFLINE_FIRST_RETRY_MS);
  await settle();
  assert.equal(feed.requests.length, 2);
  t.mock.timers.tick(OFFLINE_FIRST_RETRY_MS);
  await settle();
  assert.equal(feed.requests.length, 2, 'the second wait is twice as long');
  online = true;
  t.mock.timers.tick(OFFLINE_FIRST_RETRY_MS);
  await settle();
  assert.deepEqual(feed.requests, ['check', 'check', 'check', 'download']);
  assert.deepEqual(c.status().state, { phase: 'ready', version: '1.1.0', notes: 'Notes' });
  // Hours pass: a downloaded update waits for its restart and nothing restarts by itself.
  t.mock.timers.tick(10 * CHECK_INTERVAL_MS);
  await settle();
  assert.ok(
    !(feed.requests as string[]).includes('install'),
    "!(feed.requests as string[]).includes('install')",
  );
  assert.equal((await c.restart(false)).now, false, 'a terminal runs');
  assert.deepEqual(handedOver, []);
  work = { terminals: 0, served: 0, transfers: 0 };
  assert.deepEqual(await c.restart(false), { now: true });
  assert.deepEqual(handedOver, ['hand-over']);
  assert.equal(feed.requests.at(-1), 'install');
  c.dispose();
});

test('notify mode and a build that only notifies download nothing; a fleet choice cannot be changed', async () => {
  const offer = () => ({ isUpdateAvailable: true, updateInfo: { version: '1.1.0' } });
  const notify = fakeEngine(offer);
  const c = updateController({
    current: '1.0.0',
    support: { kind: 'in-place' },
    prefs: memoryPrefs({ mode: 'notify', channel: 'stable' }),
    fleet: null,
    engine: () => notify.engine,
    running: () => Promise.resolve({ terminals: 0, served: 0, transfers: 0 }),
    handOver: () => Promise.resolve(),
    log: () => undefined,
  });
  assert.equal((await c.checkNow()).state.phase, 'available');
  assert.deepEqual(notify.requests, ['check']);
  assert.equal((await c.download()).state.phase, 'ready');

  const deb = fakeEngine(offer);
  const d = updateController({
    current: '1.0.0',
    support: { kind: 'notify', why: 'deb', link: 'https://example.org/releases' },
    prefs: memoryPrefs({ mode: 'automatic', channel: 'stable' }),
    fleet: { mode: 'automatic', source: '/etc/clawbridge/updates.json' },
    engine: () => deb.engine,
    running: () => Promise.resolve({ terminals: 0, served: 0, transfers: 0 }),
    handOver: () => Promise.resolve(),
    log: () => undefined,
  });
  assert.deepEqual((await d.checkNow()).state, {
    phase: 'available',
    version: '1.1.0',
    notes: '',
    link: 'https://example.org/releases',
  });
  assert.equal((await d.download()).state.phase, 'available');
  assert.deepEqual(deb.requests, ['check']);
  assert.deepEqual(d.setChoice({ mode: 'off', channel: 'beta' }).choice, {
    mode: 'automatic',
    channel: 'stable',
  });
  assert.equal(d.status().managed, '/etc/clawbridge/updates.json');
});

const PAGE = 'file:///opt/Clawbridge/resources/app.asar/dist/renderer/index.html';
let off: (() => void) | undefined;
afterEach(() => off?.());

test('the update channels through the real preload: the choice is checked, other pages are refused', async () => {
  const fake = fakeElectronIpc();
  const feed = fakeEngine(() => ({ isUpdateAvailable: false, updateInfo: { version: '1.0.0' } }));
  const prefs = memoryPrefs({ mode: 'automatic', channel: 'stable' });
  const c = updateController({
    current: '1.0.0',
    support: { kind: 'in-place' },
    prefs,
    fleet: null,
    engine: () => feed.engine,
    running: () => Promise.resolve({ terminals: 0, served: 0, transfers: 0 }),
    handOver: () => Promise.resolve(),
    log: () => undefined,
  });
  off = registerUpdatesIpc(fake.electron.ipcMain, PAGE, c, () => undefined);
  const page = fake.loadPage(PAGE).bridge.updates!;
  const status = await page.status();
  assert.ok(status.ok, 'status.ok');
  const chosen = await page.choose({ mode: 'notify', channel: 'beta' });
  assert.ok(chosen.ok, 'chosen.ok');
  assert.deepEqual(prefs.updates(), { mode: 'notify', channel: 'beta' });
  const checked = await page.check();
  assert.ok(
    checked.ok && (checked.result as { state: { phase: string } }).state.phase === 'up-to-date',
    "checked.ok && (checked.result as { state: { phase: string } }).state.phase === 'up-to-date'",
  );
  assert.deepEqual(await page.restart(true), {
    ok: true,
    result: { now: false, why: 'no update is ready to install' },
  });

  for (const bad of [
    { mode: 'sometimes', channel: 'beta' },
    { mode: 'off' },
    'off',
    { mode: 'off', channel: 'beta', feedUrl: 'x' },
  ]) {
    const r = await page.choose(bad);
    assert.equal(r.ok ? 'ok' : r.error.code, 'BAD_ARGUMENT', JSON.stringify(bad));
  }
  const notBool = await page.restart('yes' as unknown as boolean);
  assert.equal(notBool.ok ? 'ok' : notBool.error.code, 'BAD_ARGUMENT');
  assert.deepEqual(prefs.updates(), { mode: 'notify', channel: 'beta' }, 'nothing refused was saved');

  const framed = await fake
    .loadPage(PAGE, { subframe: true })
    .bridge.updates!.choose({ mode: 'off', channel: 'stable' });
  assert.equal(framed.ok ? 'ok' : framed.error.code, 'IPC_REJECTED');
  const other = await fake.loadPage('https://evil.example/').bridge.updates!.restart(true);
  assert.equal(other.ok ? 'ok' : other.error.code, 'IPC_REJECTED');
  assert.deepEqual(feed.requests, ['check']);
  c.dispose();
});
