/**
 * What the CLI says against a real agent, in its own words: a hint names what the CLI knows (this
 * node's name, not `<this node's name>`); a wrong argument or home is said in the command's terms (not
 * an API method's, a raw `ENOENT … statfs`, or advice to start an agent on a file); and the agent's
 * words (`’`, `…`, `→`, written for the window) reach the terminal in ASCII like the rest.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentCall, cli, startAgent, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** Anything but printable ASCII, line breaks and tabs. */
const NON_ASCII = /[^\t\n\r -~]/;

let home = '';

before(async () => {
  const relay = await startRelay();
  home = tempHome('cli-words');
  await startAgent(home, { name: 'desk', relay: relay.url, listen: '127.0.0.1:0', ui: false });
  const added = await cli(['peers', 'add', 'c'.repeat(64), '--name', 'b', '--home', home]);
  assert.equal(added.code, 0, added.stderr);
  // The NAT line's words come once a relay said where it sees this node.
  await until(
    'the relay observed this node',
    async () => ((await agentCall(home, 'status', {})).nat?.observed.length ?? 0) > 0,
    30_000,
  );
});

test('peers mine: the command to run on the other device names this node', async () => {
  const r = await cli(['peers', 'mine', 'b', 'on', '--home', home]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /there, run `clawbridge peers mine desk on`/, r.stdout);
  assert.ok(!r.stdout.includes('<'), `no placeholder left to fill: ${r.stdout}`);
});

test('file cancel with no transfer ID: said in the command’s words, with what lists them', async () => {
  const r = await cli(['file', 'cancel', 'nope', '--home', home]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `clawbridge: 'nope' is not a transfer ID (32 hex characters): \`clawbridge file transfers --home ${home}\` lists them\n`,
  );
});

test('file usage with a home that does not exist: says so, no errno or system call', async () => {
  const missing = join(tempHome('cli-words-missing'), 'nothing-here');
  const r = await cli(['file', 'usage', '--home', missing]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `clawbridge: no clawbridge home at ${missing} (no such directory), so no files to show: check --home\n`,
  );
});

test('log with a home that does not exist: says so, not `no events` (as file usage does)', async () => {
  const missing = join(tempHome('cli-words-missing-log'), 'nothing-here');
  for (const args of [[], ['--json']]) {
    const r = await cli(['log', ...args, '--home', missing]);
    assert.equal(r.code, 1, `log ${args.join(' ')} fails: ${r.stdout}`);
    assert.equal(
      r.stderr,
      `clawbridge: no clawbridge home at ${missing} (no such directory), so no events to show: check --home\n`,
    );
    assert.ok(!r.stdout.includes('no events\n'), `no empty listing: ${r.stdout}`);
  }
});

test('status and log with a file as their home: say it is a file, not to start an agent there', async () => {
  const file = join(tempHome('cli-words-file'), 'notes.txt');
  writeFileSync(file, 'not a home\n');
  const r = await cli(['status', '--home', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is a file, not a clawbridge home: give --home the directory/, r.stderr);
  assert.ok(!r.stderr.includes('start one with'), r.stderr);
  const log = await cli(['log', '--home', file]);
  assert.equal(log.code, 1);
  assert.equal(
    log.stderr,
    `clawbridge: ${file} is not a directory: give --home a directory (or move that file away)\n`,
    'log reads the home itself: the same words, no ENOTDIR',
  );
});

test('status, peers and log print the agent’s words in ASCII', async () => {
  for (const args of [['status'], ['peers', '--wide'], ['log', '--wide'], ['connections']]) {
    const r = await cli([...args, '--home', home]);
    assert.equal(r.code, 0, r.stderr);
    const bad = r.stdout.split('\n').filter((l) => NON_ASCII.test(l));
    assert.deepEqual(bad, [], `clawbridge ${args.join(' ')}`);
  }
});
