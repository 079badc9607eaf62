/**
 * Settings → "Keep running after Quit (install as a service)" in main (src-main/electron/service-desktop.ts,
 * service-ipc.ts, agent-host-choice.ts switchHome): what Settings may offer, the command it runs, and the
 * app's agent stepping aside for the install and attaching after it. Electron is faked.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClawError } from '../../../src-main/core/errors.js';
import { writeServiceRecord } from '../../../src-main/cli/service-record.js';
import type { CommandResult } from '../../../src-main/cli/service-runner.js';
import type { AgentClient } from '../../../src-main/electron/agent-client.js';
import { startDesktopAgent } from '../../../src-main/electron/agent-host-choice.js';
import {
  cliOnPath,
  desktopServiceStatus,
  installDesktopService,
  type DesktopServiceDeps,
} from '../../../src-main/electron/service-desktop.js';
import { fakeAgent } from '../../helpers/fake-electron-agent.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/wait.js';

function deps(
  answer: Partial<CommandResult> = {},
  cli: [string, string] | null = [
    '/usr/local/bin/node',
    '/usr/local/lib/node_modules/clawbridge/bin/clawbridge.js',
  ],
) {
  const home = tempDir('cb-desk-svc-');
  const calls: string[][] = [];
  const d: DesktopServiceDeps = {
    home,
    cli: () => cli,
    run: (file, args) => {
      calls.push([file, ...args]);
      return Promise.resolve({ code: 0, stdout: '', stderr: '', ...answer });
    },
  };
  return { d, calls, home };
}

const record = {
  kind: 'agent' as const,
  name: 'clawbridge-agent-0123abcd',
  manager: 'systemd' as const,
  definition: '/x.service',
  argv: [],
  flags: [],
  log: 'journalctl --user -u clawbridge-agent-0123abcd.service',
  installedAt: '2026-11-28T12:00:00.000Z',
};

test('Settings offers the switch only where a service can run this node, and says why not', () => {
  const ok = deps();
  assert.deepEqual(desktopServiceStatus(ok.d), { installed: null, blocked: null }, 'offered');
  const keychain = deps();
  writeFileSync(join(keychain.home, 'identity.key.enc'), 'sealed');
  assert.match(
    desktopServiceStatus(keychain.d).blocked ?? '',
    /system keychain/,
    'a key only the app can read',
  );
  const noCli = deps({}, null);
  assert.match(desktopServiceStatus(noCli.d).blocked ?? '', /npm install -g clawbridge/, 'no CLI to run');
  const installed = deps();
  writeServiceRecord(installed.home, record);
  assert.deepEqual(desktopServiceStatus(installed.d), {
    installed: { name: record.name, log: record.log },
    blocked: null,
  });
});

test("the switch runs the same install as the CLI, for the home, and says the CLI's own refusal", async () => {
  const ok = deps();
  await installDesktopService(ok.d);
  assert.deepEqual(ok.calls, [
    [
      '/usr/local/bin/node',
      '/usr/local/lib/node_modules/clawbridge/bin/clawbridge.js',
      'service',
      'install',
      'agent',
      '--home',
      ok.home,
    ],
  ]);
  const refused = deps({ code: 1, stderr: 'clawbridge: the home /h already has a service (agent, x)\n' });
  await assert.rejects(installDesktopService(refused.d), {
    code: 'SERVICE_FAILED',
    message: 'the home /h already has a service (agent, x)',
  });
});

test('the CLI is found on PATH as node and its script, the link followed; the npm shim on Windows', () => {
  const dir = tempDir('cb-path-');
  const bin = join(dir, 'bin');
  const lib = join(dir, 'lib', 'node_modules', 'clawbridge', 'bin');
  mkdirSync(bin);
  mkdirSync(lib, { recursive: true });
  writeFileSync(join(lib, 'clawbridge.js'), '');
  symlinkSync(join(lib, 'clawbridge.js'), join(bin, 'clawbridge'));
  writeFileSync(join(bin, 'node'), '');
  assert.deepEqual(cliOnPath({ PATH: `/nonexistent:${bin}` }, 'linux'), [
    join(bin, 'node'),
    join(lib, 'clawbridge.js'),
  ]);
  assert.equal(
    cliOnPath({ PATH: '/nonexistent' }, 'linux')?.[1].startsWith(dir) ?? false,
    false,
    'not elsewhere',
  );
  const win = tempDir('cb-winpath-');
  mkdirSync(join(win, 'node_modules', 'clawbridge', 'bin'), { recursive: true });
  writeFileSync(join(win, 'node_modules', 'clawbridge', 'bin', 'clawbridge.js'), '');
  writeFileSync(join(win, 'clawbridge.cmd'), '');
  writeFileSync(join(win, 'node.exe'), '');
  assert.deepEqual(cliOnPath({ PATH: win }, 'win32'), [
    join(win, 'node.exe'),
    join(win, 'node_modules', 'clawbridge', 'bin', 'clawbridge.js'),
  ]);
});

test("switching: the app's own agent stops before the install, and the app then attaches to the service's agent", async () => {
  const own = fakeAgent();
  const events: string[] = [];
  let serving = false;
  let installed = false;
  const stopped = own.connection.stop.bind(own.connection);
  own.connection.stop = (opts) => (events.push('own agent stopped'), stopped(opts));
  const client = {
    ...fakeAgent().connection,
    onClose: () => () => {},
    close: () => {},
  } as unknown as AgentClient;
  const agent = startDesktopAgent({
    startOwn: () => (events.push('own agent started'), own.connection),
    connect: () =>
      serving ? Promise.resolve(client) : Promise.reject(new ClawError('NO_AGENT', 'nothing listens')),
    serviceInstalled: () => installed,
    lookMs: 10,
    log: () => {},
  });
  await until('the app runs its own agent', () => events.includes('own agent started'));
  await agent.switchHome(() => {
    events.push('install');
    installed = true;
    serving = true;
    return Promise.resolve();
  });
  await until('attached to the service', () => {
    const s = agent.hostState();
    return s.kind === 'running' && s.attached === 'service';
  });
  assert.deepEqual(
    events,
    ['own agent started', 'own agent stopped', 'install'],
    'stopped first, then installed',
  );
});
