/**
 * `clawbridge service install / uninstall / status / logs` against each platform's manager, faked
 * (src-main/cli/service-manager.ts): what is written where, the commands the manager is given, one
 * service per home, what status reads back, and a manager's refusal leaving no record behind.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import {
  installService,
  uninstallService,
  type ServiceMachine,
} from '../../../src-main/cli/service-manager.js';
import { serviceLogs, serviceState } from '../../../src-main/cli/service-query.js';
import { readServiceRecord } from '../../../src-main/cli/service-record.js';
import type { CommandResult } from '../../../src-main/cli/service-runner.js';
import {
  serviceArgv,
  serviceLogPath,
  serviceName,
  type ServiceSpec,
} from '../../../src-main/cli/service-spec.js';
import { splitInstallWords } from '../../../src-main/cli/service-command.js';
import { specForCli } from '../../../src-main/cli/service-this-cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

/**
 * The uid `id -u svc` answers: this process's, so that a home it makes is svc's, unless that is root's,
 * which --run-as refuses (then another, and the home is given to it).
 */
const SVC_UID = (process.getuid?.() ?? 1000) === 0 ? 1001 : process.getuid!();

/** Makes the home, owned by svc. */
function svcHome(home: string): void {
  mkdirSync(home);
  if (process.getuid?.() !== 0) return;
  chownSync(home, SVC_UID, SVC_UID);
  // The record is written with svc's rights: svc must reach the home through the temp folder.
  chmodSync(dirname(home), 0o755);
}

interface Fake {
  machine: ServiceMachine;
  calls: string[][];
  spec: ServiceSpec;
  osHome: string;
}

/** A machine whose manager answers `answers[program]` (or exit 0) and records every command line. */
function fakeMachine(
  platform: NodeJS.Platform,
  opts: {
    uid?: number;
    answer?: (file: string, args: readonly string[]) => Partial<CommandResult> | undefined;
  } = {},
): Fake {
  const root = tempDir('cb-svc-');
  const osHome = join(root, 'user');
  mkdirSync(osHome);
  const home = join(root, 'node home');
  const calls: string[][] = [];
  const tasks = new Set<string>();
  const machine: ServiceMachine = {
    platform,
    uid: opts.uid ?? 1000,
    user: 'owner',
    ...(platform === 'win32' ? { userDomain: 'DESK' } : {}),
    osHome,
    env: {},
    systemUnitDir: join(root, 'etc-systemd-system'),
    lingerDir: join(root, 'linger'),
    now: () => new Date('2026-11-28T12:00:00Z'),
    run: (file, args) => {
      calls.push([file, ...args]);
      // Task Scheduler's library: a task is there from its /Create to its /Delete.
      const task = file === 'schtasks' ? args[args.indexOf('/TN') + 1] : undefined;
      if (task && args[0] === '/Create') tasks.add(task);
      const asked = task && args[0] === '/Query' && !tasks.has(task) ? { code: 1 } : {};
      if (task && args[0] === '/Delete') tasks.delete(task);
      return Promise.resolve({ code: 0, stdout: '', stderr: '', ...asked, ...opts.answer?.(file, args) });
    },
  };
  const spec: ServiceSpec = {
    kind: 'agent',
    home,
    node: '/usr/bin/node',
    script: '/opt/clawbridge/bin/clawbridge.js',
    nodeArgs: [],
    flags: ['--name', 'box'],
  };
  return { machine, calls, spec, osHome };
}

