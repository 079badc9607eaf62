/**
 * A test file that needs one of the shared helpers imports it rather than writing its own
 * (docs/testing.md §The shared helpers): a copy drifts (one `freePort` rejected on a listen error,
 * its copy hung), and the rules the helper carries (a reason for every sleep, polling that backs off)
 * are lost in it. The helpers checked here are those the table names that have one meaning wherever
 * they are used; a test may still have its own `startAgent` that starts something else. The table
 * itself is held to test/helpers/: each helper a row names is exported by the file it names.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourceFile } from '../../helpers/transpiled.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const self = sourceFile(import.meta.url);

/** Helpers with one meaning everywhere, as docs/testing.md's table names them. */
const SHARED = ['until', 'sleep', 'freePort', 'freeUdpPort', 'fakeClock'];

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (path.relative(root, p) !== path.join('test', 'helpers')) out.push(...testFiles(p));
    } else if (/\.(?:[cm]?ts|tsx)$/.test(e.name) && p !== self) out.push(p);
  }
  return out.sort();
}

/** `file:line: name` for each helper of SHARED that `text` declares itself. */
function ownCopies(file: string, text: string): string[] {
  const declared = new RegExp(`\\b(?:function\\*?|const|let|var)\\s+(${SHARED.join('|')})\\b`, 'g');
  return [...text.matchAll(declared)].map(
    (m) => `${file}:${text.slice(0, m.index).split('\n').length}: ${m[1]}`,
  );
}

test('docs/testing.md names each shared helper this test holds', () => {
  const doc = readFileSync(path.join(root, 'docs/testing.md'), 'utf8');
  for (const name of SHARED) assert.match(doc, new RegExp(`\`${name}\\(`), `docs/testing.md lists ${name}`);
});

/**
 * The rows of docs/testing.md's helper table, each with the files it names (`test/helpers/x.ts` or a bare
 * `x.ts` there), the helpers it gives (`name(…)` or a constant `NAME`) and their options (`{ a, b }`).
 */
function helperRows(doc: string): { files: string[]; helpers: string[]; options: string[] }[] {
  const table = doc.slice(
    doc.indexOf('| Job | Helper |'),
    doc.indexOf('\n\n', doc.indexOf('| Job | Helper |')),
  );
  return table
    .split('\n')
    .slice(2)
    .map((row) => {
      const cell = row.split(' | ').slice(1).join(' | ');
      const ticked = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      return {
        files: ticked
          .filter((t) => /^[\w./-]+\.ts$/.test(t))
          .map((t) => `test/helpers/${path.posix.basename(t)}`),
        helpers: ticked.flatMap(
          (t) => /^([A-Za-z]\w*)\(/.exec(t)?.[1] ?? /^([A-Z][A-Z_]+)$/.exec(t)?.[1] ?? [],
        ),
        options: ticked.flatMap((t) =>
          [...(/\{([^}]*)\}/.exec(t)?.[1] ?? '').matchAll(/(\w+)(?=\s*(?:[,:]|$))/g)].map((m) => m[1]!),
        ),
      };
    });
}

test("every helper docs/testing.md's table names is exported by a file its row names, with the options it gives", () => {
  const rows = helperRows(readFileSync(path.join(root, 'docs/testing.md'), 'utf8'));
  assert.ok(rows.length >= 10, `read the table (${rows.length} rows)`);
  const wrong = rows.flatMap(({ files, helpers, options }) => {
    const texts = files.map((f) => readFileSync(path.join(root, f), 'utf8'));
    const exported = (name: string) =>
      texts.some((t) =>
        new RegExp(
          `export (?:async )?(?:function\\*? |const |let |class )${name}\\b|export \\{[^}]*\\b${name}\\b`,
        ).test(t),
      );
    return [
      ...helpers.filter((h) => !exported(h)).map((h) => `${h}: not exported by ${files.join(', ')}`),
      ...options
        .filter((o) => !texts.some((t) => new RegExp(`\\b${o}\\??:`).test(t)))
        .map((o) => `option ${o}: not in ${files.join(', ')}`),
    ];
  });
  assert.deepEqual(wrong, []);
});

test('a declaration of a shared helper is found, a use or a longer name is not', () => {
  assert.deepEqual(ownCopies('a.ts', 'x\nfunction freePort(): Promise<number> {}'), ['a.ts:2: freePort']);
  assert.deepEqual(ownCopies('a.ts', 'const sleep = (ms: number) => 0;'), ['a.ts:1: sleep']);
  assert.deepEqual(
    ownCopies('a.ts', "import { until } from '../helpers/wait.js';\nawait until('x', f);"),
    [],
  );
  assert.deepEqual(ownCopies('a.ts', 'function untilClosed() {}\nconst freePorts = [];'), []);
});

test('no test file writes its own copy of a shared helper', () => {
  const files = testFiles(path.join(root, 'test'));
  assert.ok(files.length > 200, `found the tests (${files.length} files)`);
  const copies = files.flatMap((f) => ownCopies(path.relative(root, f), readFileSync(f, 'utf8')));
  assert.deepEqual(copies, [], 'import it from test/helpers/ (docs/testing.md §The shared helpers)');
});
