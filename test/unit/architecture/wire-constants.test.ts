/**
 * The wire is defined once (ADR 0116): the browser node (src-web/node) imports the mux, relay,
 * end-to-end and pairing codecs from src-main/protocol and src-main/crypto instead of keeping copies
 * that an interop test holds equal. Read on the syntax tree of every file under src-main and src-web:
 *
 * - a transcript or label string (`clawbridge e2e v1`, `clawbridge pair v1 …`, `CBPAIR1:`, `CPace255`)
 *   is written in one file only;
 * - a frame table of src-web (an object of three or more numeric members, like `{ OPEN: 1, ACCEPT: 2,
 *   … }`) shares no three name–value pairs with a table of src-main;
 * - src-web/node declares no protocol version and no constant named as one of protocol/ or crypto/;
 * - what src-web/node imports from src-main, and everything that imports in turn, names no `Buffer`
 *   and imports no `node:` module: it runs in a page.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const parsed = new Map<string, ts.SourceFile>();
function parse(file: string): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) {
    const text = readFileSync(join(root, file), 'utf8');
    sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    parsed.set(file, sf);
  }
  return sf;
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}

/** Labels of the wire: protocol names, transcript and HKDF labels, first-frame markers, CPace's DSI. */
const LABEL = /clawbridge [a-z0-9 -]*\bv\d+|^CB[A-Z]+\d+:|^CPace255/;

/** The wire labels a file's string literals (and template literal texts) contain. */
function labelsOf(file: string): string[] {
  const out = new Set<string>();
  walk(parse(file), (n) => {
    let text: string | undefined;
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) text = n.text;
    else if (ts.isTemplateHead(n)) text = n.text;
    if (text === undefined) return;
    // JSDoc and comments are not literals; an import specifier is not a label.
    if (ts.isImportDeclaration(n.parent) || ts.isExportDeclaration(n.parent)) return;
    const m = LABEL.exec(text);
    if (m) out.add(m[0].trim());
  });
  return [...out];
}

/** `name=value` pairs of each object literal whose members are three or more numeric literals. */
function tablesOf(file: string): string[][] {
  const out: string[][] = [];
  walk(parse(file), (n) => {
    if (!ts.isObjectLiteralExpression(n) || n.properties.length < 3) return;
    const pairs: string[] = [];
    for (const p of n.properties) {
      if (!ts.isPropertyAssignment(p) || !ts.isNumericLiteral(p.initializer)) return;
      const name = p.name.getText().replace(/['"_]/g, '').toLowerCase();
      pairs.push(`${name}=${Number(p.initializer.text)}`);
    }
    out.push(pairs);
  });
  return out;
}

/** Top-level `const NAME = …` declarations of a file. */
function topConsts(file: string): string[] {
  const out: string[] = [];
  for (const s of parse(file).statements) {
    if (!ts.isVariableStatement(s)) continue;
    for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) out.push(d.name.text);
  }
  return out;
}

const mainFiles = () => sourceFiles('src-main');
const webFiles = () => sourceFiles('src-web');
const webNodeFiles = () => sourceFiles('src-web/node');

test('each label of the wire is written in one file of src-main and src-web', () => {
  const where = new Map<string, string[]>();
  for (const file of [...mainFiles(), ...webFiles()]) {
    for (const label of labelsOf(file)) where.set(label, [...(where.get(label) ?? []), file]);
  }
  const twice = [...where].filter(([, files]) => files.length > 1).map(([l, f]) => `${l}: ${f.join(', ')}`);
  assert.deepEqual(twice, [], 'a label defined twice: import it from the one module that owns it');
  assert.ok(where.has('clawbridge e2e v1'), 'the scan finds the end-to-end protocol name');
});

test('no frame table of src-main is written again in src-web', () => {
  const tables = [...mainFiles(), ...webFiles()].flatMap((file) => tablesOf(file).map((t) => ({ file, t })));
  const twice: string[] = [];
  for (let i = 0; i < tables.length; i++) {
    for (let j = i + 1; j < tables.length; j++) {
      const a = tables[i]!;
      const b = tables[j]!;
      // Across the agent and the browser: two protocols of the agent may number their messages alike.
      if (a.file.startsWith('src-web/') === b.file.startsWith('src-web/')) continue;
      const shared = a.t.filter((p) => b.t.includes(p));
      if (shared.length >= 3) twice.push(`${a.file} and ${b.file} share ${shared.join(', ')}`);
    }
  }
  assert.deepEqual(twice, [], 'a frame table defined twice: import the protocol module’s');
});

/** Versions src-web/node may declare because they are not the wire's: the page's own store schema. */
const NOT_WIRE_VERSIONS = new Set(['DB_VERSION', 'BROWSER_NODE_VERSION']);

test('src-web/node declares no protocol version and no constant of protocol/ or crypto/', () => {
  const shared = new Set(
    mainFiles()
      .filter((f) => /^src-main\/(protocol|crypto)\//.test(f))
      .flatMap(topConsts)
      .filter((n) => /^[A-Z][A-Z0-9_]*$/.test(n)),
  );
  const found: string[] = [];
  for (const file of webNodeFiles()) {
    for (const name of topConsts(file)) {
      if (/VERSION$/.test(name) && !NOT_WIRE_VERSIONS.has(name)) found.push(`${file}: ${name}`);
      else if (shared.has(name)) found.push(`${file}: ${name} (also in protocol/ or crypto/)`);
    }
  }
  assert.deepEqual(found, [], 'src-web/node defines a wire constant: import it instead');
});

/** The src-main files src-web/node imports, and those they import, to the end. */
function sharedClosure(): string[] {
  const seen = new Set<string>();
  const queue = [...webNodeFiles()];
  while (queue.length > 0) {
    const file = queue.pop()!;
    for (const s of parse(file).statements) {
      if (!ts.isImportDeclaration(s) && !ts.isExportDeclaration(s)) continue;
      if (s.moduleSpecifier === undefined || !ts.isStringLiteral(s.moduleSpecifier)) continue;
      const clause = ts.isImportDeclaration(s) ? s.importClause : undefined;
      if (clause?.isTypeOnly || (ts.isExportDeclaration(s) && s.isTypeOnly)) continue;
      const spec = s.moduleSpecifier.text;
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(root, dirname(file), spec.replace(/\.js$/, '.ts')));
      if (!target.startsWith('src-main/') || seen.has(target) || !existsSync(join(root, target))) continue;
      seen.add(target);
      queue.push(target);
    }
  }
  return [...seen].sort();
}

test('what src-web/node imports from src-main names no Buffer and imports no node: module', () => {
  const closure = sharedClosure();
  assert.ok(
    closure.includes('src-main/protocol/mux-frames.ts'),
    `the browser imports the mux codec (it imports: ${closure.join(', ')})`,
  );
  const impure: string[] = [];
  for (const file of closure) {
    walk(parse(file), (n) => {
      if (ts.isIdentifier(n) && n.text === 'Buffer') impure.push(`${file}: Buffer`);
      if (ts.isStringLiteral(n) && n.text.startsWith('node:')) impure.push(`${file}: ${n.text}`);
    });
  }
  assert.deepEqual([...new Set(impure)], [], 'a shared module that only runs in Node');
});
