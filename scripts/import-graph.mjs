#!/usr/bin/env node
// The import graph of src-main/, computed from the sources with the TypeScript parser: every relative
// import, re-export and dynamic import(), split into value imports (they run: a module needs the other
// at run time) and type-only imports (`import type`, `export type`, or every named binding marked
// `type`), which vanish when compiled. Used to choose the layer order (scripts/layers.mjs) and to check
// it: docs/architecture.md §Where things live.
//
//   node scripts/import-graph.mjs                 folder → folder edges (value, then type-only)
//   node scripts/import-graph.mjs --files         file → file edges
//   node scripts/import-graph.mjs --check         imports that point up the layer list (exit 1 if any)
//   node scripts/import-graph.mjs --check --moves scripts/layer-moves.json
//                                                 the same, as if the planned moves had been made
//   node scripts/import-graph.mjs --cycles        groups of folders that import each other by value
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { layerFolderOf } from './layers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {string} dir @returns {string[]} repo-relative paths of .ts/.cts/.tsx files under dir */
export function sourceFiles(dir, base = root) {
  /** @type {string[]} */
  const out = [];
  const walk = (/** @type {string} */ d) => {
    for (const name of readdirSync(path.join(base, d))) {
      const rel = path.posix.join(d, name);
      if (statSync(path.join(base, rel)).isDirectory()) walk(rel);
      else if (/\.(ts|cts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Every relative module specifier in one file.
 * @param {string} text
 * @param {string} fileName
 * @returns {{ spec: string, typeOnly: boolean, dynamic: boolean }[]}
 */
export function importsOf(text, fileName) {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  /** @type {{ spec: string, typeOnly: boolean, dynamic: boolean }[]} */
  const out = [];
  const visit = (/** @type {ts.Node} */ node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      let typeOnly = false;
      if (clause) {
        if (clause.isTypeOnly) typeOnly = true;
        else if (!clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings)) {
          const els = clause.namedBindings.elements;
          typeOnly = els.length > 0 && els.every((e) => e.isTypeOnly);
        }
      }
      out.push({ spec: node.moduleSpecifier.text, typeOnly, dynamic: false });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      let typeOnly = node.isTypeOnly;
      if (!typeOnly && node.exportClause && ts.isNamedExports(node.exportClause)) {
        const els = node.exportClause.elements;
        typeOnly = els.length > 0 && els.every((e) => e.isTypeOnly);
      }
      out.push({ spec: node.moduleSpecifier.text, typeOnly, dynamic: false });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      out.push({ spec: node.arguments[0].text, typeOnly: false, dynamic: true });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      // `import('./x.js').T` in a type position
      out.push({ spec: node.argument.literal.text, typeOnly: true, dynamic: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out.filter((i) => i.spec.startsWith('.'));
}

/** Map a specifier written in `from` to the repo-relative source file it means, or null. */
export function resolveSpec(from, spec, exists) {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const candidates = [target];
  const m = /\.(js|cjs|mjs|jsx)$/.exec(target);
  if (m) {
    const stem = target.slice(0, -m[0].length);
    const alias = { '.js': ['.ts', '.tsx'], '.cjs': ['.cts'], '.mjs': ['.mts'], '.jsx': ['.tsx'] }[m[0]];
    candidates.unshift(...alias.map((e) => stem + e));
  } else candidates.push(target + '.ts', target + '.tsx', target + '/index.ts');
  return candidates.find(exists) ?? null;
}

/**
 * The file graph of src-main/ (edges only between files in it).
 * @param {Record<string, string>} [moves] oldPath → newPath: report the graph as if moved
 */
export function fileGraph(moves = {}) {
  const files = sourceFiles('src-main');
  const set = new Set(files);
  const rename = (/** @type {string} */ f) => moves[f] ?? f;
  /** @type {{ from: string, to: string, typeOnly: boolean, line: string }[]} */
  const edges = [];
  for (const f of files) {
    const text = readFileSync(path.join(root, f), 'utf8');
    for (const imp of importsOf(text, f)) {
      const to = resolveSpec(f, imp.spec, (/** @type {string} */ c) => set.has(c));
      if (!to) continue;
      edges.push({ from: rename(f), to: rename(to), typeOnly: imp.typeOnly, line: imp.spec });
    }
  }
  return { files: files.map(rename), edges };
}

/** The folder a file is in, relative to src-main/ (`agent/api`, `core`). */
export const folderOf = (/** @type {string} */ f) => path.posix.dirname(f).replace(/^src-main\/?/, '');

/**
 * The layer of a file: the layer whose folder is the longest prefix of the file's folder.
 * @param {{ name: string, folders: string[] }[]} layers
 */
export function layerIndex(layers) {
  /** @type {[string, number][]} */
  const byFolder = [];
  layers.forEach((l, i) => l.folders.forEach((f) => byFolder.push([f, i])));
  byFolder.sort((a, b) => b[0].length - a[0].length);
  return (/** @type {string} */ file) => {
    // A domain's part of a layer above it (`messages/cli/`, scripts/layers.mjs DOMAIN_PARTS) is that layer's.
    const part = partFolderOf(folderOf(file));
    const folder = part ?? folderOf(file);
    const hit = byFolder.find(([f]) => folder === f || folder.startsWith(f + '/'));
    return hit ? hit[1] : -1;
  };
}

/** The layer a domain's part folder belongs to (`messages/cli/x` → `cli`), or null for any other folder. */
function partFolderOf(/** @type {string} */ folder) {
  const top = folder.split('/')[0] ?? '';
  const layer = layerFolderOf(folder);
  return layer === top ? null : layer;
}

/**
 * A file's top-level folder under src-main/: its layer (docs/architecture.md §The layer order); a
 * domain's part (`messages/cli/`) counts in the layer it belongs to (`cli`).
 */
export const topFolderOf = (/** @type {string} */ f) => layerFolderOf(folderOf(f));

/**
 * A file's folder, with a domain's part counted in its layer's folder (`messages/cli/x.ts` → `cli`): the
 * part and its layer are one layer, whose entry points import the parts and the parts its shared pieces.
 */
export const partAwareFolderOf = (/** @type {string} */ f) => partFolderOf(folderOf(f)) ?? folderOf(f);

/**
 * Strongly connected groups of folders over value edges (Tarjan).
 * @param {(file: string) => string} [key] which folder a file counts in: its own (default; a domain's part
 *   counts in its layer's folder, partAwareFolderOf) or its top-level one
 */
export function folderCycles(edges, key = partAwareFolderOf) {
  /** @type {Map<string, Set<string>>} */
  const g = new Map();
  for (const e of edges) {
    if (e.typeOnly) continue;
    const a = key(e.from);
    const b = key(e.to);
    if (a === b) continue;
    if (!g.has(a)) g.set(a, new Set());
    if (!g.has(b)) g.set(b, new Set());
    g.get(a).add(b);
  }
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) strong(v);
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const movesAt = args.indexOf('--moves');
  const moves = movesAt >= 0 ? JSON.parse(readFileSync(path.resolve(args[movesAt + 1]), 'utf8')) : {};
  delete moves.$comment;
  const { files, edges } = fileGraph(moves);
  if (args.includes('--files')) {
    for (const e of edges) console.log(`${e.typeOnly ? 'type ' : 'value'} ${e.from} -> ${e.to}`);
    return;
  }
  if (args.includes('--cycles')) {
    const groups = folderCycles(edges);
    for (const g of groups) console.log(g.join(' <-> '));
    if (groups.length) process.exitCode = 1;
    return;
  }
  if (args.includes('--check')) {
    const { layers } = await import(pathToFileURL(path.join(root, 'scripts/layers.mjs')).href);
    const of = layerIndex(layers);
    let bad = 0;
    for (const f of files) {
      if (of(f) < 0) {
        console.log(`no layer: ${f}`);
        bad++;
      }
    }
    for (const e of edges) {
      const a = of(e.from);
      const b = of(e.to);
      if (a >= 0 && b >= 0 && b > a) {
        console.log(
          `${e.typeOnly ? 'type ' : 'value'} ${e.from} (${layers[a].name}) -> ${e.to} (${layers[b].name})`,
        );
        bad++;
      }
    }
    console.log(`${bad} import(s) point up or have no layer`);
    if (bad) process.exitCode = 1;
    return;
  }
  /** @type {Map<string, { value: number, type: number }>} */
  const pairs = new Map();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    const k = `${a} -> ${b}`;
    const p = pairs.get(k) ?? { value: 0, type: 0 };
    p[e.typeOnly ? 'type' : 'value']++;
    pairs.set(k, p);
  }
  for (const [k, p] of [...pairs].sort()) console.log(`${k}  value ${p.value}  type ${p.type}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
