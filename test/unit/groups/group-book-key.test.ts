/**
 * The key the groups domain provides its book under (groups/group-book-key.ts) is light: naming it
 * (the group-members domain's description does, when the list of domains is read) loads none of the
 * book's code and no zod, which loads only when an agent creates the domains.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importsOf, resolveSpec } from '../../../scripts/import-graph.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** What `entry` loads before any `import()` runs: its files and the packages they import by value. */
function loadedAtStart(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const imp of importsOf(readFileSync(`${root}/${file}`, 'utf8'), file)) {
      if (imp.typeOnly || imp.dynamic) continue;
      if (!imp.spec.startsWith('.')) {
        packages.add(imp.spec);
        continue;
      }
      const to = resolveSpec(file, imp.spec, (f: string) => existsSync(`${root}/${f}`));
      if (to) visit(to);
    }
  };
  visit(entry);
  return { files, packages };
}

for (const entry of ['src-main/groups/group-book-key.ts', 'src-main/group-members/group-members-domain.ts']) {
  test(`${entry} loads neither the group book nor zod`, () => {
    const { files, packages } = loadedAtStart(entry);
    assert.ok(!files.has('src-main/groups/group-book.ts'), [...files].join(' '));
    assert.ok(!packages.has('zod'), [...files].join(' '));
  });
}
