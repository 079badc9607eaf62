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
import { agentCall, CLI, cli, stopAll, tempHome, startAgent } from '../helpers/processes.js';
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
  const saved = () => {
    const text = readFileSync(join(home, 'config.json'), 'utf8');
    return { text, names: (JSON.parse(text) as { peers: { name: string }[] }).peers.map((p) => p.name) };
  };
  // Peers until the file would outgrow the limit: each save either works whole or fails whole. Added
  // over the control socket, as `peers add` does (a CLI process each was ~0.4 s of CPU, a dozen of
  // them); the command itself is run once the limit is reached, for the words it prints.
  const REFUSAL = /cannot save the settings to .*config\.json \(EFBIG\): .*nothing was changed/;
  let refused: { name: string; fingerprint: string } | undefined;
  for (let i = 0; i < 40 && refused === undefined; i++) {
    const fp = (i + 1).toString(16).padStart(64, 'a');
    const name = `peer-with-a-long-name-${i}`;
    const error = await agentCall(home, 'peers.add', { fingerprint: fp, name }).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    const { text, names } = saved();
    if (error === undefined) {
      assert.ok(names.includes(name), 'a save that says so is saved');
    } else {
      refused = { name, fingerprint: fp };
      assert.match(error.message, REFUSAL);
      assert.ok(!names.includes(name), 'nothing was changed');
      assert.ok(Buffer.byteLength(text) <= LIMIT_BYTES, 'Buffer.byteLength(text) <= LIMIT_BYTES');
    }
  }
  assert.ok(refused, 'a save past the limit was refused');
  const r = await cli(['peers', 'add', refused.fingerprint, '--name', refused.name, '--home', home]);
  assert.equal(r.code, 1, `peers add past the limit fails: ${r.stdout}`);
  assert.match(r.stderr, REFUSAL);
  assert.ok(!saved().names.includes(refused.name), 'nothing was changed by the command either');
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