test('Linux as a user: a user unit written, reloaded, enabled and started; the linger step said; uninstall undoes it', async () => {
  const f = fakeMachine('linux');
  const { record, notes } = await installService(f.machine, f.spec);
  const name = serviceName('agent', f.spec.home);
  const unit = join(f.osHome, '.config', 'systemd', 'user', `${name}.service`);
  assert.equal(record.definition, unit, 'the unit in ~/.config/systemd/user');
  assert.match(readFileSync(unit, 'utf8'), /^ExecStart=\/usr\/bin\/node /m, 'the unit is written');
  assert.deepEqual(f.calls, [
    ['systemctl', '--user', 'daemon-reload'],
    ['systemctl', '--user', 'enable', '--now', `${name}.service`],
  ]);
  assert.ok(
    notes.some((n) => n.includes('loginctl enable-linger owner')),
    'says the one step for boot',
  );
  assert.deepEqual(readServiceRecord(f.spec.home)?.argv, serviceArgv(f.spec), 'the home records what runs');
  assert.equal(record.log, `journalctl --user -u ${name}.service`, 'its log is the journal');

  f.calls.length = 0;
  await uninstallService(f.machine, f.spec.home);
  assert.equal(existsSync(unit), false, 'the unit is removed');
  assert.equal(readServiceRecord(f.spec.home), undefined, 'the record is removed');
  assert.deepEqual(f.calls, [
    ['systemctl', '--user', 'disable', '--now', `${name}.service`],
    ['systemctl', '--user', 'daemon-reload'],
  ]);
});

test('a second service on the same home is refused, of either kind, and the first is left as it was', async () => {
  const f = fakeMachine('linux');
  await installService(f.machine, f.spec);
  const calls = f.calls.length;
  for (const kind of ['agent', 'relay'] as const)
    await assert.rejects(installService(f.machine, { ...f.spec, kind }), { code: 'SERVICE_EXISTS' }, kind);
  assert.equal(f.calls.length, calls, 'the manager was not asked anything');
  assert.equal(readServiceRecord(f.spec.home)?.kind, 'agent', 'the first service is still recorded');
});

test('a manager that refuses leaves no record, so install can be tried again', async () => {
  const f = fakeMachine('linux', {
    answer: (_file, args) =>
      args.includes('enable') ? { code: 1, stderr: 'Failed to connect to bus' } : undefined,
  });
  await assert.rejects(installService(f.machine, f.spec), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SERVICE_FAILED', 'the code says the manager failed');
    assert.match(err.message, /Failed to connect to bus/, "with the manager's words");
    return true;
  });
  assert.equal(readServiceRecord(f.spec.home), undefined, 'nothing recorded');
});

test('Linux as root: a system unit only with --run-as, for a user who owns the home', async () => {
  const f = fakeMachine('linux', {
    uid: 0,
    answer: (file) => (file === 'id' ? { stdout: `${SVC_UID}\n` } : undefined),
  });
  await assert.rejects(
    installService(f.machine, f.spec),
    { code: 'BAD_ARGUMENT' },
    'refused without --run-as',
  );
  await assert.rejects(
    installService(f.machine, f.spec, { runAs: 'svc' }),
    /must exist and belong to svc/,
    'the home must be there',
  );
  svcHome(f.spec.home);
  const { record } = await installService(f.machine, f.spec, { runAs: 'svc' });
  assert.equal(record.manager, 'systemd-system', 'a system unit');
  assert.match(readFileSync(record.definition, 'utf8'), /^User=svc$/m, 'run as the user');
  assert.deepEqual(
    f.calls.filter((c) => c[0] === 'systemctl'),
    [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', `${record.name}.service`],
    ],
  );
  const user = fakeMachine('linux');
  await assert.rejects(
    installService(user.machine, user.spec, { runAs: 'svc' }),
    /needs root/,
    '--run-as needs root',
  );
});

test('--run-as root, or an account with uid 0, is refused: a shell server never runs as root', async () => {
  // Both names are uid 0 and the home is root's, so only running as root stands in the way.
  const f = fakeMachine('linux', {
    uid: 0,
    answer: (file) => (file === 'id' ? { stdout: '0\n' } : undefined),
  });
  mkdirSync(f.spec.home);
  for (const user of ['root', 'toor']) {
    await assert.rejects(
      installService(f.machine, f.spec, { runAs: user }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'BAD_ARGUMENT', err.message);
        assert.match(
          err.message,
          new RegExp(`^--run-as ${user}: the service would run as root, and a shell server never does`),
          err.message,
        );
        assert.match(err.message, /then `--run-as clawbridge`/, `says what to do instead: ${err.message}`);
        return true;
      },
      `--run-as ${user} refused`,
    );
  }
  assert.equal(existsSync(f.machine.systemUnitDir), false, 'no unit written');
  assert.deepEqual(readdirSync(f.spec.home), [], 'no record written');
  assert.deepEqual(
    f.calls.filter((c) => c[0] === 'systemctl'),
    [],
    'systemd never asked',
  );
});

