/**
 * What docs/overview.md, docs/architecture.md and docs/testing.md point at is there: each file or folder of the
 * repository they name in backticks exists, each link to another document resolves, each `npm run`
 * script they give is in package.json, each identifier they name in backticks (a type, a function, an
 * API method) is in the code, and every reference to one of their sections, from anywhere in the
 * repository (`docs/architecture.md §Relay` in a comment), names a heading they have. A rename that
 * leaves a doc behind fails here rather than misleading the next reader.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isTranspiled, sourceFile } from '../../helpers/transpiled.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = ['docs/overview.md', 'docs/architecture.md', 'docs/testing.md'];
/** Where a bare file name (`agent-host.ts`) or a path inside the sources (`core/errors.ts`) is looked up. */
const SOURCE_ROOTS = ['src-main', 'src-renderer'];
const SEARCHED = ['src-main', 'src-renderer', 'test', 'scripts', 'bench', 'soak'];
/** The example domain of §Adding a domain: its files are what a new domain would add, not there by design. */
const EXAMPLE_DOMAIN = 'notes';
/** Build output: not in the repository until a build makes it. */
const BUILT = ['dist/'];

const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
/** This file, which names identifiers in its own cases. */
const SELF = path
  .relative(root, sourceFile(import.meta.url))
  .split(path.sep)
  .join('/');

function filesUnder(rel: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const next = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(next);
      // Not the .js run-tests' mirror holds beside each .ts: the same code again, inline source map and all.
      else if (keep(e.name) && !isTranspiled(path.join(root, next))) out.push(next);
    }
  };
  walk(rel);
  return out;
}

interface Tree {
  topLevel: Set<string>;
  sourceFolders: Set<string>;
  baseNames: Set<string>;
}

function tree(): Tree {
  const topLevel = new Set(readdirSync(root).filter((n) => n !== 'node_modules'));
  const sourceFolders = new Set(
    SOURCE_ROOTS.flatMap((r) =>
      readdirSync(path.join(root, r), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name),
    ),
  );
  const baseNames = new Set(
    SEARCHED.flatMap((r) => filesUnder(r, () => true)).map((f) => path.posix.basename(f)),
  );
  return { topLevel, sourceFolders, baseNames };
}

/**
 * Why `token` (a backticked word of a doc) names nothing in the repository, or null when it does or is
 * no repository path: a path from the root (`src-main/…`, `test/…`), a path inside the sources
 * (`transport/link.ts`, `lib/their-grants.ts`), or a bare source file name (`run-agent.ts`).
 */
