/**
 * The systemd unit `clawbridge service install` writes (src-main/cli/service-systemd.ts): its
 * ExecStart= is the command line given, word for word, whatever the home and flags hold; it restarts
 * on failure with a relay's open-file limit; each kind carries the hardening it allows and names what
 * it leaves out; and `systemd-analyze verify` accepts it without a warning, as a user and a system unit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serviceArgv, SERVICE_OPEN_FILES, type ServiceSpec } from '../../../src-main/cli/service-spec.js';
import { systemdHardening, systemdUnit } from '../../../src-main/cli/service-systemd.js';
import { execStartArgv, unitValue } from '../../helpers/systemd-exec-start.js';
import { tempDir } from '../../helpers/temp-dir.js';

const script = fileURLToPath(new URL('../../../bin/clawbridge.js', import.meta.url));

/** A home and flags with everything a unit's syntax gives a meaning to. */
const HOSTILE: ServiceSpec = {
  kind: 'agent',
  home: `/srv/clawbridge homes/%h $HOME "quoted" 'single' back\\slash ; semi`,
  node: process.execPath,
  script,
  nodeArgs: [],
  flags: [
    '--name',
    'my box; rm -rf ~',
    '--relay',
    'wss://r.example:443/?a=%20&b=$USER',
    '--listen',
    '0.0.0.0:0',
  ],
};

test('ExecStart= is the command line given, word for word, through quotes, %, $, ; and backslashes', () => {
  for (const kind of ['agent', 'relay'] as const) {
    for (const runAs of [undefined, 'clawbridge']) {
      const spec = { ...HOSTILE, kind };
      const unit = systemdUnit(spec, runAs ? { runAs } : {});
      const execStart = unitValue(unit, 'ExecStart');
      assert.ok(execStart, 'the unit has an ExecStart=');
      assert.deepEqual(execStartArgv(execStart), serviceArgv(spec), `${kind}, ${runAs ?? 'user unit'}`);
      // The description names the home with its % doubled: systemd would expand %h in it.
      assert.match(unitValue(unit, 'Description')!, /%%h/, 'a % in the description is doubled');
    }
  }
});

test('it restarts on failure, holds the open files a relay needs, and starts with the user or the machine', () => {
  const user = systemdUnit(HOSTILE);
  assert.equal(unitValue(user, 'Restart'), 'on-failure', 'restarted on failure');
  assert.equal(unitValue(user, 'LimitNOFILE'), String(SERVICE_OPEN_FILES), 'LimitNOFILE sized for a relay');
  assert.ok(SERVICE_OPEN_FILES >= 65_536, 'a relay holds one open file per node it serves');
  assert.equal(unitValue(user, 'WantedBy'), 'default.target', 'a user unit starts with the user manager');
  assert.equal(unitValue(user, 'User'), undefined, 'a user unit names no User=');
  const system = systemdUnit(HOSTILE, { runAs: 'clawbridge' });
  assert.equal(unitValue(system, 'User'), 'clawbridge', 'a system unit runs as the dedicated user');
  assert.equal(unitValue(system, 'WantedBy'), 'multi-user.target', 'a system unit starts at boot');
  assert.equal(unitValue(system, 'After'), 'network-online.target', 'a system unit waits for the network');
});

