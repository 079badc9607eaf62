#!/usr/bin/env node
// Moves modules and keeps every reference to them true, in one step (issue 53 item 1; the plan for the
// layers is scripts/layer-moves.json, the layers scripts/layers.mjs, docs/architecture.md §Layers).
//
//   node scripts/move-modules.mjs PLAN.json [--dry-run] [--no-git] [--no-prettier] [--root DIR]
//
// PLAN is either a plain map {"old/path.ts": "new/path.ts"} or an object with these steps, run in this
// order (paths as they are before the moves for the first two, after them for the rest):
//
//   extracts   [{to, header, from: {file: [names]}}]: top-level declarations (with their comments) cut
//              from each file and put in `to` (created with `header` if missing), with the imports they
//              use; the old file imports them back if it still uses them; every importer of a name is
//              pointed at `to`. Refuses a declaration that uses another top-level one left behind.
//   redirects  [{names, from, to}]: importers of `names` from `from` import them from `to` instead
//              (a name already moved, `from` re-exporting it meanwhile); `from` stops re-exporting them.
//   moves      {old: new}: `git mv`, then every relative module specifier in src-main/, src-renderer/,
//              test/, bench/, soak/, scripts/ and the root configs (static, `export … from`, dynamic
//              `import()`, `import('…').T`, `require()`, `mock.module()`, `new URL('…', import.meta.url)`)
//              is rewritten so it still resolves; `.js`/`.cjs`/`.mjs` as written are kept. With
//              "mirrorTests": true a test/unit/ file that mirrors a moved file moves with it.
//              Path mentions (`src-main/agent/x.ts`, `agent/x.ts` in comments, strings, eslint.config.js
//              and *.md) follow, and mentions of a folder whose files all moved to one folder.
//   edits      [{file, find, replace, soft?}]: exact text, found exactly once (soft: a doc, warn instead
//              of failing); imports an edit leaves unused are dropped.
//   docs       "docs/architecture.md": its layer list (§Layers, between the generated markers) and the
//              src-main/ part of §Where things live are written from scripts/layers.mjs.
//
// Nothing is written unless every step succeeds; then changed files are formatted with prettier and
// (unless --no-git) staged, and the plan is marked "applied" (test/unit/architecture/layers.test.ts and
// the lint zones switch on with it). Check with `npx tsc -p tsconfig.json --noEmit` and `npx eslint src-main`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { LIST_BEGIN, LIST_END } from './layers.mjs';

const posix = path.posix;
const CODE_EXT = /\.(ts|tsx|cts|mts|js|mjs|cjs)$/;
const CODE_ROOTS = ['src-main', 'src-renderer', 'test', 'bench', 'soak', 'scripts'];
const ROOT_FILES = ['eslint.config.js', 'vite.config.ts'];
const DOC_ROOTS = ['docs'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test-results', '.tmp', 'release', '.git']);

class PlanError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Files

/** @param {string} root */
function listFiles(root) {
  /** @type {string[]} */
  const code = [];
  /** @type {string[]} */
  const docs = [];
  const walk = (/** @type {string} */ rel, /** @type {string[]} */ out, /** @type {RegExp} */ ext) => {
    const abs = path.join(root, rel);
    if (!fs.existsSync(abs)) return;
    for (const ent of fs.readdirSync(abs, { withFileTypes: true })) {
      if (SKIP_DIRS.has(ent.name)) continue;
      const r = posix.join(rel, ent.name);
      if (ent.isDirectory()) walk(r, out, ext);
      else if (ext.test(ent.name)) out.push(r);
    }
  };
  for (const r of CODE_ROOTS) walk(r, code, CODE_EXT);
  for (const f of ROOT_FILES) if (fs.existsSync(path.join(root, f))) code.push(f);
  for (const r of DOC_ROOTS) walk(r, docs, /\.md$/);
  for (const r of CODE_ROOTS) walk(r, docs, /\.md$/);
  if (fs.existsSync(path.join(root, 'README.md'))) docs.push('README.md');
  return { code: [...new Set(code)].sort(), docs: [...new Set(docs)].sort() };
}

/** A file system in memory: the repository's text files as they will be, keyed by their path before the moves. */
class Vfs {
  /** @param {string} root */
  constructor(root) {
    this.root = root;
    /** @type {Map<string, string>} */
    this.text = new Map();
    /** @type {Set<string>} */
    this.changed = new Set();
    /** @type {Set<string>} */
    this.created = new Set();
    const { code, docs } = listFiles(root);
    this.code = new Set(code);
    this.docs = new Set(docs);
  }
  /** @param {string} f */
  has(f) {
    return this.text.has(f) || this.code.has(f) || this.docs.has(f) || fs.existsSync(path.join(this.root, f));
  }
  /** @param {string} f */
  get(f) {
    let t = this.text.get(f);
    if (t === undefined) {
      t = fs.readFileSync(path.join(this.root, f), 'utf8');
      this.text.set(f, t);
    }
    return t;
  }
  /** @param {string} f @param {string} t */
  set(f, t) {
    if (this.has(f) && this.get(f) === t) return;
    if (!this.has(f)) {
      this.created.add(f);
      if (CODE_EXT.test(f)) this.code.add(f);
    }
    this.text.set(f, t);
    this.changed.add(f);
  }
}

// ---------------------------------------------------------------------------------------------------
// Module specifiers

const scriptKind = (/** @type {string} */ f) =>
  f.endsWith('.tsx') ? ts.ScriptKind.TSX : /\.(js|mjs|cjs)$/.test(f) ? ts.ScriptKind.JS : ts.ScriptKind.TS;

/** @param {string} f @param {string} text */
const parse = (f, text) => ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true, scriptKind(f));

