/**
 * Root's `clawbridge service` never acts on what the service's user wrote (issue 82). Root installs a
 * system unit for a second account (`nobody` here) as docs/service.md says; that account owns the home
 * and so `service.json` in it, and rewrites it to name `ssh` and a file of root's. `service logs` and
 * `service uninstall`, run by root, must still read and remove only the Clawbridge unit derived from
 * the kind and the home. The built CLI runs as root with stand-ins for `systemctl` and `journalctl`
 * first on PATH (they record their arguments), in a mount namespace of its own where a temp folder is
 * bind-mounted over /etc/systemd/system, so the machine's real units are never touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serviceName } from '../../src-main/cli/service-spec.js';
import { CLI, stopAll, tempHome } from '../helpers/processes.js';

after(stopAll);

/** Why the tests cannot run here, or undefined. */
function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (a system unit is root’s to install)';
  if (spawnSync('unshare', ['-m', 'true']).status !== 0) return 'needs unshare -m (a mount namespace)';
  if (spawnSync('id', ['-u', 'nobody']).status !== 0) return 'needs the account nobody';
  return undefined;
}
const skip = missing();

const nobody = () => ({
  uid: Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim()),
  gid: Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim()),
});

/** A stand-in that appends `NAME ARGS…` to $CALLS, then does what $HOOK says for its first word. */
const STAND_IN = `#!/bin/sh
printf '%s\\n' "$(basename "$0") $*" >> "$CALLS"
for a in "$@"; do
  if [ "$a" = "enable" ] && [ -n "$SWAP_HOME" ]; then mv "$SWAP_HOME" "$SWAP_HOME.moved" && ln -s "$SWAP_TO" "$SWAP_HOME"; fi
done
[ "$(basename "$0")" = journalctl ] && echo "2026-11-28T12:00:00+0000 box clawbridge[1]: journal line"
exit 0
`;

interface World {
  root: string;
  unitDir: string;
  calls: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

function world(label: string): World {
  const root = tempHome(label);
  // The account runs node and writes in the home: it must reach them.
  chmodSync(root, 0o755);
  const unitDir = join(root, 'etc-systemd-system');
  mkdirSync(unitDir);
  const bin = join(root, 'bin');
  mkdirSync(bin);
  for (const name of ['systemctl', 'journalctl']) writeFileSync(join(bin, name), STAND_IN, { mode: 0o755 });
  const calls = join(root, 'calls');
  writeFileSync(calls, '');
  const { uid, gid } = nobody();
  // The account's own folder, and the home in it, as in /home/svc/node.
  const own = join(root, 'svc');
  mkdirSync(own);
  chownSync(own, uid, gid);
  const home = join(own, 'node home');
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, uid, gid);
  return {
    root,
    unitDir,
    calls,
    home,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CALLS: calls },
  };
}

/** `clawbridge ARGS` as root, its /etc/systemd/system the world's folder. */
function asRoot(w: World, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(
    'unshare',
    [
      '-m',
      'sh',
      '-c',
      'mount --bind "$1" /etc/systemd/system && shift && exec "$@"',
      'sh',
      w.unitDir,
      process.execPath,
      CLI,
      ...args,
    ],
    { encoding: 'utf8', env: { ...w.env, ...env }, timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const calls = (w: World) => readFileSync(w.calls, 'utf8').split('\n').filter(Boolean);

test(
  "root's uninstall and logs act on the Clawbridge unit, whatever the service's user wrote in service.json",
  { skip: skip ?? false, timeout: 120_000 },
  () => {
    const w = world('svc-root');
    const name = serviceName('agent', w.home);
    const install = asRoot(w, ['service', 'install', 'agent', '--home', w.home, '--run-as', 'nobody']);
    assert.equal(install.code, 0, `install as root: ${install.stderr}`);
    const unit = join(w.unitDir, `${name}.service`);
    assert.match(readFileSync(unit, 'utf8'), /^User=nobody$/m, 'a system unit for the account');
    const record = join(w.home, 'service.json');
    assert.equal(statSync(record).uid, nobody().uid, "the record is the account's (in its home)");

    // The account rewrites its record to name sshd's unit and a file of root's.
    const precious = join(w.root, 'root-file');
    writeFileSync(precious, 'root only\n', { mode: 0o600 });
    const forged = JSON.parse(readFileSync(record, 'utf8')) as Record<string, unknown>;
    Object.assign(forged, { name: 'ssh', definition: precious, log: 'journalctl -u ssh.service' });
    writeFileSync(record, JSON.stringify(forged));
    chownSync(record, nobody().uid, nobody().gid);
    writeFileSync(w.calls, '');

    const logs = asRoot(w, ['service', 'logs', '--home', w.home, '-n', '5']);
    assert.equal(logs.code, 0, `logs: ${logs.stderr}`);
    assert.deepEqual(
      calls(w),
      [`journalctl -u ${name}.service -n 5 --no-pager -o short-iso`],
      "logs read the Clawbridge unit's journal, not the one the record names",
    );

    const status = asRoot(w, ['service', 'status', '--home', w.home]);
    assert.equal(status.code, 0, `status: ${status.stderr}`);
    assert.match(status.stdout, new RegExp(`service: +${name} `), 'status names the Clawbridge unit');
    assert.doesNotMatch(status.stdout, /ssh|root-file/, 'nothing of the forged record is shown');

    writeFileSync(w.calls, '');
    const uninstall = asRoot(w, ['service', 'uninstall', '--home', w.home]);
    assert.equal(uninstall.code, 0, `uninstall: ${uninstall.stderr}`);
    assert.equal(readFileSync(precious, 'utf8'), 'root only\n', "root's file is left as it was");
    assert.ok(
      !calls(w).some((c) => c.includes('ssh')),
      `nothing was asked of ssh.service: ${calls(w).join(' | ')}`,
    );
    assert.ok(
      calls(w).includes(`systemctl disable --now ${name}.service`),
      `the Clawbridge unit was disabled: ${calls(w).join(' | ')}`,
    );
    assert.equal(existsSync(unit), false, 'the Clawbridge unit is removed');
    assert.equal(existsSync(record), false, 'the record is removed');
    assert.match(uninstall.stdout, new RegExp(`stopped and removed ${name}`), 'it says which it removed');
  },
);

test(
  "root's install writes the record as the account: a home swapped for a link meanwhile gets root nothing",
  { skip: skip ?? false, timeout: 120_000 },
  () => {
    const w = world('svc-swap');
    // A folder of root's that the account may not write; the account swaps its home for a link to it
    // while systemctl runs (the stand-in does it, as the account could: it owns the home's folder).
    const rootOnly = join(w.root, 'root-only');
    mkdirSync(rootOnly, { mode: 0o700 });
    const install = asRoot(w, ['service', 'install', 'agent', '--home', w.home, '--run-as', 'nobody'], {
      SWAP_HOME: w.home,
      SWAP_TO: rootOnly,
    });
    assert.deepEqual(readdirSync(rootOnly), [], 'nothing was written in the folder of root’s');
    assert.notEqual(install.code, 0, 'the install failed: the record could not be written as the account');
    assert.match(install.stderr, /nothing was left installed/, `it says so: ${install.stderr}`);
    assert.deepEqual(readdirSync(w.unitDir), [], 'and took its unit back');
  },
);
