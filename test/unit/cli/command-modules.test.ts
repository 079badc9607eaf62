import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { importsOf, resolveSpec } from '../../../scripts/import-graph.mjs';
import {
  COMMAND_MODULES,
  COMMAND_OWNERS,
  modulesFor,
  type CommandModule,
} from '../../../src-main/cli/command-modules.js';
import type { DomainCli } from '../../../src-main/cli/domain-cli.js';
import { DOMAIN_CLIS } from '../../../src-main/cli/domain-commands.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('every top-level command is owned by the module that registers it, and by no other', async () => {
  const defined: Record<string, CommandModule> = {};
  for (const name of Object.keys(COMMAND_MODULES)) {
    const program = new Command('clawbridge');
    (await COMMAND_MODULES[name]!())(program);
    for (const cmd of program.commands) {
      assert.equal(defined[cmd.name()], undefined, `${cmd.name()} is registered twice`);
      defined[cmd.name()] = name;
    }
  }
  assert.deepEqual(defined, COMMAND_OWNERS);
});

test('a command line loads only the module of its command; help, --version and typos load all', () => {
  const all = Object.keys(COMMAND_MODULES);
  assert.deepEqual(modulesFor(['status']), ['status']);
  assert.deepEqual(modulesFor(['--json', 'peers', 'add', 'x']), ['client']);
  assert.deepEqual(modulesFor(['term', 'b', '--', 'true']), ['term']);
  assert.deepEqual(modulesFor(['agent', '--home', '/tmp/x']), ['server']);
  // A domain's commands, from its folder's cli/ part.
  assert.deepEqual(modulesFor(['msg', 'send', 'b', 'hi']), ['msg']);
  assert.deepEqual(modulesFor(['proxy', 'add']), ['forward']);
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

test("the help lists the commands in the order it always did, the domains' among the CLI's own", async () => {
  const program = new Command('clawbridge');
  for (const name of Object.keys(COMMAND_MODULES)) (await COMMAND_MODULES[name]!())(program);
  assert.deepEqual(
    program.commands.map((c) => c.name()),
    [
      'id',
      'agent',
      'relay',
      'status',
      'peers',
      'stop',
      'ping',
      'pair',
      'pending',
      'approve',
      'reject',
      'forward',
      'proxy',
      'term',
      'connections',
      'log',
      'msg',
      'file',
      'share',
      'ui',
      'settings',
    ],
  );
});

/** Every `src-main/<domain>/cli/` folder (the CLI's own folder aside). */
function domainCliFolders(): string[] {
  return readdirSync(`${root}/src-main`, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'cli' && existsSync(`${root}/src-main/${e.name}/cli`))
    .map((e) => `src-main/${e.name}/cli`);
}

test("every domain's cli/ part describes itself in one *-cli.ts, and the CLI's list holds each", async () => {
  const folders = domainCliFolders();
  assert.ok(folders.length >= 4, folders.join(' '));
  const found: DomainCli[] = [];
  for (const folder of folders) {
    const descriptions = readdirSync(`${root}/${folder}`).filter((f) => f.endsWith('-cli.ts'));
    assert.equal(descriptions.length, 1, `${folder} has one *-cli.ts`);
    const module = (await import(pathToFileURL(`${root}/${folder}/${descriptions[0]}`).href)) as Record<
      string,
      DomainCli
    >;
    const exported = Object.values(module);
    assert.equal(exported.length, 1, `${folder}/${descriptions[0]} exports its description only`);
    found.push(exported[0]!);
  }
  assert.equal(DOMAIN_CLIS.length, found.length, 'cli/domain-commands.ts lists every domain cli/ part');
  for (const d of found) assert.ok(DOMAIN_CLIS.includes(d), 'cli/domain-commands.ts lists it');
});

/** The files `entry` loads before any `import()` runs: its static value imports, followed through. */
function loadedAtStart(entry: string): Set<string> {
  const seen = new Set<string>();
  const exists = (f: string) => existsSync(`${root}/${f}`);
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of importsOf(readFileSync(`${root}/${file}`, 'utf8'), file)) {
      if (imp.typeOnly || imp.dynamic) continue;
      const to = resolveSpec(file, imp.spec, exists);
      if (to) visit(to);
    }
  };
  visit(entry);
  return seen;
}

test("`status` loads the domains' small descriptions and status lines, none of their commands", () => {
  const loaded = [
    ...new Set([
      ...loadedAtStart('src-main/cli/main.ts'),
      ...loadedAtStart('src-main/cli/status-command.ts'),
    ]),
  ];
  // What the list of domains costs by itself (ADR 0085): each description and its zod-free contract
  // piece, their runtime behind import() in create. The CLI reads the permission words from it.
  const theList = new Set(loadedAtStart('src-main/app/domains.ts'));
  const ofDomains = loaded.filter((f) => domainCliFolders().some((d) => f.startsWith(`${d.slice(0, -3)}`)));
  assert.deepEqual(
    ofDomains.filter((f) => !f.endsWith('-cli.ts') && !theList.has(f)),
    [],
    "status loads no domain module but its cli/ description and the list's descriptions and contract pieces",
  );
  assert.deepEqual(
    ofDomains.filter((f) => f.includes('/cli/') && !f.endsWith('-cli.ts')),
    [],
    "status loads none of the domains' command modules (behind load())",
  );
  assert.ok(ofDomains.filter((f) => f.endsWith('-cli.ts')).length >= 4, ofDomains.join(' '));
});