/**
 * Every string literal in `sf` that names a module or a file next to it.
 * @param {ts.SourceFile} sf
 * @returns {ts.StringLiteralLike[]}
 */
function specifierNodes(sf) {
  /** @type {ts.StringLiteralLike[]} */
  const out = [];
  const visit = (/** @type {ts.Node} */ n) => {
    if (
      (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) &&
      n.moduleSpecifier &&
      ts.isStringLiteral(n.moduleSpecifier)
    ) {
      out.push(n.moduleSpecifier);
    } else if (
      ts.isImportTypeNode(n) &&
      ts.isLiteralTypeNode(n.argument) &&
      ts.isStringLiteral(n.argument.literal)
    ) {
      out.push(n.argument.literal);
    } else if (ts.isCallExpression(n) && n.arguments[0] && ts.isStringLiteralLike(n.arguments[0])) {
      const callee = n.expression;
      const named =
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === 'require') ||
        (ts.isPropertyAccessExpression(callee) &&
          callee.name.text === 'module' &&
          ts.isIdentifier(callee.expression) &&
          callee.expression.text === 'mock');
      if (named) out.push(n.arguments[0]);
    } else if (
      ts.isNewExpression(n) &&
      ts.isIdentifier(n.expression) &&
      n.expression.text === 'URL' &&
      n.arguments?.length === 2 &&
      ts.isStringLiteralLike(n.arguments[0]) &&
      n.arguments[1].getText() === 'import.meta.url'
    ) {
      out.push(n.arguments[0]);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out.filter((s) => s.text.startsWith('./') || s.text.startsWith('../'));
}

const SOURCE_FOR = {
  '.js': ['.ts', '.tsx', '.js'],
  '.cjs': ['.cts', '.cjs'],
  '.mjs': ['.mts', '.mjs'],
  '.jsx': ['.tsx'],
};
const WRITTEN_FOR = { '.ts': '.js', '.tsx': '.js', '.cts': '.cjs', '.mts': '.mjs' };

/**
 * The file a specifier written in `from` means, or undefined (a folder, a file not kept here).
 * @param {Vfs} vfs @param {string} from @param {string} spec
 */
function resolve(vfs, from, spec) {
  const written = posix.normalize(posix.join(posix.dirname(from), spec));
  const ext = posix.extname(written);
  /** @type {string[]} */
  const candidates = [];
  if (ext in SOURCE_FOR) candidates.push(...SOURCE_FOR[ext].map((e) => written.slice(0, -ext.length) + e));
  candidates.push(written);
  if (!ext) candidates.push(written + '.ts', written + '.tsx', written + '/index.ts');
  const target = candidates.find(
    (c) => (vfs.code.has(c) || vfs.text.has(c) || fs.existsSync(path.join(vfs.root, c))) && !c.endsWith('/'),
  );
  return {
    written,
    target:
      target &&
      fs.existsSync(path.join(vfs.root, target)) &&
      fs.statSync(path.join(vfs.root, target)).isDirectory()
        ? undefined
        : target,
  };
}

/** A relative specifier from file `from` to `to` as written (`./x.js`). */
function relativeSpec(/** @type {string} */ from, /** @type {string} */ to) {
  let rel = posix.relative(posix.dirname(from), to);
  if (!rel.startsWith('.')) rel = './' + rel;
  return rel;
}

/** How a source file is written in a specifier: `x.ts` as `x.js`. */
const writtenForm = (/** @type {string} */ f) => {
  const ext = posix.extname(f);
  return ext in WRITTEN_FOR ? f.slice(0, -ext.length) + WRITTEN_FOR[ext] : f;
};

/** @param {string} text @param {{start: number, end: number, text: string}[]} edits */
function applyEdits(text, edits) {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].end > sorted[i - 1].start) throw new PlanError('overlapping edits (internal)');
  }
  for (const e of sorted) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}

// ---------------------------------------------------------------------------------------------------
// Declarations and references

/** @param {ts.Statement} s @returns {string[]} */
function declaredNames(s) {
  if (ts.isVariableStatement(s)) {
    return s.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  }
  if (
    (ts.isFunctionDeclaration(s) ||
      ts.isClassDeclaration(s) ||
      ts.isInterfaceDeclaration(s) ||
      ts.isTypeAliasDeclaration(s) ||
      ts.isEnumDeclaration(s)) &&
    s.name
  ) {
    return [s.name.text];
  }
  return [];
}

