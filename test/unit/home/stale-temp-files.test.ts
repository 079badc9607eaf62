/**
 * Temp files a crash left between write and rename are removed at the next start, and nothing else
 * is: not a live process's temp file, not our own, not other files of the home.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  removeStaleSettingsTempFiles,
  removeStaleTempFiles,
} from '../../../src-main/home/stale-temp-files.js';
import { KEY_FILE, loadOrCreateIdentity } from '../../../src-main/home/identity-store.js';
import { loadOrCreateUiToken, UI_TOKEN_FILE } from '../../../src-main/api/web-ui/ui-token.js';
import { loadOrCreateRelayTls, RELAY_KEY_FILE } from '../../../src-main/cli/relay-command.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** The PID of a process that has ended (a finished `node -e 0`). */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(done.status, 0);
  return done.pid;
}

test('removes the temp files of ended processes, keeps live ones and everything else', () => {
  const dir = tempDir('cb-stale-');
  const dead = deadPid();
  const files = [
    `identity.key.${dead}.tmp`, // a crash mid-write: removed
    `identity.crt.${dead}.tmp`, // removed
    `identity.key.${process.pid}.tmp`, // this process is writing it
    `identity.key.${process.ppid}.tmp`, // a live process may be writing it
    `notes.txt.${dead}.tmp`, // not a name we write
    'identity.key', // the key itself
    `identity.key.${dead}.tmp.bak`, // not a temp file name
  ];
  for (const f of files) writeFileSync(join(dir, f), 'x');
  const removed = removeStaleTempFiles(dir, ['identity.key', 'identity.crt']);
  assert.deepEqual(removed.sort(), [`identity.crt.${dead}.tmp`, `identity.key.${dead}.tmp`]);
  assert.deepEqual(readdirSync(dir).sort(), files.slice(2).sort());
});

test('a missing folder is nothing to clean', () => {
  assert.deepEqual(removeStaleTempFiles(join(tempDir('cb-stale-'), 'none'), ['identity.key']), []);
});

test('the identity, the web UI token and the relay certificate clean up after a crash on load', async () => {
  const home = tempDir('cb-stale-home-');
  const dead = deadPid();
  const leftovers = [KEY_FILE, UI_TOKEN_FILE, RELAY_KEY_FILE].map((name) => `${name}.${dead}.tmp`);
  for (const f of leftovers) writeFileSync(join(home, f), 'a stray copy of a secret', { mode: 0o600 });
  await loadOrCreateIdentity(home);
  loadOrCreateUiToken(home);
  await loadOrCreateRelayTls(home);
  const left = readdirSync(home).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(left, []);
});

test("settings temp files a crashed save left are removed; one younger than a minute (a save in progress) and others' files stay", () => {
  const home = tempDir('cb-settings-tmp-');
  const old = join(home, 'config.json.tmp-5404453678ccb846');
  const fresh = join(home, 'config.json.tmp-0123abcd');
  const other = join(home, 'notes.json.tmp-5404453678ccb846');
  for (const f of [old, fresh, other]) writeFileSync(f, '{}');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(old, hourAgo, hourAgo);
  utimesSync(other, hourAgo, hourAgo);
  assert.deepEqual(removeStaleSettingsTempFiles(home), ['config.json.tmp-5404453678ccb846']);
  assert.deepEqual(readdirSync(home).sort(), ['config.json.tmp-0123abcd', 'notes.json.tmp-5404453678ccb846']);
});
