/**
 * The window's file helpers in main (src-main/electron/files-ipc.ts) through the real preload
 * (test/helpers/fake-electron-ipc.ts), and the tray's "Send files…" (sendFilesFromTray), with
 * electron faked: what the page gets, what is refused before anything runs, and what the tray does.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  pickOptions,
  registerFilesIpc,
  sendFilesFromTray,
  type FilesDesktop,
  type PickKind,
} from '../../../src-main/electron/files-ipc.js';
import { fakeElectronIpc } from '../../helpers/fake-electron-ipc.js';

const PAGE = 'file:///opt/Clawbridge/resources/app.asar/dist/renderer/index.html';

let off: (() => void) | undefined;
afterEach(() => {
  off?.();
  off = undefined;
});

function setup(answer: string[] | null = ['/home/me/a.txt', '/home/me/photos']) {
  const fake = fakeElectronIpc();
  const picked: PickKind[] = [];
  const opened: string[] = [];
  const desktop: FilesDesktop = {
    pick: (kind) => {
      picked.push(kind);
      return Promise.resolve(answer);
    },
    downloadsDir: () => '/home/me/Downloads',
    openPath: (path) => {
      opened.push(path);
      return Promise.resolve('');
    },
  };
  off = registerFilesIpc(fake.electron.ipcMain, PAGE, desktop, () => undefined);
  return { fake, picked, opened };
}

test('the app page gets the picked paths, the Downloads folder, and a folder shown', async () => {
  const { fake, picked, opened } = setup();
  const page = fake.loadPage(PAGE);
  assert.deepEqual(await page.bridge.pickFiles!('files'), {
    ok: true,
    result: ['/home/me/a.txt', '/home/me/photos'],
  });
  assert.deepEqual(await page.bridge.pickFiles!('folder'), {
    ok: true,
    result: ['/home/me/a.txt', '/home/me/photos'],
  });
  assert.deepEqual(picked, ['files', 'folder']);
  assert.deepEqual(await page.bridge.downloadsDir!(), { ok: true, result: '/home/me/Downloads' });
  const dir = mkdtempSync(join(tmpdir(), 'cb-files-ipc-'));
  assert.deepEqual(await page.bridge.openFolder!(dir), { ok: true, result: null });
  assert.deepEqual(opened, [dir]);
});

test('a cancelled picker answers null', async () => {
  const { fake } = setup(null);
  assert.deepEqual(await fake.loadPage(PAGE).bridge.pickFiles!('files'), { ok: true, result: null });
});

test('a foreign page or a subframe is refused, and so are bad arguments, before anything runs', async () => {
  const { fake, picked, opened } = setup();
  for (const page of [
    fake.loadPage('https://evil.example/index.html'),
    fake.loadPage(PAGE, { subframe: true }),
  ]) {
    const reply = await page.bridge.pickFiles!('files');
    assert.equal(reply.ok, false);
    assert.equal(!reply.ok && reply.error.code, 'IPC_REJECTED');
    assert.equal((await page.bridge.downloadsDir!()).ok, false);
  }
  const app = fake.loadPage(PAGE);
  const refused = async (reply: Promise<unknown>, re: RegExp) => {
    const r = (await reply) as { ok: boolean; error?: { code: string; message: string } };
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'BAD_ARGUMENT');
    assert.match(r.error?.message ?? '', re);
  };
  await refused(app.bridge.pickFiles!('everything' as 'files'), /'files' or 'folder'/);
  await refused(app.bridge.openFolder!('relative/dir'), /not an absolute path/);
  await refused(app.bridge.openFolder!(42 as unknown as string), /absolute path of at most 4096/);
  // A file is never opened: shell.openPath would run it.
  const file = join(mkdtempSync(join(tmpdir(), 'cb-files-ipc-')), 'run-me.sh');
  writeFileSync(file, '#!/bin/sh\n');
  await refused(app.bridge.openFolder!(file), /is not a folder/);
  await refused(app.bridge.openFolder!('/nonexistent/cb-files-ipc'), /cannot be opened/);
  assert.deepEqual(picked, []);
  assert.deepEqual(opened, []);
});

test('a dropped file’s path comes from webUtils in the preload', () => {
  const { fake } = setup();
  const page = fake.loadPage(PAGE);
  assert.equal(page.bridge.pathForFile!({ path: '/home/me/dropped.txt' }), '/home/me/dropped.txt');
});

test('the picker asks for several files, or several folders', () => {
  assert.deepEqual(pickOptions('files').properties, ['openFile', 'multiSelections']);
  assert.deepEqual(pickOptions('folder').properties, ['openDirectory', 'multiSelections']);
});

test("the tray's Send files…: picker, files.send to the peer, then the Files view; cancel does nothing; a refusal is shown", async () => {
  const calls: string[] = [];
  const deps = (picked: string[] | null, sendError?: Error) => ({
    pick: (kind: PickKind) => {
      calls.push(`pick ${kind}`);
      return Promise.resolve(picked);
    },
    send: (peer: string, paths: string[]) => {
      calls.push(`send ${peer} ${paths.join(',')}`);
      return sendError ? Promise.reject(sendError) : Promise.resolve({});
    },
    showFiles: () => calls.push('show files'),
    showError: (m: string) => calls.push(`error ${m}`),
  });
  const nas = { fingerprint: 'ab'.repeat(32), name: 'nas' };
  assert.equal(await sendFilesFromTray(deps(['/a', '/b']), nas), 'sent');
  assert.deepEqual(calls, ['pick files', `send ${nas.fingerprint} /a,/b`, 'show files']);
  calls.length = 0;
  assert.equal(await sendFilesFromTray(deps(null), nas), 'cancelled');
  assert.equal(await sendFilesFromTray(deps([]), nas), 'cancelled');
  assert.deepEqual(calls, ['pick files', 'pick files']);
  calls.length = 0;
  assert.equal(await sendFilesFromTray(deps(['/a'], new Error('nas is offline')), nas), 'failed');
  assert.deepEqual(calls, [
    'pick files',
    `send ${nas.fingerprint} /a`,
    'error Could not send files to nas: nas is offline',
  ]);
});