const isTypeDecl = (/** @type {ts.Statement} */ s) =>
  ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s);

/** Is this identifier a reference to a binding (not a property name, not the name being declared)? */
function isReference(/** @type {ts.Identifier} */ id) {
  const p = id.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if (ts.isImportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p) || ts.isExportSpecifier(p))
    return false;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isPropertySignature(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isMethodSignature(p) ||
      ts.isGetAccessorDeclaration(p) ||
      ts.isSetAccessorDeclaration(p) ||
      ts.isEnumMember(p) ||
      ts.isVariableDeclaration(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isClassDeclaration(p) ||
      ts.isInterfaceDeclaration(p) ||
      ts.isTypeAliasDeclaration(p) ||
      ts.isEnumDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isTypeParameterDeclaration(p) ||
      ts.isBindingElement(p) ||
      ts.isLabeledStatement(p)) &&
    /** @type {{ name?: ts.Node }} */ (p).name === id
  ) {
    return false;
  }
  return true;
}

/** Names referenced inside `nodes` (a local re-export `export { x }` counts as a use of x). */
function referencedNames(/** @type {readonly ts.Node[]} */ nodes) {
  /** @type {Set<string>} */
  const out = new Set();
  const visit = (/** @type {ts.Node} */ n) => {
    if (ts.isImportDeclaration(n)) return;
    if (ts.isIdentifier(n) && isReference(n)) out.add(n.text);
    if (
      ts.isExportDeclaration(n) &&
      !n.moduleSpecifier &&
      n.exportClause &&
      ts.isNamedExports(n.exportClause)
    ) {
      for (const e of n.exportClause.elements) out.add((e.propertyName ?? e.name).text);
    }
    if (ts.isExportAssignment(n) && ts.isIdentifier(n.expression)) out.add(n.expression.text);
    ts.forEachChild(n, visit);
  };
  nodes.forEach(visit);
  return out;
}

/**
 * @typedef {{ local: string, imported: string, kind: 'named' | 'default' | 'namespace', typeOnly: boolean,
 *   decl: ts.ImportDeclaration, element?: ts.ImportSpecifier }} Binding
 */
/** @param {ts.SourceFile} sf @returns {Binding[]} */
function importBindings(sf) {
  /** @type {Binding[]} */
  const out = [];
  for (const s of sf.statements) {
    if (!ts.isImportDeclaration(s) || !s.importClause) continue;
    const c = s.importClause;
    if (c.name)
      out.push({ local: c.name.text, imported: 'default', kind: 'default', typeOnly: c.isTypeOnly, decl: s });
    if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) {
      out.push({
        local: c.namedBindings.name.text,
        imported: '*',
        kind: 'namespace',
        typeOnly: c.isTypeOnly,
        decl: s,
      });
    } else if (c.namedBindings) {
      for (const e of c.namedBindings.elements) {
        out.push({
          local: e.name.text,
          imported: (e.propertyName ?? e.name).text,
          kind: 'named',
          typeOnly: c.isTypeOnly || e.isTypeOnly,
          decl: s,
          element: e,
        });
      }
    }
  }
  return out;
}

/** The statement's text with its own comments, without the blank lines before them. */
function statementText(/** @type {ts.Statement} */ s, /** @type {string} */ text) {
  return text
    .slice(s.getFullStart(), s.getEnd())
    .replace(/^\s*\n/, '')
    .replace(/^\n+/, '');
}

/** The range that removes a statement, its comments and the line break after it. */
function statementRange(/** @type {ts.Statement} */ s, /** @type {string} */ text) {
  let start = s.getFullStart();
  // keep the line break that ends the previous statement
  while (start < s.getStart() && (text[start] === '\n' || text[start] === '\r')) start++;
  let end = s.getEnd();
  if (text[end] === '\n') end++;
  return { start, end };
}

/** Drops import bindings nothing in the file uses (and declarations left empty). */
function pruneImports(/** @type {string} */ file, /** @type {string} */ text) {
  const sf = parse(file, text);
  const used = referencedNames(sf.statements.filter((s) => !ts.isImportDeclaration(s)));
  /** @type {{start: number, end: number, text: string}[]} */
  const edits = [];
  for (const s of sf.statements) {
    if (!ts.isImportDeclaration(s) || !s.importClause) continue;
    const c = s.importClause;
    const keepDefault = c.name && used.has(c.name.text);
    if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) {
      if (keepDefault || used.has(c.namedBindings.name.text)) continue;
      edits.push({ ...statementRange(s, text), text: '' });
      continue;
    }
    const els = c.namedBindings ? [...c.namedBindings.elements] : [];
    const keep = els.filter((e) => used.has(e.name.text));
    if (keep.length === els.length && (!c.name || keepDefault)) continue;
    if (keep.length === 0 && !keepDefault) {
      edits.push({ ...statementRange(s, text), text: '' });
      continue;
    }
    const spec = s.moduleSpecifier.getText();
    const parts = [];
    if (keepDefault && c.name) parts.push(c.name.text);
    if (keep.length) parts.push(`{ ${keep.map((e) => e.getText()).join(', ')} }`);
    edits.push({
      start: s.getStart(),
      end: s.getEnd(),
      text: `import ${c.isTypeOnly ? 'type ' : ''}${parts.join(', ')} from ${spec};`,
    });
  }
  return edits.length ? applyEdits(text, edits) : text;
}

