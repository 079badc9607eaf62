import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { importsOf, resolveSpec } from '../../../scripts/import-graph.mjs';
import { domainCliFiles } from '../../../scripts/domain-cli-modules.js';
import { domains } from '../../../src-main/app/domains.js';
import {
  commandModules,
  commandOwners,
  modulesFor,
  type CommandModule,
} from '../../../src-main/cli/command-modules.js';
import type { DomainCli } from '../../../src-main/cli/domain-cli.js';
import { domainCliPath } from '../../../src-main/cli/domain-cli-modules.js';
import { domainClis } from '../../../src-main/cli/domain-commands.js';
import { importable } from '../../helpers/transpiled.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('every top-level command is owned by the module that registers it, and by no other', async () => {
  const defined: Record<string, CommandModule> = {};
  const modules = await commandModules();
  for (const name of Object.keys(modules)) {
    const program = new Command('clawbridge');
    (await modules[name]!())(program);
    for (const cmd of program.commands) {
      assert.equal(defined[cmd.name()], undefined, `${cmd.name()} is registered twice`);
      defined[cmd.name()] = name;
    }
  }
  assert.deepEqual(defined, await commandOwners());
});

test('a command line loads only the module of its command; help, --version and typos load all', async () => {
  const all = Object.keys(await commandModules());
  assert.deepEqual(await modulesFor(['status']), ['status']);
  assert.deepEqual(await modulesFor(['--json', 'peers', 'add', 'x']), ['client']);
  assert.deepEqual(await modulesFor(['term', 'b', '--', 'true']), ['term']);
  assert.deepEqual(await modulesFor(['agent', '--home', '/tmp/x']), ['server']);
  // A domain's commands, from its folder's cli/ part.
  assert.deepEqual(await modulesFor(['msg', 'send', 'b', 'hi']), ['msg']);
  assert.deepEqual(await modulesFor(['proxy', 'add']), ['forward']);
  assert.deepEqual(await modulesFor([]), all);
  assert.deepEqual(await modulesFor(['--help']), all);
  // The version needs no command: loading every module made `clawbridge --version` take ~1 s.
  assert.deepEqual(await modulesFor(['--version']), []);
  assert.deepEqual(await modulesFor(['-V']), []);
  assert.deepEqual(await modulesFor(['--version', '--help']), all);
  assert.deepEqual(await modulesFor(['help', 'status']), all);
  assert.deepEqual(await modulesFor(['stauts']), all);
  // Inherited object keys are not commands.
  assert.deepEqual(await modulesFor(['constructor']), all);
});

test("the help lists the commands in the order it always did, the domains' among the CLI's own", async () => {
  const program = new Command('clawbridge');
  const modules = await commandModules();
  for (const name of Object.keys(modules)) (await modules[name]!())(program);
  assert.deepEqual(
    program.commands.map((c) => c.name()),
    [
      'id',
      'agent',
      'relay',
      'service',
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
      'sessions',
      'connections',
      'log',
      'msg',
      'file',
      'share',
      'group',
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

test("every domain's cli/ part describes itself in its <folder>-cli.ts, and the CLI finds each from the list of domains", async () => {
  const folders = domainCliFolders();
  assert.ok(folders.length >= 4, folders.join(' '));
  const listed = domains.map((d) => d.folder);
  const found: DomainCli[] = [];
  for (const folder of folders) {
    const domain = folder.split('/')[1]!;
    assert.ok(listed.includes(domain), `${folder}: its domain is in app/domains.ts, where the CLI finds it`);
    const descriptions = readdirSync(`${root}/${folder}`).filter((f) => f.endsWith('-cli.ts'));
    assert.deepEqual(descriptions, [`${domain}-cli.ts`], `${folder} has one *-cli.ts, named for its folder`);
    const module = (await import(importable(`${root}/src-main/${domainCliPath(domain)}.ts`))) as Record<
      string,
      DomainCli
    >;
    const exported = Object.values(module);
    assert.equal(exported.length, 1, `${folder}/${descriptions[0]} exports its description only`);
    found.push(exported[0]!);
  }
  // In the list's order (status prints their lines in it), from source and in the bundle alike.
  const inListOrder = (items: readonly string[]) =>
    [...items].sort((a, b) => listed.indexOf(a.split('/')[1]!) - listed.indexOf(b.split('/')[1]!));
  assert.deepEqual(
    [...(await domainClis())],
    inListOrder(folders).map((f) => found[folders.indexOf(f)]),
  );
  assert.deepEqual(
    domainCliFiles(root).map((f) => `src-main/${f}`),
    inListOrder(folders).map((f) => `${f}/${f.split('/')[1]}-cli.ts`),
    'the CLI bundle imports the same parts (scripts/domain-cli-modules.ts)',
  );
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
  // The domains' parts are imported at start by a path computed from the list (domain-cli-modules.ts;
  // by name in the bundle): what each loads counts too.
  const loaded = [
    ...new Set([
      ...loadedAtStart('src-main/cli/main.ts'),
      ...loadedAtStart('src-main/cli/status-command.ts'),
      ...domainCliFiles(root).flatMap((f) => [...loadedAtStart(`src-main/${f}`)]),
    ]),
  ];
  // What the list of domains costs by itself (ADR 0085): each description and its zod-free contract
  // piece, their runtime behind import() in create. The CLI reads the permission words from it.
  const theList = new Set(loadedAtStart('src-main/app/domains.ts'));
  const ofDomains = loaded.filter((f) => domainCliFolders().some((d) => f.startsWith(`${d.slice(0, -3)}`)));
  assert.deepEqual(
    ofDomains.filter((f) => !f.includes('/cli/') && !theList.has(f)),
    [],
    "status loads no domain module but its cli/ part (the description and what its status lines use) and the list's descriptions and contract pieces",
  );
  // The command modules: what each description's load() imports.
  const exists = (f: string) => existsSync(`${root}/${f}`);
  const commandModules = domainCliFiles(root).flatMap((f) => {
    const file = `src-main/${f}`;
    return importsOf(readFileSync(`${root}/${file}`, 'utf8'), file)
      .filter((imp) => imp.dynamic)
      .flatMap((imp) => resolveSpec(file, imp.spec, exists) ?? []);
  });
  assert.ok(commandModules.length >= 4, `the descriptions load their commands: ${commandModules.join(' ')}`);
  assert.deepEqual(
    loaded.filter((f) => commandModules.includes(f)),
    [],
    "status loads none of the domains' command modules (behind load())",
  );
  assert.ok(ofDomains.filter((f) => f.endsWith('-cli.ts')).length >= 4, ofDomains.join(' '));
});
