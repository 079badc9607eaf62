/**
 * Every permission is named where people look for it: `peers allow --help` and `peers deny --help`,
 * the `--allow` lists of `peers add`, `pair` and `approve`, and the README's `peers allow|deny` row,
 * all from the one list in core/permissions.ts, so a new permission cannot be left out of them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerCommandsFor } from '../../../src-main/cli/command-modules.js';
import { PERMISSIONS } from '../../helpers/agent-contract.js';

async function program(): Promise<Command> {
  const p = new Command('clawbridge');
  // No command: every module, as the help loads them.
  await registerCommandsFor(p, []);
  return p;
}

function sub(parent: Command, ...names: string[]): Command {
  let at = parent;
  for (const n of names) {
    const next = at.commands.find((c) => c.name() === n);
    assert.ok(next, `no command ${names.join(' ')}`);
    at = next;
  }
  return at;
}

function missing(text: string): string[] {
  return PERMISSIONS.filter((p) => !new RegExp(`\\b${p}\\b`).test(text));
}

test('peers allow/deny --help and every --allow option name every permission', async () => {
  const p = await program();
  for (const verb of ['allow', 'deny']) {
    const help = sub(p, 'peers', verb).helpInformation();
    assert.deepEqual(missing(help), [], `peers ${verb} --help:\n${help}`);
  }
  const withAllow: Command[] = [];
  const walk = (c: Command) => {
    if (c.options.some((o) => o.long === '--allow')) withAllow.push(c);
    c.commands.forEach(walk);
  };
  walk(p);
  assert.ok(withAllow.length >= 2, 'peers add and pair take --allow');
  for (const c of withAllow) {
    const text = c.options.find((o) => o.long === '--allow')!.description;
    assert.deepEqual(missing(text), [], `${c.name()} --allow: ${text}`);
  }
});

test("the README's peers allow|deny row names every permission", () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const row = readme.split('\n').find((l) => l.startsWith('| `clawbridge peers allow'));
  assert.ok(row, 'the README has a `peers allow|deny` row');
  const command = row.split(' | ')[0]!;
  assert.deepEqual(missing(command), [], row);
});