test('an agent keeps every privilege a served shell needs, and says in the unit which directives it leaves out and why', () => {
  for (const runAs of [undefined, 'clawbridge']) {
    const unit = systemdUnit(HOSTILE, runAs ? { runAs } : {});
    for (const directive of [
      'NoNewPrivileges',
      'ProtectSystem',
      'ProtectHome',
      'PrivateTmp',
      'SystemCallFilter',
      'CapabilityBoundingSet',
    ])
      assert.equal(unitValue(unit, directive), undefined, `an agent's unit has no ${directive}=`);
    const comments = unit.split('\n').filter((l) => l.startsWith('# Left out:'));
    assert.ok(
      comments.some((l) => l.includes('NoNewPrivileges=')),
      'says NoNewPrivileges= is left out',
    );
    assert.ok(
      comments.some((l) => l.includes('ProtectSystem=') && l.includes('PrivateTmp=')),
      'says the sandbox is left out',
    );
    assert.match(unit, /# {3}because a served shell is the owner's own: sudo/, 'and why');
  }
});

test('a relay is hardened: no new privileges, a syscall filter, and in a system unit the whole sandbox with only its home writable', () => {
  const relay = { ...HOSTILE, kind: 'relay' as const };
  const user = systemdUnit(relay);
  assert.equal(unitValue(user, 'NoNewPrivileges'), 'yes', 'NoNewPrivileges=yes');
  assert.equal(unitValue(user, 'SystemCallFilter'), '@system-service', 'syscalls filtered');
  assert.equal(unitValue(user, 'ProtectSystem'), undefined, 'a user unit leaves the namespaced sandbox out');
  assert.match(user, /# Left out: ProtectSystem=/, 'and says so');
  const system = systemdUnit(relay, { runAs: 'clawbridge' });
  assert.equal(unitValue(system, 'ProtectSystem'), 'strict', 'ProtectSystem=strict');
  assert.equal(unitValue(system, 'PrivateTmp'), 'yes', 'PrivateTmp=yes');
  assert.deepEqual(
    execStartArgv(unitValue(system, 'ReadWritePaths')!),
    [relay.home],
    'only the home is writable',
  );
  assert.equal(unitValue(system, 'AmbientCapabilities'), 'CAP_NET_BIND_SERVICE', 'may listen on 443');
  assert.deepEqual(
    systemdHardening('relay', true, '/h').leftOut.map((l) => l.directives),
    ['MemoryDenyWriteExecute='],
    'a system unit leaves out only what V8 cannot run under',
  );
});

/** Runs `systemd-analyze verify` on the unit; its stderr (warnings are not errors to its exit code). */
function verify(unit: string, name: string, user: boolean): { status: number | null; stderr: string } {
  const dir = tempDir('cb-unit-');
  const runtime = join(dir, 'runtime');
  mkdirSync(runtime, { mode: 0o700 });
  const file = join(dir, `${name}.service`);
  writeFileSync(file, unit);
  const r = spawnSync('systemd-analyze', [...(user ? ['--user'] : []), 'verify', file], {
    encoding: 'utf8',
    // A user manager's verify needs a runtime folder; no manager runs.
    env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: '0' },
  });
  return { status: r.status, stderr: r.error ? String(r.error) : r.stderr };
}

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });

test(
  'systemd-analyze verify accepts each unit without a warning',
  { skip: analyze.status !== 0 && 'systemd-analyze is not installed' },
  () => {
    // A user that exists here, and not one systemd warns of (nobody).
    const runAs = userInfo().username;
    for (const kind of ['agent', 'relay'] as const) {
      const spec = { ...HOSTILE, kind };
      for (const [unit, user] of [
        [systemdUnit(spec), true],
        [systemdUnit(spec, { runAs }), false],
      ] as const) {
        const r = verify(unit, `clawbridge-${kind}-test`, user);
        assert.equal(r.stderr.trim(), '', `${kind} ${user ? 'user' : 'system'} unit: no warning`);
        assert.equal(r.status, 0, `${kind} ${user ? 'user' : 'system'} unit verified`);
      }
    }
    // The check has teeth: a unit whose command does not exist, or with a key systemd does not know, is refused.
    const broken = systemdUnit(HOSTILE).replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/node');
    assert.notEqual(verify(broken, 'clawbridge-broken', true).status, 0, 'a missing program fails verify');
    const unknownKey = systemdUnit(HOSTILE).replace(
      'Restart=on-failure',
      'Restart=on-failure\nRestartt=always',
    );
    assert.notEqual(verify(unknownKey, 'clawbridge-typo', true).stderr.trim(), '', 'an unknown key warns');
  },
);