/** Inserts import lines after the file's last import (or its header comment). */
function addImports(/** @type {string} */ file, /** @type {string} */ text, /** @type {string[]} */ lines) {
  if (!lines.length) return text;
  const sf = parse(file, text);
  const imports = sf.statements.filter((s) => ts.isImportDeclaration(s));
  const last = imports.at(-1);
  if (last) {
    const at = last.getEnd();
    return text.slice(0, at) + '\n' + lines.join('\n') + text.slice(at);
  }
  const first = sf.statements[0];
  const at = first ? first.getStart() : text.length;
  return text.slice(0, at) + lines.join('\n') + '\n' + (first ? '\n' : '') + text.slice(at);
}

// ---------------------------------------------------------------------------------------------------
// Steps

/**
 * Points importers of `names` from `from` at `to`.
 * @param {Vfs} vfs @param {string[]} names @param {string} from @param {string} to
 */
function redirect(vfs, names, from, to) {
  const wanted = new Set(names);
  let count = 0;
  for (const f of [...vfs.code]) {
    if (f === from) continue;
    const text = vfs.get(f);
    if (!text.includes(posix.basename(from).replace(/\.[^.]+$/, ''))) continue;
    const sf = parse(f, text);
    /** @type {{start: number, end: number, text: string}[]} */
    const edits = [];
    for (const s of sf.statements) {
      const isImport = ts.isImportDeclaration(s);
      if (!isImport && !ts.isExportDeclaration(s)) continue;
      if (
        !s.moduleSpecifier ||
        !ts.isStringLiteral(s.moduleSpecifier) ||
        !s.moduleSpecifier.text.startsWith('.')
      )
        continue;
      if (resolve(vfs, f, s.moduleSpecifier.text).target !== from) continue;
      /** @type {ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier> | undefined} */
      let els;
      let clauseTypeOnly = false;
      let hasDefault = false;
      if (isImport) {
        const c = s.importClause;
        if (!c) continue;
        clauseTypeOnly = c.isTypeOnly;
        hasDefault = !!c.name;
        if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) {
          const ns = c.namedBindings.name.text;
          if (names.some((n) => text.includes(`${ns}.${n}`))) {
            throw new PlanError(
              `${f}: uses ${names.join(', ')} through \`import * as ${ns}\` from ${from}; change it by hand`,
            );
          }
          continue;
        }
        els = c.namedBindings?.elements;
      } else {
        clauseTypeOnly = s.isTypeOnly;
        if (!s.exportClause || !ts.isNamedExports(s.exportClause)) continue;
        els = s.exportClause.elements;
      }
      if (!els) continue;
      const moving = els.filter((e) => wanted.has((e.propertyName ?? e.name).text));
      if (!moving.length) continue;
      const staying = els.filter((e) => !moving.includes(e));
      const kw = isImport ? 'import' : 'export';
      const spec = `'${relativeSpec(f, writtenForm(to))}'`;
      const moved = `${kw} ${clauseTypeOnly ? 'type ' : ''}{ ${moving.map((e) => e.getText()).join(', ')} } from ${spec};`;
      let kept = '';
      if (staying.length || hasDefault) {
        const c = isImport ? /** @type {ts.ImportDeclaration} */ (s).importClause : undefined;
        const parts = [];
        if (c?.name) parts.push(c.name.text);
        if (staying.length) parts.push(`{ ${staying.map((e) => e.getText()).join(', ')} }`);
        kept = `${kw} ${clauseTypeOnly ? 'type ' : ''}${parts.join(', ')} from ${s.moduleSpecifier.getText()};\n`;
      }
      edits.push({ start: s.getStart(), end: s.getEnd(), text: kept + moved });
      count++;
    }
    if (edits.length) vfs.set(f, applyEdits(text, edits));
  }
  // `from` no longer re-exports them
  const text = vfs.get(from);
  const sf = parse(from, text);
  /** @type {{start: number, end: number, text: string}[]} */
  const edits = [];
  for (const s of sf.statements) {
    if (!ts.isExportDeclaration(s) || !s.exportClause || !ts.isNamedExports(s.exportClause)) continue;
    const els = s.exportClause.elements;
    const staying = els.filter((e) => !wanted.has((e.propertyName ?? e.name).text));
    if (staying.length === els.length) continue;
    if (!staying.length) {
      edits.push({ ...statementRange(s, text), text: '' });
    } else {
      const spec = s.moduleSpecifier ? ` from ${s.moduleSpecifier.getText()}` : '';
      edits.push({
        start: s.getStart(),
        end: s.getEnd(),
        text: `export ${s.isTypeOnly ? 'type ' : ''}{ ${staying.map((e) => e.getText()).join(', ')} }${spec};`,
      });
    }
  }
  if (edits.length) vfs.set(from, pruneImports(from, applyEdits(text, edits)));
  return count;
}