test('status reads what the manager says: state, pid and since when', async () => {
  const f = fakeMachine('linux', {
    answer: (_file, args) =>
      args.includes('show')
        ? {
            stdout:
              'ActiveState=active\nSubState=running\nMainPID=4242\nActiveEnterTimestamp=Sat 2026-11-28 12:00:01 UTC\n',
          }
        : undefined,
  });
  const { record } = await installService(f.machine, f.spec);
  assert.deepEqual(await serviceState(f.machine, record), {
    state: 'active (running)',
    running: true,
    pid: 4242,
    since: 'Sat 2026-11-28 12:00:01 UTC',
  });
});

test('macOS: a launchd agent in ~/Library/LaunchAgents, bootstrapped in the GUI domain; its log is a file in the home', async () => {
  const f = fakeMachine('darwin', {
    answer: (file, args) =>
      file === 'launchctl' && args[0] === 'print'
        ? { stdout: 'gui/1000/dev.clawbridge.x = {\n\tstate = running\n\tpid = 777\n}' }
        : file === 'ps'
          ? { stdout: 'Sat Nov 28 12:00:00 2026\n' }
          : undefined,
  });
  const { record } = await installService(f.machine, f.spec);
  const label = `dev.clawbridge.${serviceName('agent', f.spec.home)}`;
  assert.equal(
    record.definition,
    join(f.osHome, 'Library', 'LaunchAgents', `${label}.plist`),
    'in LaunchAgents',
  );
  assert.deepEqual(f.calls, [['launchctl', 'bootstrap', 'gui/1000', record.definition]]);
  assert.equal(record.log, serviceLogPath(f.spec.home), "the home's log file");
  assert.deepEqual(await serviceState(f.machine, record), {
    state: 'running',
    running: true,
    pid: 777,
    since: 'Sat Nov 28 12:00:00 2026',
  });
  writeFileSync(record.log, 'one\ntwo\nthree\n');
  assert.deepEqual(await serviceLogs(f.machine, record, 2), ['two', 'three'], 'the last lines of the log');
  f.calls.length = 0;
  await uninstallService(f.machine, f.spec.home);
  assert.deepEqual(f.calls, [['launchctl', 'bootout', `gui/1000/${label}`]]);
  assert.equal(existsSync(record.definition), false, 'the plist is removed');
});

test('Windows: the task created from UTF-16 XML, run now; removed with /End and /Delete', async () => {
  let xml = '';
  const f = fakeMachine('win32', {
    answer: (file, args) => {
      if (file === 'schtasks' && args[0] === '/Create')
        xml = readFileSync(args[args.indexOf('/XML') + 1]!).toString('hex', 0, 2);
      return undefined;
    },
  });
  const { record } = await installService(f.machine, f.spec);
  const path = `\\Clawbridge\\${serviceName('agent', f.spec.home)}`;
  assert.equal(record.definition, path, "the task's path");
  assert.equal(xml, 'fffe', 'the XML file starts with the UTF-16LE byte order mark');
  const changes = () => f.calls.filter((c) => c[1] !== '/Query');
  assert.deepEqual(
    changes().map((c) => c.slice(0, 3)),
    [
      ['schtasks', '/Create', '/TN'],
      ['schtasks', '/Run', '/TN'],
    ],
  );
  assert.equal(changes()[0]![3], path, 'created under its path');
  f.calls.length = 0;
  await uninstallService(f.machine, f.spec.home);
  assert.deepEqual(changes(), [
    ['schtasks', '/End', '/TN', path],
    ['schtasks', '/Delete', '/TN', path, '/F'],
  ]);
});