export function missing(token: string, t: Tree, exists: (rel: string) => boolean): string | null {
  if (/[\s<>*…{}$~%:#?=]/.test(token) || token.startsWith('/')) return null; // a pattern, URL or home file
  if (token.split(/[/.-]/).includes(EXAMPLE_DOMAIN)) return null;
  if (BUILT.some((b) => token.startsWith(b))) return null;
  const first = token.split('/')[0]!;
  if (token.includes('/') && t.topLevel.has(first)) return exists(token) ? null : `${token}: no such path`;
  if (token.includes('/') && t.sourceFolders.has(first)) {
    return SOURCE_ROOTS.some((r) => exists(`${r}/${token}`))
      ? null
      : `${token}: in none of ${SOURCE_ROOTS.join(', ')}`;
  }
  if (/^[\w.-]+\.(?:ts|tsx|mts|cts|mjs|cjs)$/.test(token)) {
    return t.baseNames.has(token) ? null : `${token}: no file of that name`;
  }
  return null;
}

/** The text of a doc without its fenced blocks' language tags: backticked words, one each. */
const backticked = (markdown: string) => [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

/** The headings of a markdown text, without their `#`s and backticks. */
const headings = (markdown: string) =>
  [...markdown.matchAll(/^#{1,6} +(.+?) *$/gm)].map((m) => m[1]!.replace(/`/g, ''));

/**
 * References to a section of DOC in `text`, as `DOC §Name` or, inside DOC itself, `§Name`; the name
 * may wrap onto a comment's next line. Each is the text after the `§`, joined, up to 120 characters.
 */
export function sectionReferences(text: string, doc: string, inside: boolean): string[] {
  const name = path.posix.basename(doc);
  const out: string[] = [];
  for (const m of text.matchAll(/(?:([\w./-]+\.md)`?\s?)?§\s?(?=([^§]{1,120}))/g)) {
    const target = m[1];
    const ours = target ? path.posix.basename(target) === name : inside;
    if (!ours) continue;
    out.push(m[2]!.replace(/\n\s*(?:\*|\/\/|#)?\s*/g, ' ').replace(/`/g, ''));
  }
  return out;
}

test('a repository path is told from a pattern, a URL and a file in the home', () => {
  const t: Tree = {
    topLevel: new Set(['src-main', 'test', 'docs']),
    sourceFolders: new Set(['core', 'lib']),
    baseNames: new Set(['run-agent.ts']),
  };
  const on =
    (...there: string[]) =>
    (rel: string) =>
      there.includes(rel);
  assert.equal(missing('src-main/core/errors.ts', t, on('src-main/core/errors.ts')), null);
  assert.match(missing('src-main/core/gone.ts', t, on()) ?? '', /no such path/);
  assert.equal(missing('core/errors.ts', t, on('src-main/core/errors.ts')), null);
  assert.equal(missing('lib/x.ts', t, on('src-renderer/lib/x.ts')), null);
  assert.match(missing('core/gone.ts', t, on()) ?? '', /in none of/);
  assert.equal(missing('run-agent.ts', t, on()), null);
  assert.match(missing('run-agnet.ts', t, on()) ?? '', /no file of that name/);
  for (const other of ['config.json', 'src-main/*/*-contract.ts', 'features/<view>/', 'node:timers/promises'])
    assert.equal(missing(other, t, on()), null, other);
  assert.equal(missing('src-main/notes/notes-domain.ts', t, on()), null, 'the example domain');
});

test('a section reference is found with its doc, or bare inside the doc, across a wrapped comment', () => {
  const text = 'see docs/architecture.md §The layer\n * order, and mux-protocol.md §Liveness; §Relay';
  assert.deepEqual(sectionReferences(text, 'docs/architecture.md', false), [
    'The layer order, and mux-protocol.md ',
  ]);
  const inside = '§Relay and docs/testing.md §Waiting, `bench/README.md` §History';
  assert.deepEqual(sectionReferences(inside, 'docs/architecture.md', true), ['Relay and docs/testing.md ']);
  assert.deepEqual(sectionReferences(inside, 'docs/testing.md', false), ['Waiting, bench/README.md ']);
});

test('every repository path docs/architecture.md and docs/testing.md name in backticks exists', () => {
  const t = tree();
  const exists = (rel: string) => existsSync(path.join(root, rel));
  const broken = DOCS.flatMap((doc) =>
    backticked(read(doc)).flatMap((token) => {
      const why = missing(token, t, exists);
      return why ? [`${doc}: ${why}`] : [];
    }),
  );
  assert.deepEqual(broken, []);
});

test('every link in docs/architecture.md and docs/testing.md to another document resolves', () => {
  const broken = DOCS.flatMap((doc) =>
    [...read(doc).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((href) => !/^[a-z]+:/.test(href))
      .filter((href) => !existsSync(path.join(root, path.posix.dirname(doc), href)))
      .map((href) => `${doc}: ${href}`),
  );
  assert.deepEqual(broken, []);
});

test('every `npm run` script docs/architecture.md and docs/testing.md give is in package.json', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const unknown = DOCS.flatMap((doc) =>
    [...read(doc).matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!).filter((s) => !(s in scripts)),
  );
  assert.deepEqual(unknown, []);
});

test('every reference to a section of docs/architecture.md or docs/testing.md names one of its headings', () => {
  const files = [
    'README.md',
    'eslint.config.js',
    ...['src-main', 'src-renderer', 'scripts', 'test', 'docs', 'bench', 'soak'].flatMap((r) =>
      filesUnder(r, (n) => /\.(?:ts|tsx|cts|mts|mjs|js|md)$/.test(n)),
    ),
  ].filter((f) => f !== SELF);
  const broken = DOCS.flatMap((doc) => {
    const heads = headings(read(doc));
    return files.flatMap((file) =>
      sectionReferences(read(file), doc, file === doc)
        .filter((ref) => !heads.some((h) => ref.startsWith(h)))
        .map((ref) => `${file}: ${doc} §${ref.slice(0, 40)}…`),
    );
  });
  assert.ok(files.length > 500, `read the repository (${files.length} files)`);
  assert.deepEqual(broken, []);
});

/** Names the docs give in backticks that are no code of this repository, each with why. */
const NOT_IN_CODE: Record<string, string> = {
  Modify: "Syncthing's configuration wrapper's method, named as the model",
  'parts.beforeNode': "a path into what a domain's create() returns (`parts: { beforeNode, afterNode }`)",
  'parts.afterNode': "a path into what a domain's create() returns (`parts: { beforeNode, afterNode }`)",
};

/**
 * The identifier `token` names, or null when it names none: a type, function or constant (`NodeState`,
 * `until()`, `until(what, check)`), or a dotted name (an API method such as `peers.add`, a path such
 * as `entry.record`).
 */
export function identifierIn(token: string): string | null {
  if (/^[A-Za-z_$][\w$]*$/.test(token)) return token;
  const call = /^([A-Za-z_$][\w$]*)\(.*\)$/.exec(token);
  if (call) return call[1]!;
  if (/^[a-z][\w-]*(?:\.[a-zA-Z][\w-]*)+$/.test(token) && !/\.(?:[cm]?[jt]sx?|json|md|ya?ml)$/.test(token))
    return token;
  return null;
}

test('an identifier is told from a path and a phrase, and found in a call', () => {
  assert.equal(identifierIn('NodeState'), 'NodeState');
  assert.equal(identifierIn('freePort()'), 'freePort');
  assert.equal(identifierIn('peers.add'), 'peers.add');
  assert.equal(identifierIn('until(what, check)'), 'until');
  for (const other of ['state/node-state.ts', 'a b', 'config.json', '#notes', '(x)'])
    assert.equal(identifierIn(other), null, other);
});

test('every identifier docs/architecture.md and docs/testing.md name in backticks is in the code', () => {
  const sourceText = [
    'package.json',
    'eslint.config.js',
    ...SEARCHED.flatMap((r) => filesUnder(r, (n) => /\.(?:[cm]?ts|tsx|mjs|cjs|js|json)$/.test(n))),
  ]
    .filter((f) => f !== SELF)
    .map(read)
    .join('\n');
  const missingNames = DOCS.flatMap((doc) =>
    [...new Set(backticked(read(doc)))].flatMap((token) => {
      const name = identifierIn(token);
      if (!name || name in NOT_IN_CODE || name.startsWith(EXAMPLE_DOMAIN)) return [];
      const word = new RegExp(`(?:^|[^\\w$.-])${name.replace(/[.$]/g, '\\$&')}(?:$|[^\\w$-])`);
      return word.test(sourceText) ? [] : [`${doc}: ${name}`];
    }),
  );
  assert.deepEqual(missingNames, [], 'renamed or gone: say what the code calls it now');
});
