/**
 * A settings save that does not fit on the disk fails and leaves config.json whole (durable-file.ts).
 * The agent runs with a 4 KiB file size limit (prlimit): a write past it is cut short as on a nearly
 * full disk. Before, the save reported success and renamed the first 4 KiB over config.json, and the
 * next start refused the file: every peer and forward lost.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cli, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { sleep } from '../helpers/wait.js';

after(stopAll);

const LIMIT_BYTES = 4096;
const skip =
  process.platform !== 'linux' || spawnSync('prlimit', ['--version']).status !== 0
    ? 'needs prlimit (Linux)'
    : false;

test('a save cut short by the disk fails, says so, and config.json stays whole', { skip }, async () => {
  const home = join(tempHome('disk-limit'), 'home');
  const agent = await startAgent(home, {
    listen: false,
    ui: false,
    name: 'limited',
    prefix: ['prlimit', `--fsize=${LIMIT_BYTES}`, '--'],
  });
  const fingerprint = (await cli(['id', '--home', home])).stdout.split(/\s+/)[1]!;
  assert.match(fingerprint, /^[0-9a-f]{64}$/);
  // Peers until the file would outgrow the limit: each save either works whole or fails whole.
  let refused: string | undefined;
  for (let i = 0; i < 40 && refused === undefined; i++) {
    const fp = (i + 1).toString(16).padStart(64, 'a');
    const r = await cli(['peers', 'add', fp, '--name', `peer-with-a-long-name-${i}`, '--home', home]);
    const text = readFileSync(join(home, 'config.json'), 'utf8');
    const saved = JSON.parse(text) as { peers: { name: string }[] };
    if (r.code === 0) {
      assert.ok(
        saved.peers.some((p) => p.name === `peer-with-a-long-name-${i}`),
        'a save that says so is saved',
      );
    } else {
      refused = r.stderr;
      assert.ok(!saved.peers.some((p) => p.name === `peer-with-a-long-name-${i}`), 'nothing was changed');
      assert.ok(Buffer.byteLength(text) <= LIMIT_BYTES, 'Buffer.byteLength(text) <= LIMIT_BYTES');
    }
  }
  assert.match(
    refused ?? 'never refused',
    /cannot save the settings to .*config\.json \(EFBIG\): .*nothing was changed/,
  );
  // And the agent lives on (SIGXFSZ used to end it right after its reply).
  await sleep(300, 'the agent must live on past its reply');
  assert.equal(agent.child.exitCode, null, `the agent exited: ${agent.stderr()}`);
  assert.equal((await cli(['status', '--home', home])).code, 0);
  assert.deepEqual(
    readdirSync(home).filter((f) => f.includes('.tmp')),
    [],
    'no temp file left behind',
  );
  await agent.stop();
  // The next start reads the file as it was last saved.
  const again = await startAgent(home, { listen: false, ui: false });
  assert.equal(again.name, 'limited');
  assert.equal((await cli(['peers', 'remove', 'peer-with-a-long-name-0', '--home', home])).code, 0);
  await again.stop();
});

test('a first identity cut short by the disk leaves no half identity behind', { skip }, async () => {
  const home = join(tempHome('disk-limit-id'), 'home');
  const limited = spawnSync('prlimit', ['--fsize=300', '--', process.execPath, CLI, 'id', '--home', home], {
    encoding: 'utf8',
  });
  assert.equal(limited.status, 1, limited.stderr);
  assert.match(limited.stderr, /^clawbridge: cannot write .*identity\.(key|crt)/m);
  assert.deepEqual(
    readdirSync(home).filter((f) => f.startsWith('identity')),
    [],
    'no key, no temp file',
  );
  // With room again, the node simply gets its identity.
  const again = await cli(['id', '--home', home]);
  assert.equal(again.code, 0, again.stderr);
});