/**
 * Cuts declarations out of their files into `to`, with the imports they use.
 * @param {Vfs} vfs @param {{ to: string, header?: string, from: Record<string, string[]> }} op
 */
function extract(vfs, op) {
  const to = op.to;
  let toText = vfs.has(to) ? vfs.get(to) : `/**\n${wrapComment(op.header ?? '')}\n */\n`;
  for (const [from, names] of Object.entries(op.from)) {
    if (!vfs.has(from)) throw new PlanError(`extract: ${from} does not exist`);
    const text = vfs.get(from);
    const sf = parse(from, text);
    /** @type {Map<string, ts.Statement[]>} */
    const decls = new Map();
    for (const s of sf.statements)
      for (const n of declaredNames(s)) decls.set(n, [...(decls.get(n) ?? []), s]);
    /** @type {ts.Statement[]} */
    const picked = [];
    for (const n of names) {
      const ss = decls.get(n);
      if (!ss) throw new PlanError(`extract: ${from} declares no top-level ${n} (renamed or moved already?)`);
      for (const s of ss) if (!picked.includes(s)) picked.push(s);
    }
    picked.sort((a, b) => a.getStart() - b.getStart());
    for (const s of picked) {
      const extra = declaredNames(s).filter((n) => !names.includes(n));
      if (extra.length)
        throw new PlanError(
          `extract: in ${from}, ${names.join(', ')} share a statement with ${extra.join(', ')}: list them too`,
        );
    }
    const used = referencedNames(picked);
    const pickedNames = new Set(picked.flatMap(declaredNames));
    const leftBehind = [...decls.keys()].filter((n) => used.has(n) && !pickedNames.has(n));
    if (leftBehind.length) {
      throw new PlanError(
        `extract: ${names.join(', ')} in ${from} use ${leftBehind.join(', ')}, which would stay behind: list them too`,
      );
    }
    // the imports the moved declarations use, re-aimed from `to`
    /** @type {Map<string, { typeOnly: boolean, parts: string[] }>} */
    const needed = new Map();
    for (const b of importBindings(sf)) {
      if (!used.has(b.local)) continue;
      const spec = /** @type {ts.StringLiteral} */ (b.decl.moduleSpecifier).text;
      const target = spec.startsWith('.')
        ? relativeSpec(to, posix.normalize(posix.join(posix.dirname(from), spec)))
        : spec;
      const key = `${b.typeOnly ? 'type ' : ''}${target}`;
      const entry = needed.get(key) ?? { typeOnly: b.typeOnly, parts: [] };
      if (b.kind === 'named')
        entry.parts.push(b.imported === b.local ? b.local : `${b.imported} as ${b.local}`);
      else if (b.kind === 'default') entry.parts.unshift(`default as ${b.local}`);
      else
        throw new PlanError(
          `extract: ${names.join(', ')} use the namespace import ${b.local} of ${from}; change it by hand`,
        );
      needed.set(key, entry);
    }
    const lines = [...needed].map(
      ([key, e]) =>
        `import ${e.typeOnly ? 'type ' : ''}{ ${e.parts.join(', ')} } from '${key.replace(/^type /, '')}';`,
    );
    const existing = parse(to, toText);
    const have = new Set(importBindings(existing).map((b) => b.local));
    toText = addImports(
      to,
      toText,
      lines.filter(
        (l) =>
          !/\{ ([^}]*) \}/
            .exec(l)?.[1]
            .split(', ')
            .every((p) => have.has(p.split(' as ').at(-1) ?? '')),
      ),
    );
    // statements next to each other in `from` stay together, as they were written
    /** @type {string[]} */
    const chunks = [];
    let prev = -2;
    for (const s of picked) {
      const i = sf.statements.indexOf(s);
      if (i === prev + 1) chunks[chunks.length - 1] += text.slice(sf.statements[prev].getEnd(), s.getEnd());
      else chunks.push(statementText(s, text));
      prev = i;
    }
    toText = toText.replace(/\n*$/, '\n') + '\n' + chunks.join('\n\n') + '\n';
    // cut them from `from`; it imports back what it still uses
    let rest = applyEdits(
      text,
      picked.map((s) => ({ ...statementRange(s, text), text: '' })),
    );
    const stillUsed = referencedNames(parse(from, rest).statements.filter((s) => !ts.isImportDeclaration(s)));
    const back = names.filter((n) => stillUsed.has(n));
    if (back.length) {
      const types = back.filter((n) => (decls.get(n) ?? []).every(isTypeDecl));
      const values = back.filter((n) => !types.includes(n));
      const spec = relativeSpec(from, writtenForm(to));
      const lines2 = [];
      if (values.length) lines2.push(`import { ${values.join(', ')} } from '${spec}';`);
      if (types.length) lines2.push(`import type { ${types.join(', ')} } from '${spec}';`);
      rest = addImports(from, rest, lines2);
    }
    vfs.set(from, pruneImports(from, rest.replace(/\n{3,}/g, '\n\n')));
    vfs.set(to, toText);
    redirect(vfs, names, from, to);
    toText = vfs.get(to);
  }
  vfs.set(to, toText);
}

