import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import {
  COMMAND_MODULES,
  COMMAND_OWNERS,
  modulesFor,
  type CommandModule,
} from '../../../src-main/cli/command-modules.js';

test('every top-level command is owned by the module that registers it, and by no other', async () => {
  const defined: Record<string, CommandModule> = {};
  for (const name of Object.keys(COMMAND_MODULES) as CommandModule[]) {
    const program = new Command('clawbridge');
    (await COMMAND_MODULES[name]())(program);
    for (const cmd of program.commands) {
      assert.equal(defined[cmd.name()], undefined, `${cmd.name()} is registered twice`);
      defined[cmd.name()] = name;
    }
  }
  assert.deepEqual(defined, COMMAND_OWNERS);
});

test('a command line loads only the module of its command; help, --version and typos load all', () => {
  const all = Object.keys(COMMAND_MODULES);
  assert.deepEqual(modulesFor(['status']), ['client']);
  assert.deepEqual(modulesFor(['--json', 'peers', 'add', 'x']), ['client']);
  assert.deepEqual(modulesFor(['term', 'b', '--', 'true']), ['term']);
  assert.deepEqual(modulesFor(['agent', '--home', '/tmp/x']), ['server']);
  assert.deepEqual(modulesFor([]), all);
  assert.deepEqual(modulesFor(['--help']), all);
  // The version needs no command: loading every module made `clawbridge --version` take ~1 s.
  assert.deepEqual(modulesFor(['--version']), []);
  assert.deepEqual(modulesFor(['-V']), []);
  assert.deepEqual(modulesFor(['--version', '--help']), all);
  assert.deepEqual(modulesFor(['help', 'status']), all);
  assert.deepEqual(modulesFor(['stauts']), all);
  // Inherited object keys are not commands.
  assert.deepEqual(modulesFor(['constructor']), all);
});