test("install's words: --home and --run-as are the command's, everything else the server's flags, in order", () => {
  assert.deepEqual(splitInstallWords(['--name', 'a', '--home', '/h', '--relay', 'wss://r', '--run-as=svc']), {
    home: '/h',
    runAs: 'svc',
    flags: ['--name', 'a', '--relay', 'wss://r'],
  });
  assert.throws(() => splitInstallWords(['--home', '/a', '--home=/b']), /twice/);
  assert.throws(() => splitInstallWords(['--home']), /needs a value/);
});

test("the spec repeats the CLI's own node and script, absolute, through a link to the script, with its node flags resolved", () => {
  const dir = tempDir('cb-svc-cli-');
  const script = join(dir, 'clawbridge.js');
  writeFileSync(script, '');
  const link = join(dir, 'clawbridge');
  symlinkSync(script, link);
  const spec = specForCli('relay', join(dir, 'home'), ['--listen', '0.0.0.0:443'], {
    execPath: '/usr/bin/node',
    execArgv: ['--import', 'tsx', '--max-old-space-size=256'],
    script: link,
  });
  assert.equal(spec.script, script, 'the link followed');
  assert.equal(spec.node, '/usr/bin/node', 'the same node');
  assert.equal(spec.nodeArgs[0], '--import', 'node flags kept in order');
  assert.match(spec.nodeArgs[1]!, /^file:\/\/\/.*tsx/, 'a package named by the CLI resolved to its file');
  assert.equal(spec.nodeArgs[2], '--max-old-space-size=256', 'other node flags as they were');
  assert.throws(
    () => specForCli('agent', dir, ['--nope']),
    /takes no option --nope/,
    'an unknown flag refused at install',
  );
  assert.throws(
    () => specForCli('relay', dir, ['--listen']),
    /argument missing/,
    'a flag without its value refused',
  );
  assert.throws(() => specForCli('agent', dir, ['stray']), /takes no argument stray/, 'a stray word refused');
});

test('the definition, which holds the flags (a relay token among them), is readable by its owner alone', async () => {
  for (const platform of ['linux', 'darwin'] as const) {
    const f = fakeMachine(platform);
    const { record } = await installService(f.machine, { ...f.spec, flags: ['--relay-token', 'secret'] });
    assert.equal(statSync(record.definition).mode & 0o777, 0o600, `${platform}: mode 0600`);
  }
});

test('a user unit that cannot start (no user bus) is taken back, and the error says how to get a user manager', async () => {
  const f = fakeMachine('linux', {
    answer: (_file, args) =>
      args.includes('enable') ? { code: 1, stderr: 'Failed to connect to bus: No medium found' } : undefined,
  });
  const unit = join(f.osHome, '.config', 'systemd', 'user', `${serviceName('agent', f.spec.home)}.service`);
  await assert.rejects(installService(f.machine, f.spec), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'SERVICE_FAILED', 'the manager failed');
    assert.match(err.message, /no user manager/, 'says what is missing');
    assert.match(err.message, /loginctl enable-linger owner/, 'names the command that gives one at boot');
    assert.match(err.message, /XDG_RUNTIME_DIR=\/run\/user\/1000/, 'and how to reach it from this shell');
    assert.match(err.message, /nothing was left installed/, 'says nothing is left');
    return true;
  });
  assert.equal(existsSync(unit), false, 'the unit it wrote is removed');
  assert.equal(readServiceRecord(f.spec.home), undefined, 'nothing recorded');
  assert.ok(
    f.calls.some(
      (c) => c.join(' ') === `systemctl --user disable --now ${serviceName('agent', f.spec.home)}.service`,
    ),
    'what enable may have done is undone',
  );
  await assert.rejects(
    uninstallService(f.machine, f.spec.home),
    /has no service installed/,
    'nothing to uninstall',
  );
});

