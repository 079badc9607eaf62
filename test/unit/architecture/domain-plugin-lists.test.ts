/**
 * A domain is its folder and one line in app/domains.ts (docs/architecture.md §Adding a domain, ADR
 * 0087): the lists that lint, the layer order, the layers' doc and the CLI keep of the domains are made
 * from that list, so the toy domain of test/fixtures/toy-domain/ (the one the domain-plugin integration
 * test runs) gets its lint zones, its layer and its commands with no line in scripts/layers.mjs,
 * docs/architecture.md or src-main/cli/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { domainCliModulesSource } from '../../../scripts/domain-cli-modules.js';
import { listedDomains } from '../../../scripts/domain-folders.mjs';
import { layerListMarkdown, layers, layersWith } from '../../../scripts/layers.mjs';
import { domainCliModules } from '../../../src-main/cli/domain-cli-modules.js';
import { domainCliOf } from '../../../src-main/cli/domain-commands.js';
import { domains } from '../../../src-main/app/domains.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const TOY = path.join(root, 'test/fixtures/toy-domain');
const src = (p: string) => readFileSync(path.join(root, 'src-main', p), 'utf8');

/** app/domains.ts with the toy's one line (its import, and its name in the list), as a new domain adds it. */
function listWithToy(): string {
  const text = src('app/domains.ts');
  const withImport = text.replace(
    /^(import \{ \w+ \} from '\.\.\/[\w-]+\/[\w-]+\.js';\n)(?!import \{)/m,
    "$1import { toyDomain } from '../toy/toy-domain.js';\n",
  );
  const withToy = withImport.replace(/(export const domains[^=]*=\s*\[)/, '$1\n  toyDomain,');
  assert.notEqual(withToy, withImport, 'the list takes the toy');
  return withToy;
}

/** Reads src-main/, with the toy's folder as src-main/toy/. */
const readWithToy = (p: string) =>
  p.startsWith('toy/') ? readFileSync(path.join(TOY, p.slice('toy/'.length)), 'utf8') : src(p);

test('the toy in the list is a domain to lint and a layer of its own, and the doc needs no line for it', () => {
  const listed = listedDomains(listWithToy(), readWithToy);
  assert.deepEqual(
    listed.map((d) => d.folder),
    ['toy', ...domains.map((d) => d.folder)],
  );
  const withToy = layersWith(listed);
  const names = withToy.map((l) => l.name);
  assert.deepEqual(
    names.filter((n) => n !== 'toy'),
    layers.map((l) => l.name),
  );
  assert.ok(
    names.indexOf('toy') > names.indexOf('pairing') && names.indexOf('toy') < names.indexOf('app'),
    `the toy's layer sits between pairing and app: ${names.join(', ')}`,
  );
  assert.equal(layerListMarkdown(withToy), layerListMarkdown(), "docs/architecture.md's layer list as it is");
});

test("the toy's cli/ part is found from its folder, in source and in the bundle, and its command loads", async (t) => {
  // A src-main/ of the toy alone: its folder under its name, as it would sit.
  const tree = mkdtempSync(path.join(tmpdir(), 'cb-toy-src-'));
  t.after(() => rmSync(tree, { recursive: true, force: true }));
  mkdirSync(path.join(tree, 'src-main'));
  symlinkSync(TOY, path.join(tree, 'src-main/toy'));
  const [module, ...more] = await domainCliModules(['toy', 'nowhere'], pathToFileURL(`${tree}/src-main/`));
  assert.equal(more.length, 0, 'a folder with no cli/ part brings none');
  const toyCli = domainCliOf(module!);
  assert.deepEqual(Object.keys(toyCli.modules), ['toy']);
  const program = new Command('clawbridge');
  (await toyCli.modules.toy!.load())(program);
  assert.deepEqual(
    program.commands.map((c) => c.name()),
    ['toy'],
  );
  // The bundle's module names it, found the same way.
  assert.match(
    domainCliModulesSource(tree, ['toy']),
    /import \* as part0 from ".*\/src-main\/toy\/cli\/toy-cli\.ts";/,
  );
});
