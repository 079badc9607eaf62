/**
 * Domains are data (docs/architecture.md §Adding a domain, ADR 0079): the composition root's files
 * (run-agent.ts, agent-api.ts, compose-agent.ts) name no domain; they take the list (app/domains.ts)
 * through the generic contract (links/domain.ts). Lint refuses a domain import there, and none is.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { layerMessages } from '../../helpers/layer-lint.js';
import { domainFolders, listedDomains } from '../../../scripts/domain-folders.mjs';
import { domains } from '../../../src-main/app/domains.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ROOT_FILES = [
  'src-main/app/run-agent.ts',
  'src-main/app/agent-api.ts',
  'src-main/app/compose-agent.ts',
];
/** The domains' folders, as lint takes them from app/domains.ts. */
const DOMAINS = domainFolders();

test("lint's list of the domains' folders is app/domains.ts's, and each is a folder of src-main/", () => {
  assert.deepEqual(
    DOMAINS,
    domains.map((d) => d.folder),
    'scripts/domain-folders.mjs reads the folders app/domains.ts imports its domains from, in its order',
  );
  // What each builds on too, as its description file writes it (the layers are made from it).
  assert.deepEqual(
    listedDomains().map((d) => ({ folder: d.folder, builtOn: d.builtOn })),
    domains.map((d) => ({ folder: d.folder, builtOn: [...(d.builtOn ?? [])] })),
    "scripts/domain-folders.mjs reads each description's builtOn",
  );
  for (const folder of DOMAINS) assert.ok(existsSync(`${root}/src-main/${folder}`), folder);
});

/** The folders under src-main/ a file imports from (`import` and `import type`, static or dynamic). */
function importedFolders(file: string): string[] {
  const text = readFileSync(`${root}/${file}`, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\()\s*'(\.\.\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => s.split('/')[1]!);
}

test('the composition root imports no domain folder', () => {
  for (const file of ROOT_FILES) {
    const named = importedFolders(file).filter((f) => DOMAINS.includes(f));
    assert.deepEqual(named, [], `${file} names a domain`);
  }
});

test('lint refuses a domain import in app/ and cli/, and allows it in app/domains.ts', async () => {
  const errorsOf = (file: string, line: string) =>
    layerMessages(file, `${line}\nvoid createFiles;\n${readFileSync(`${root}/${file}`, 'utf8')}`);
  const line = "import { createFiles } from '../files/file-service.js';";
  const deeper = "import { createFiles } from '../../files/file-service.js';";
  for (const file of [
    'src-main/app/run-agent.ts',
    'src-main/app/agent-api.ts',
    'src-main/app/peer-api.ts',
    'src-main/app/api/settings.ts',
    'src-main/cli/agent-flags.ts',
  ]) {
    const errors = await errorsOf(file, file.split('/').length > 3 ? deeper : line);
    assert.equal(errors.length, 1, file);
    assert.match(errors[0]!.message, /names a domain/);
  }
  assert.deepEqual(await errorsOf('src-main/app/domains.ts', line), []);
});
