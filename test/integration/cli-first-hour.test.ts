/**
 * The CLI as a new user meets it ("the first hour"): a missing command on a peer, refused agent flags,
 * usage errors, `--json` on the commands that change things, and `clawbridge stop`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cli, stopAll, tempHome, startAgent, assertAgentFailed } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { ok, portFree, startPair, type Pair } from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';

after(stopAll);

test('agent: a refused flag leaves no home and no identity behind', async () => {
  const home = join(tempHome('refused'), 'home');
  for (const flags of [
    ['--listen', 'nonsense'],
    ['--relay', 'http://x'],
    ['--terminal-resume', 'soon'],
  ]) {
    const r = await startAgent(home, { args: flags, expect: 'failure' });
    assertAgentFailed(r, /^clawbridge: /);
    assert.equal(existsSync(home), false, `agent ${flags.join(' ')} created ${home}`);
  }
});

test('a mistyped subcommand of peers, forward or proxy is named, with a suggestion; subcommands still refuse extra words', async () => {
  for (const [args, typo, meant] of [
    [['peers', 'ad', 'abc'], 'ad', 'add'],
    [['forward', 'ad'], 'ad', 'add'],
    [['proxy', 'lst'], 'lst', 'list'],
  ] as const) {
    const r = await cli([...args]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, new RegExp(`unknown command '${typo}'`));
    assert.match(r.stderr, new RegExp(`Did you mean ${meant}\\?`));
  }
  // term's options end where the peer's command starts only after --: say so when one is missed.
  const term = await cli(['term', 'a', 'ls', '-d', '/']);
  assert.match(
    term.stderr,
    /unknown option '-d'\n\(a command for the peer goes after --: `clawbridge term PEER -- ls -l`/,
  );
  const extra = await cli(['peers', 'add', 'abc', 'def', '--name', 'x']);
  assert.match(extra.stderr, /too many arguments for 'add'/);
});

test("a usage error points at the subcommand's own help", async () => {
  const r = await cli(['peers', 'add', 'abc']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /required option '--name <name>'/);
  assert.match(r.stderr, /run `clawbridge peers add --help` for usage/);
  assert.doesNotMatch(r.stderr, /run `clawbridge --help`/);
  const f = await cli(['forward', 'add', '--via', 'b']);
  assert.match(f.stderr, /run `clawbridge forward add --help` for usage/);
  const top = await cli(['--no-such-flag']);
  assert.match(top.stderr, /run `clawbridge --help` for usage/);
});

test('stop with no agent running: one line, exit 1', async () => {
  const home = tempHome('noagent');
  const r = await cli(['stop', '--home', home]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `clawbridge: no agent is running for ${home}\n`);
});

let pair: Pair;

before(async () => {
  pair = await startPair();
});

test('term on a command the peer does not have: one line naming it, exit status 127', async () => {
  const r = await cli(['term', 'b', '--home', pair.homeA, '--', 'clawbridge-no-such-command']);
  assert.equal(r.code, 127, r.stderr);
  assert.match(r.stdout + r.stderr, /clawbridge: clawbridge-no-such-command: command not found/);
  assert.doesNotMatch(r.stdout + r.stderr, /execvp/);
  // There but not runnable: 126, in a shell's words.
  const notExecutable = join(tempHome('not-executable'), 'script.sh');
  writeFileSync(notExecutable, 'echo hi\n', { mode: 0o644 });
  for (const [target, why] of [
    [notExecutable, 'permission denied'],
    [dirname(notExecutable), 'is a directory'],
  ] as const) {
    const t = await cli(['term', 'b', '--home', pair.homeA, '--', target]);
    assert.equal(t.code, 126, t.stderr);
    assert.equal(t.stderr, `clawbridge: ${target}: ${why}\n`);
  }
});

test('--json on ping, forward rm, proxy rm and peers remove', async () => {
  const ping = JSON.parse(await ok(['ping', 'b', '--home', pair.homeA, '--json'])) as Record<string, unknown>;
  assert.equal(ping.peer, 'b');
  assert.equal(typeof ping.rttMs, 'number');
  const pings = JSON.parse(
    await ok(['ping', 'b', '--count', '2', '--home', pair.homeA, '--json']),
  ) as unknown[];
  assert.equal(pings.length, 2);

  const port = await freePort();
  await ok([
    'forward',
    'add',
    '--local',
    String(port),
    '--via',
    'b',
    '--remote',
    '127.0.0.1:9',
    '--name',
    'j',
    '--home',
    pair.homeA,
  ]);
  // Forwards and proxies share one namespace; a switch of the other kind is refused, as rm is, naming
  // the command that does it.
  const wrong = await cli(['proxy', 'off', 'j', '--home', pair.homeA]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /'j' is a forward, not a proxy: use `clawbridge forward disable j --home /);
  assert.equal(
    await ok(['forward', 'off', 'j', '--home', pair.homeA]),
    `forward j (127.0.0.1:${port}): off\n`,
  );
  assert.match(
    await ok(['forward', 'on', 'j', '--home', pair.homeA]),
    /^forward j \(127\.0\.0\.1:\d+\): listening/,
  );
  assert.deepEqual(JSON.parse(await ok(['forward', 'rm', 'j', '--home', pair.homeA, '--json'])), {
    name: 'j',
  });
  const proxyPort = await freePort();
  const p = JSON.parse(
    await ok(['proxy', 'add', '--socks', String(proxyPort), '--via', 'b', '--home', pair.homeA, '--json']),
  ) as { name: string };
  assert.deepEqual(JSON.parse(await ok(['proxy', 'rm', p.name, '--home', pair.homeA, '--json'])), {
    name: p.name,
  });

  // A list of permissions, as approve --allow takes it.
  assert.equal(
    await ok(['peers', 'deny', 'a', 'terminal,forward,message', '--home', pair.homeB]),
    'a may now do here: nothing\n',
  );
  assert.equal(
    await ok(['peers', 'allow', 'a', 'forward,terminal', '--home', pair.homeB]),
    'a may now do here: forward, terminal\n',
  );

  const removed = JSON.parse(await ok(['peers', 'remove', 'a', '--home', pair.homeB, '--json'])) as Record<
    string,
    unknown
  >;
  assert.equal(removed.name, 'a');
  assert.match(String(removed.fingerprint), /^[0-9a-f]{64}$/);
});

test('stop: the agent closes its forwards, exits 0, and stop returns once it is gone', async () => {
  const port = await freePort();
  await ok([
    'forward',
    'add',
    '--local',
    String(port),
    '--via',
    'b',
    '--remote',
    '127.0.0.1:9',
    '--name',
    'web',
    '--home',
    pair.homeA,
  ]);
  assert.equal(await portFree(port), false, 'the forward listens');
  const r = await cli(['stop', '--home', pair.homeA]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'agent a stopped\n');
  assert.equal(await portFree(port), true, "the forward's port is free once stop returned");
  assert.equal(await pair.a.stop(), 0, 'the agent process exited with 0');
  const again = await cli(['stop', '--home', pair.homeA]);
  assert.equal(again.code, 1);
});

test('pair new while the home relay is down prints the code and a note that joiners cannot find it there', async () => {
  const home = tempHome('relay-down');
  const port = await freePort();
  const agent = await startAgent(home, { relay: `ws://127.0.0.1:${port}`, listen: '127.0.0.1:0', ui: false });
  const r = await cli(['pair', 'new', '--home', home]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^code: /m);
  assert.match(
    r.stderr,
    new RegExp(
      `note: relay ws://127\\.0\\.0\\.1:${port} is not connected now.*a joiner finds this node only on this network`,
    ),
  );
  await agent.stop();
});

test('pair new with no relay says why no joiner could find this node: no listener, or one on loopback', async () => {
  for (const [flag, why] of [
    ['--no-direct', /no direct listener \(it runs with --no-direct\)/],
    [
      '--listen=[::1]:0',
      /its direct listener \(\[::1\]:\d+\) is not announced on the LAN \(it is a loopback address/,
    ],
  ] as const) {
    const home = tempHome('no-meeting-place');
    const agent = await startAgent(home, { args: [flag], ui: false });
    const r = await cli(['pair', 'new', '--home', home]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, why);
    await agent.stop();
  }
});

test('a kill that comes while the agent still starts stops it cleanly once it runs, not mid-start', async () => {
  const home = tempHome('kill-at-start');
  const agent = await startAgent(home, { listen: '127.0.0.1:0', ui: false, expect: 'nothing' });
  // Its control socket is up before it has started its links and said it runs: a kill now is a kill
  // during the start (the default action ended the process there, with nothing undone).
  await until('the control socket', () => existsSync(controlSocketPath(home)), 30_000);
  const exited = new Promise<number | null>((resolve) => agent.child.once('exit', resolve));
  agent.child.kill('SIGTERM');
  // Waited for, not stopped: a second signal would end it at once, by design.
  const code = await exited;
  assert.equal(agent.child.signalCode, null, `ended by its own exit, not the signal: ${agent.stderr()}`);
  assert.equal(code, 0, agent.stderr());
  assert.equal(existsSync(controlSocketPath(home)), false, 'its control socket is gone');
});

test('a hang-up (its terminal window closed) stops the agent cleanly, as Ctrl-C does', async () => {
  const home = tempHome('hangup');
  const agent = await startAgent(home, { listen: '127.0.0.1:0', ui: false });
  await agent.stop('SIGHUP');
  // After its clean stop it ends by the hang-up itself (what a shell expects; Node's own exit would
  // restore a closed terminal and abort): no crash, and its control socket is gone.
  assert.equal(agent.child.signalCode, 'SIGHUP');
  assert.equal(agent.stderr(), '');
  assert.equal(existsSync(join(home, 'agent.sock')), false, 'its control socket is gone');
});
