/**
 * The systemd user unit `clawbridge service install agent` writes, run. No systemd manager can run in
 * this test's environment (PID 1 is no systemd, and `systemd --user` refuses to start without one), so
 * the unit's ExecStart= line is split as systemd splits it (test/helpers/systemd-exec-start.ts) and run
 * exactly as written, from `/` and with no more environment than a user manager gives; a peer on
 * loopback then reaches the agent it started and opens a shell there. A stop as systemd stops it
 * (SIGTERM to the main process, KillMode=mixed) ends it with success, so Restart=on-failure leaves it
 * stopped; a crash ends it with a failure, which systemd starts again.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { installService, type ServiceMachine } from '../../src-main/cli/service-manager.js';
import { specForCli } from '../../src-main/cli/service-this-cli.js';
import { addPeer, online, startLoopbackNode } from '../helpers/loopback-nodes.js';
import { CLI, cli, nodeId, stopAll, tempHome } from '../helpers/processes.js';
import { execStartArgv, unitValue } from '../helpers/systemd-exec-start.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** A Linux user's machine whose systemctl only records: the unit is what the test runs. */
function userMachine(osHome: string): ServiceMachine {
  return {
    platform: 'linux',
    run: () => Promise.resolve({ code: 0, stdout: '', stderr: '' }),
    uid: 1000,
    user: 'owner',
    osHome,
    env: {},
    systemUnitDir: join(osHome, 'unused-system'),
    lingerDir: join(osHome, 'unused-linger'),
    now: () => new Date(),
  };
}

/** What a user manager gives a service: no terminal, no test runner's variables. */
function userManagerEnv(osHome: string): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: osHome,
    LANG: 'C.UTF-8',
    // Where the control socket goes depends on these: the user manager sets them for its services
    // as for the owner's own commands.
    ...(process.env.XDG_RUNTIME_DIR ? { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR } : {}),
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
}

test(
  "the user unit's ExecStart, run as written, starts an agent a peer reaches and opens a shell on",
  { timeout: 180_000 },
  async () => {
    const osHome = tempHome('svc-user');
    const home = join(tempHome('svc-node'), 'a home with spaces');
    mkdirSync(home, { recursive: true });
    // The spec as `clawbridge service install` makes it when run from the built CLI.
    const spec = specForCli('agent', home, ['--name', 'svc', '--listen', '127.0.0.1:0', '--no-ui'], {
      execPath: process.execPath,
      execArgv: [],
      script: CLI,
    });
    const { record } = await installService(userMachine(osHome), spec);
    const unit = readFileSync(record.definition, 'utf8');
    const argv = execStartArgv(unitValue(unit, 'ExecStart')!);
    assert.deepEqual(argv, record.argv, 'the line says what the record says runs');

    const analyze = spawnSync('systemd-analyze', ['--version']);
    if (analyze.status === 0) {
      const runtime = join(osHome, 'runtime');
      mkdirSync(runtime, { mode: 0o700 });
      const verified = spawnSync('systemd-analyze', ['--user', 'verify', record.definition], {
        encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: runtime },
      });
      assert.equal(verified.status, 0, `systemd-analyze verify: ${verified.stderr}`);
    }

    const run = () => {
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: '/',
        env: userManagerEnv(osHome),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').resume();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return { child, out: () => out, exited };
    };
    const service = run();
    try {
      const line = await until('the service agent runs', () =>
        /^agent svc running, fingerprint ([0-9a-f]{64}), direct (127\.0\.0\.1:\d+)$/m.exec(service.out()),
      );
      const [, fingerprint, address] = line;
      assert.equal(fingerprint, (await nodeId(home)).fingerprint, 'it serves the home of the unit');

      // A peer on loopback, trusted both ways, dials it and opens a shell there.
      const peer = await startLoopbackNode('peer', 'svc');
      await addPeer({ home }, { name: 'peer', fingerprint: peer.fingerprint }, 'terminal');
      await addPeer(peer, { name: 'svc', fingerprint: fingerprint, address: address! }, 'none', true);
      await online(peer, 'svc');
      const term = await cli(['term', 'svc', '--home', peer.home, '--', 'sh', '-c', 'echo served-$((6*7))']);
      assert.equal(term.code, 0, `term: ${term.stderr}`);
      assert.match(term.stdout, /served-42/, 'the shell the service serves ran the command');

      // systemd's stop: SIGTERM to the main process. A clean stop is a success: not restarted.
      service.child.kill('SIGTERM');
      assert.equal(
        await service.exited,
        0,
        'a stop ends it with success (Restart=on-failure leaves it stopped)',
      );
    } finally {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    }

    // A crash is a failure, which systemd starts again: the next run serves the same home.
    const again = run();
    try {
      await until('the agent runs again', () => /^agent svc running/m.test(again.out()));
      again.child.kill('SIGKILL');
      await again.exited;
      assert.notEqual(again.child.signalCode, null, 'killed: systemd counts it a failure and restarts it');
    } finally {
      if (again.child.exitCode === null && again.child.signalCode === null) again.child.kill('SIGKILL');
    }
  },
);