/** @param {string} text */
function wrapComment(text, width = 104) {
  const words = text.split(/\s+/).filter(Boolean);
  const lines = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => ` * ${l}`).join('\n');
}

/**
 * The moves, with the unit tests that mirror them.
 * @param {Vfs} vfs @param {Record<string, string>} moves @param {boolean} mirror
 */
function withMirroredTests(vfs, moves, mirror) {
  const all = { ...moves };
  if (!mirror) return all;
  for (const [from, to] of Object.entries(moves)) {
    const m = /^src-main\/(.+)\.(ts|cts)$/.exec(from);
    const n = /^src-main\/(.+)\.(ts|cts)$/.exec(to);
    if (!m || !n) continue;
    const test = `test/unit/${m[1]}.test.ts`;
    if (vfs.code.has(test) && !(test in all)) all[test] = `test/unit/${n[1]}.test.ts`;
  }
  return all;
}

const escapeRe = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Rewrites every relative specifier and path mention for the moves.
 * @param {Vfs} vfs @param {Record<string, string>} moves
 */
function rewriteForMoves(vfs, moves) {
  for (const f of [...vfs.code]) {
    const newF = moves[f] ?? f;
    const text = vfs.get(f);
    const sf = parse(f, text);
    /** @type {{start: number, end: number, text: string}[]} */
    const edits = [];
    for (const lit of specifierNodes(sf)) {
      const spec = lit.text;
      const { written, target } = resolve(vfs, f, spec);
      const moved = target !== undefined && target in moves;
      if (!moved && newF === f) continue;
      let newWritten = written;
      if (moved && target) {
        const newTarget = moves[target];
        const writtenExt = posix.extname(written);
        const targetExt = posix.extname(target);
        newWritten =
          writtenExt === targetExt || !writtenExt
            ? writtenExt
              ? newTarget
              : newTarget.slice(0, -targetExt.length)
            : newTarget.slice(0, -targetExt.length) + writtenExt;
      }
      let next = relativeSpec(newF, newWritten);
      if (spec.endsWith('/') && !next.endsWith('/')) next += '/';
      if (next !== spec) edits.push({ start: lit.getStart() + 1, end: lit.getEnd() - 1, text: next });
    }
    if (edits.length) vfs.set(f, applyEdits(text, edits));
  }
  // path mentions: `src-main/agent/x.ts` anywhere, `agent/x.ts` where a path starts
  /** @type {Map<string, string>} */
  const mention = new Map();
  for (const [from, to] of Object.entries(moves)) {
    mention.set(from, to);
    const w = writtenForm(from);
    if (w !== from) mention.set(w, writtenForm(to));
  }
  /** @type {Map<string, string>} */
  const relative = new Map();
  for (const [from, to] of Object.entries(moves)) {
    if (from.startsWith('src-main/') && to.startsWith('src-main/')) relative.set(from.slice(9), to.slice(9));
  }
  // folders whose files all moved to one folder
  /** @type {Map<string, Set<string>>} */
  const dest = new Map();
  for (const f of vfs.code) {
    const d = posix.dirname(f);
    const to = moves[f] ? posix.dirname(moves[f]) : d;
    if (!dest.has(d)) dest.set(d, new Set());
    dest.get(d)?.add(to);
  }
  for (const [d, tos] of dest) {
    const [to] = [...tos];
    if (tos.size === 1 && to !== d && to && d.startsWith('src-main/')) {
      relative.set(d.slice(9) + '/', to.slice(9) + '/');
      mention.set(d + '/', to + '/');
    }
  }
  const keys = [...mention.keys()].sort((a, b) => b.length - a.length);
  const relKeys = [...relative.keys()].sort((a, b) => b.length - a.length);
  const full = keys.length ? new RegExp(`(${keys.map(escapeRe).join('|')})(?![\\w-])`, 'g') : null;
  const rel = relKeys.length
    ? new RegExp(`(?<![\\w./-])(${relKeys.map(escapeRe).join('|')})(?![\\w-])`, 'g')
    : null;
  for (const f of [...vfs.code, ...vfs.docs]) {
    const text = vfs.get(f);
    let next = full ? text.replace(full, (m) => mention.get(m) ?? m) : text;
    if (rel) next = next.replace(rel, (m) => relative.get(m) ?? m);
    if (next !== text) vfs.set(f, next);
  }
}

