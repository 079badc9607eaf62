/**
 * The mirror scripts/run-tests.mjs runs the test files from (scripts/test-transpile.mjs): every .ts
 * beside it as a .js that plain Node runs, whose stack traces name the .ts lines; every other file the
 * checkout's own, seen as a file by a folder walk; build output and packages linked whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mirrored, transpileTree } from '../../../scripts/test-transpile.mjs';
import { tempDir } from '../../helpers/temp-dir.js';

const checkout = fileURLToPath(new URL('../../..', import.meta.url));

/** A checkout of a few files: a module, a test of it that reads a file beside it, docs, dist/. */
function smallCheckout(): string {
  const root = tempDir('cb-transpile-root-');
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(checkout, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'src-main'));
  writeFileSync(
    join(root, 'src-main/add.ts'),
    [
      'export const add = (a: number, b: number): number => a + b;',
      'interface Nothing {}',
      'export function fail(): never {',
      "  throw new Error('failed here');",
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(join(root, 'src-main/words.json'), '["one"]\n');
  mkdirSync(join(root, 'test'));
  writeFileSync(
    join(root, 'test/add.test.ts'),
    [
      "import { readFileSync } from 'node:fs';",
      "import { add, fail } from '../src-main/add.js';",
      "const words: string[] = JSON.parse(readFileSync(new URL('../src-main/words.json', import.meta.url), 'utf8'));",
      "if (add(1, words.length) !== 2) throw new Error('add');",
      "if (process.argv[2] === 'fail') fail();",
      '',
    ].join('\n'),
  );
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs/notes.md'), '# Notes\n');
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist/built.js'), 'export {};\n');
  return root;
}

test('each .ts runs from the mirror on plain Node, its imports and the files it reads found there', async () => {
  const root = smallCheckout();
  const { mirror, files } = await transpileTree(root, tempDir('cb-transpile-mirrors-'));
  assert.equal(files, 2, 'the two .ts files transpiled');
  const testFile = mirrored(root, mirror, join(root, 'test/add.test.ts'));
  assert.equal(testFile, join(mirror, 'test/add.test.js'), "the mirror's name for a .ts is its .js");
  const run = spawnSync(process.execPath, ['--enable-source-maps', testFile], { encoding: 'utf8' });
  assert.equal(run.status, 0, `the transpiled test runs on plain Node: ${run.stderr}`);
  const failed = spawnSync(process.execPath, ['--enable-source-maps', testFile, 'fail'], {
    encoding: 'utf8',
  });
  assert.match(failed.stderr, /failed here/, 'the error thrown');
  assert.ok(
    failed.stderr.includes(`${join(root, 'src-main/add.ts')}:4:`),
    `the stack names the checkout's .ts and its line: ${failed.stderr}`,
  );
});

test("every other file is the checkout's own, a file to a folder walk; dist/ and node_modules/ are linked", async () => {
  const root = smallCheckout();
  const { mirror } = await transpileTree(root, tempDir('cb-transpile-mirrors-'));
  const walked = readdirSync(join(mirror, 'src-main'), { withFileTypes: true });
  const source = walked.find((e) => e.name === 'add.ts');
  assert.ok(
    source?.isFile(),
    `a walk of the mirror's folder sees the .ts as a file: ${JSON.stringify(source)}`,
  );
  assert.equal(
    statSync(join(mirror, 'src-main/add.ts')).ino,
    statSync(join(root, 'src-main/add.ts')).ino,
    "the mirror's .ts is the checkout's file",
  );
  assert.ok(
    readdirSync(join(mirror, 'docs'), { withFileTypes: true }).some(
      (e) => e.name === 'notes.md' && e.isFile(),
    ),
    'docs are there as files',
  );
  assert.equal(
    readFileSync(join(mirror, 'dist/built.js'), 'utf8'),
    'export {};\n',
    "dist/ is the checkout's",
  );
  for (const linked of ['dist', 'node_modules']) {
    const entry = readdirSync(mirror, { withFileTypes: true }).find((e) => e.name === linked);
    assert.ok(entry?.isSymbolicLink(), `${linked} is linked whole, not copied`);
  }
});
