/**
 * app/ and cli/ name no domain outside the composition list (issue 84 item 3, ADR 0118): the list
 * (app/domains.ts) is the one file of theirs that imports a domain's folder; what a domain adds to the
 * agent's API, its hints, the `agent` command's flags or `status` comes from its description or its
 * `cli/` part, found through that list. Imports are read on the syntax tree (static, type-only,
 * re-exports and `import()`), so a comment or a string that names a folder is no import.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { domainFolders } from '../../../scripts/domain-folders.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = join(root, 'src-main');
/** The files of app/ and cli/ that are the composition list: they name the domains by design. */
const COMPOSITION_FILES = ['src-main/app/domains.ts'];

/** Every `.ts` file under `dir`, as a path from the repository's root. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)).replaceAll('\\', '/'));
}

/** The module specifiers `text` imports or re-exports, statically or with `import()`. */
export function importedSpecifiers(text: string, file = 'probe.ts'): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) found.push(literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The domain folders `file` (under src-main/) imports from, each with the specifier that does. */
function domainImports(file: string, text: string, domains: readonly string[]): string[] {
  const from = join(root, file, '..');
  return importedSpecifiers(text, file).flatMap((specifier) => {
    if (!specifier.startsWith('.')) return [];
    const target = relative(SRC, join(from, specifier)).replaceAll('\\', '/');
    const folder = target.split('/')[0]!;
    return domains.includes(folder) && !target.startsWith('..') ? [`${specifier} (${folder}/)`] : [];
  });
}

test('the syntax tree finds every form of import, and no folder named in a comment or a string', () => {
  const text = [
    "import { a } from '../forwards/a.js';",
    "import type { B } from '../terminal/b.js';",
    "export { c } from '../share/c.js';",
    "const d = await import('../files/d.js');",
    "type E = import('../groups/e.js').E;",
    "// import { f } from '../messages/f.js';",
    'const g = "from \'../routes/g.js\'";',
  ].join('\n');
  assert.deepEqual(
    importedSpecifiers(text),
    ['../forwards/a.js', '../terminal/b.js', '../share/c.js', '../files/d.js', '../groups/e.js'],
    'five imports, and neither the comment nor the string',
  );
});

test('app/ and cli/ import no domain folder outside the composition list', () => {
  const domains = domainFolders();
  assert.ok(domains.length > 0, 'app/domains.ts lists domains');
  const files = [...tsFiles(join(SRC, 'app')), ...tsFiles(join(SRC, 'cli'))];
  assert.ok(files.includes('src-main/app/peer-api.ts'), 'the walk finds app/ and cli/ files');
  const named = files
    .filter((file) => !COMPOSITION_FILES.includes(file))
    .flatMap((file) =>
      domainImports(file, readFileSync(join(root, file), 'utf8'), domains).map((i) => `${file}: ${i}`),
    );
  assert.deepEqual(
    named,
    [],
    'these name a domain: let the domain bring it (its description, contract piece or cli/ part; docs/overview.md §Adding a domain)',
  );
  // The list itself does name them: the check would see one there.
  const list = domainImports(
    'src-main/app/domains.ts',
    readFileSync(join(SRC, 'app/domains.ts'), 'utf8'),
    domains,
  );
  assert.equal(list.length, domains.length, 'app/domains.ts imports each domain once, and the check sees it');
});
