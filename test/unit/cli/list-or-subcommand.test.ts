/** The commander behaviour refuseStrayWords relies on: its own unknown-command error, with a suggestion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { allowStrayWords, refuseStrayWords } from '../../../src-main/cli/list-or-subcommand.js';

test('a stray word after a listing command is commander’s unknown command, with its suggestion', async () => {
  const program = new Command().exitOverride();
  let listed = 0;
  const peers = program.command('peers').action((_opts: unknown, cmd: Command) => {
    refuseStrayWords(cmd);
    listed++;
  });
  peers.command('add <fp>').action(() => undefined);
  allowStrayWords(peers);
  for (const cmd of [program, peers]) cmd.exitOverride().configureOutput({ writeErr: () => undefined });
  await program.parseAsync(['peers'], { from: 'user' });
  assert.equal(listed, 1);
  await assert.rejects(
    program.parseAsync(['peers', 'ad', 'x'], { from: 'user' }),
    /unknown command 'ad'[\s\S]*Did you mean add\?/,
  );
  assert.equal(listed, 1);
});