/** @param {Vfs} vfs @param {{file: string, find: string, replace: string, soft?: boolean}[]} edits */
function applyPlanEdits(vfs, edits, warn) {
  for (const e of edits) {
    const soft = e.soft ?? e.file.endsWith('.md');
    if (!vfs.has(e.file)) {
      if (soft) warn(`edit: ${e.file} is gone; skipped`);
      else throw new PlanError(`edit: ${e.file} does not exist`);
      continue;
    }
    const text = vfs.get(e.file);
    const n = text.split(e.find).length - 1;
    if (n !== 1) {
      const why = `edit: ${e.file}: the text to replace occurs ${n} times (expected once): ${JSON.stringify(e.find.slice(0, 80))}`;
      if (soft) {
        warn(why);
        continue;
      }
      throw new PlanError(why);
    }
    let next = text.replace(e.find, () => e.replace);
    if (/\.(ts|tsx|cts|mts)$/.test(e.file)) next = pruneImports(e.file, next);
    vfs.set(e.file, next);
  }
}

// ---------------------------------------------------------------------------------------------------
// docs/architecture.md

/**
 * @param {string} text
 * @param {readonly import('./layers.mjs').Layer[]} layers
 * @param {string} listMarkdown
 */
export function writeLayerDocs(text, layers, listMarkdown) {
  // §Layers: the numbered list between the markers (added at the end of the section the first time)
  const block = `${LIST_BEGIN}\n${listMarkdown}\n${LIST_END}`;
  if (text.includes(LIST_BEGIN)) {
    const a = text.indexOf(LIST_BEGIN);
    const b = text.indexOf(LIST_END, a);
    if (b < 0) throw new PlanError('docs: the layer list has no end marker');
    text = text.slice(0, a) + block + text.slice(b + LIST_END.length);
  } else {
    const at = text.indexOf('\n## Layers\n');
    if (at < 0) throw new PlanError('docs: no "## Layers" section');
    const next = text.indexOf('\n## ', at + 5);
    const end = next < 0 ? text.length : next;
    const intro =
      '\n### The layer order\n\n' +
      'Lowest first. A module imports only from its own layer or one below it, `import type` included: lint\n' +
      'refuses the rest (`import-x/no-restricted-paths` zones that `eslint.config.js` builds from\n' +
      '`scripts/layers.mjs`); a type-only import that must cross says why in an `eslint-disable-next-line`\n' +
      'comment. A folder holds its own layer, or a lower one nested in it (`terminal/sessions/` inside\n' +
      '`terminal/`), never a higher one; and no folders import each other by value.\n\n';
    text = text.slice(0, end).replace(/\n*$/, '\n') + intro + block + '\n' + text.slice(end);
  }
  // §Where things live: the src-main/ part of its code block
  const at = text.indexOf('\n## Where things live\n');
  if (at < 0) throw new PlanError('docs: no "## Where things live" section');
  const open = text.indexOf('```\n', at);
  const close = text.indexOf('\n```', open + 4);
  if (open < 0 || close < 0) throw new PlanError('docs: §Where things live has no code block');
  const body = text.slice(open + 4, close).split('\n');
  const tailAt = body.findIndex((l, i) => i > 0 && /^\S/.test(l) && !l.startsWith('src-main/'));
  const tail = tailAt < 0 ? [] : body.slice(tailAt);
  /** @type {[string, string][]} */
  const rows = [];
  for (const l of layers) {
    for (const f of l.folders) rows.push([f, l.why]);
    for (const [f, what] of Object.entries(l.subfolders ?? {})) rows.push([f, what]);
  }
  const col = Math.max(...rows.map(([f]) => f.length + 1)) + 4;
  const lines = ['src-main/        (layers, lowest first: §Layers)'];
  for (const [f, what] of rows) {
    const words = what.split(/\s+/);
    let line = `  ${f}/`.padEnd(col);
    let first = true;
    for (const w of words) {
      if (
        line.trim().length &&
        line.length + 1 + w.length > 110 &&
        !(first && line.trimEnd().endsWith('/'))
      ) {
        lines.push(line.trimEnd());
        line = ' '.repeat(col) + w;
      } else {
        line = first ? line + w : `${line} ${w}`;
      }
      first = false;
    }
    lines.push(line.trimEnd());
  }
  return text.slice(0, open + 4) + [...lines, ...tail].join('\n') + text.slice(close);
}

// ---------------------------------------------------------------------------------------------------
// Main