test('a system unit on a machine without systemd is taken back, and the error says to use its own init', async () => {
  const f = fakeMachine('linux', {
    uid: 0,
    answer: (file) =>
      file === 'id'
        ? { stdout: `${SVC_UID}\n` }
        : file === 'systemctl'
          ? {
              code: 1,
              stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.",
            }
          : undefined,
  });
  svcHome(f.spec.home);
  await assert.rejects(installService(f.machine, f.spec, { runAs: 'svc' }), (err: Error) => {
    assert.match(err.message, /not run by systemd/, 'says the machine has no systemd');
    assert.match(err.message, /clawbridge agent --home '/, 'names what to run instead, with the home');
    assert.match(err.message, /nothing was left installed/, 'says nothing is left');
    return true;
  });
  assert.deepEqual(readdirSync(f.machine.systemUnitDir), [], 'the unit it wrote is removed');
});

test('launchd and Task Scheduler: a failed start takes back the plist and the task', async () => {
  const mac = fakeMachine('darwin', {
    answer: (file, args) =>
      file === 'launchctl' && args[0] === 'bootstrap'
        ? { code: 5, stderr: 'Bootstrap failed: 5: Input/output error' }
        : undefined,
  });
  await assert.rejects(installService(mac.machine, mac.spec), /Bootstrap failed.*nothing was left installed/);
  assert.deepEqual(readdirSync(join(mac.osHome, 'Library', 'LaunchAgents')), [], 'the plist is removed');
  const win = fakeMachine('win32', {
    answer: (file, args) =>
      file === 'schtasks' && args[0] === '/Run' ? { code: 1, stderr: 'ERROR: Access is denied.' } : undefined,
  });
  await assert.rejects(installService(win.machine, win.spec), /Access is denied.*nothing was left installed/);
  const path = `\\Clawbridge\\${serviceName('agent', win.spec.home)}`;
  assert.ok(
    win.calls.some((c) => c.join(' ') === `schtasks /Delete /TN ${path} /F`),
    'the task it created is deleted',
  );
});

test('uninstall removes a unit a failed install left (an older release kept it), with no record in the home', async () => {
  const f = fakeMachine('linux');
  const name = serviceName('agent', f.spec.home);
  const unit = join(f.osHome, '.config', 'systemd', 'user', `${name}.service`);
  mkdirSync(dirname(unit), { recursive: true });
  writeFileSync(unit, '[Service]\n');
  const removed = await uninstallService(f.machine, f.spec.home);
  assert.deepEqual(
    removed.map((s) => s.name),
    [name],
    'it names the unit it removed',
  );
  assert.equal(existsSync(unit), false, 'the unit is removed');
  assert.deepEqual(f.calls, [
    ['systemctl', '--user', 'disable', '--now', `${name}.service`],
    ['systemctl', '--user', 'daemon-reload'],
  ]);
});

test("uninstall and logs follow the kind and the home, not the home's record: a record naming another unit is not acted on", async () => {
  const f = fakeMachine('linux');
  const { record } = await installService(f.machine, f.spec);
  const precious = join(f.osHome, 'precious');
  writeFileSync(precious, 'keep');
  writeFileSync(
    join(f.spec.home, 'service.json'),
    JSON.stringify({ ...record, name: 'ssh', definition: precious, log: precious }),
  );
  f.calls.length = 0;
  await uninstallService(f.machine, f.spec.home);
  assert.equal(readFileSync(precious, 'utf8'), 'keep', 'the file the record names is left');
  assert.ok(!f.calls.flat().some((w) => w.includes('ssh')), 'nothing asked of the unit the record names');
  assert.equal(existsSync(record.definition), false, "the home's own unit is removed");
});

test('a link where the unit goes is not written through, nor removed', async () => {
  const f = fakeMachine('linux');
  const unit = join(f.osHome, '.config', 'systemd', 'user', `${serviceName('agent', f.spec.home)}.service`);
  mkdirSync(dirname(unit), { recursive: true });
  const target = join(f.osHome, 'elsewhere');
  symlinkSync(target, unit);
  await assert.rejects(installService(f.machine, f.spec), { code: 'SERVICE_EXISTS' });
  assert.equal(existsSync(target), false, 'nothing written where the link points');
  assert.equal(lstatSync(unit).isSymbolicLink(), true, 'the link is left');
  assert.deepEqual(f.calls, [], 'the manager was not asked anything');
});