/** @param {string[]} argv */
export async function main(argv) {
  const args = argv.slice(2);
  const flag = (/** @type {string} */ f) => args.includes(f);
  const rootAt = args.indexOf('--root');
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const root = rootAt >= 0 ? path.resolve(args[rootAt + 1]) : here;
  const planArg = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--root');
  if (!planArg) {
    console.error(
      'usage: node scripts/move-modules.mjs PLAN.json [--dry-run] [--no-git] [--no-prettier] [--root DIR]',
    );
    return 2;
  }
  const planPath = path.resolve(root, planArg);
  const raw = JSON.parse(fs.readFileSync(planPath, 'utf8'));
  const isStructured =
    raw && typeof raw === 'object' && ('moves' in raw || 'extracts' in raw || 'redirects' in raw);
  const plan = isStructured ? raw : { moves: raw };
  if (plan.applied) {
    console.error(`${planArg} was applied already (${plan.applied})`);
    return 1;
  }
  /** @type {string[]} */
  const warnings = [];
  const warn = (/** @type {string} */ w) => warnings.push(w);
  const vfs = new Vfs(root);
  const { layers, layerListMarkdown } = await import(
    pathToFileURL(path.join(root, 'scripts/layers.mjs')).href
  );

  for (const op of plan.extracts ?? []) extract(vfs, op);
  for (const op of plan.redirects ?? []) {
    if (!vfs.has(op.to)) throw new PlanError(`redirect: ${op.to} does not exist`);
    redirect(vfs, op.names, op.from, op.to);
  }

  const moves = withMirroredTests(vfs, plan.moves ?? {}, plan.mirrorTests === true);
  const problems = [];
  const targets = new Map();
  for (const [from, to] of Object.entries(moves)) {
    if (!vfs.has(from))
      problems.push(`move: ${from} does not exist (renamed or moved since the plan was made?)`);
    if (vfs.has(to) && !(to in moves)) problems.push(`move: ${to} exists already`);
    if (targets.has(to)) problems.push(`move: ${from} and ${targets.get(to)} both go to ${to}`);
    targets.set(to, from);
  }
  if (problems.length) throw new PlanError(problems.join('\n'));
  rewriteForMoves(vfs, moves);
  /** @type {(f: string) => string} */
  const after = (f) => moves[f] ?? f;

  // edits and docs name paths after the moves; the Vfs keeps them by their path before
  const before = new Map(Object.entries(moves).map(([a, b]) => [b, a]));
  const atBefore = (/** @type {string} */ f) => before.get(f) ?? f;
  applyPlanEdits(
    vfs,
    (plan.edits ?? []).map((/** @type {{file: string}} */ e) => ({ ...e, file: atBefore(e.file) })),
    warn,
  );
  if (plan.docs) {
    const doc = atBefore(plan.docs);
    vfs.set(doc, writeLayerDocs(vfs.get(doc), layers, layerListMarkdown()));
  }

  // every source file lands in a layer
  const folders = layers
    .flatMap((/** @type {{folders: string[]}} */ l) => l.folders)
    .sort((a, b) => b.length - a.length);
  const homeless = [...vfs.code]
    .map(after)
    .filter((f) => f.startsWith('src-main/') && /\.(ts|cts)$/.test(f))
    .filter((f) => {
      const d = posix.dirname(f).slice(9);
      return !folders.some((l) => d === l || d.startsWith(l + '/'));
    });
  if (homeless.length) {
    throw new PlanError(
      `these files would be in no layer (add them to the plan's moves, or a folder to scripts/layers.mjs):\n  ${homeless.join('\n  ')}`,
    );
  }

  const changed = [...vfs.changed].map(after);
  console.log(
    `${Object.keys(moves).length} moves (${Object.keys(moves).length - Object.keys(plan.moves ?? {}).length} mirrored tests), ${(plan.extracts ?? []).length} extracts, ${(plan.redirects ?? []).length} redirects, ${(plan.edits ?? []).length} edits; ${changed.length} files change`,
  );
  for (const w of warnings) console.log(`warning: ${w}`);
  if (flag('--dry-run')) {
    for (const [a, b] of Object.entries(moves)) console.log(`  ${a} -> ${b}`);
    for (const f of changed.sort()) console.log(`  changes ${f}`);
    return 0;
  }

  const git = (/** @type {string[]} */ a) =>
    execFileSync('git', a, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  for (const [from, to] of Object.entries(moves)) {
    fs.mkdirSync(path.join(root, posix.dirname(to)), { recursive: true });
    if (flag('--no-git')) fs.renameSync(path.join(root, from), path.join(root, to));
    else git(['mv', from, to]);
  }
  for (const f of vfs.changed) {
    fs.mkdirSync(path.join(root, posix.dirname(after(f))), { recursive: true });
    fs.writeFileSync(path.join(root, after(f)), vfs.get(f));
  }
  // a folder the moves emptied goes
  for (const from of Object.keys(moves)) {
    let d = posix.dirname(from);
    while (
      d !== '.' &&
      fs.existsSync(path.join(root, d)) &&
      fs.readdirSync(path.join(root, d)).length === 0
    ) {
      fs.rmdirSync(path.join(root, d));
      d = posix.dirname(d);
    }
  }
  plan.applied = new Date().toISOString();
  if (isStructured) fs.writeFileSync(planPath, JSON.stringify(plan, null, 2) + '\n');
  const formatted = changed.filter((f) => /\.(ts|tsx|cts|mts|js|mjs|cjs|json)$/.test(f));
  if (isStructured) formatted.push(path.relative(root, planPath));
  if (!flag('--no-prettier') && formatted.length) {
    execFileSync('npx', ['prettier', '--write', '--log-level', 'warn', ...formatted], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  if (!flag('--no-git')) git(['add', '--', ...new Set([...changed, path.relative(root, planPath)])]);
  console.log(
    'done: now `npx tsc -p tsconfig.json --noEmit`, `npx eslint src-main`, and the tests of what moved',
  );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    process.exitCode = await main(process.argv);
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    console.error(`nothing written: ${err.message}`);
    process.exitCode = 1;
  }
}
