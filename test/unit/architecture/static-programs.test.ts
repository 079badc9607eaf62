/**
 * The type check and ESLint share one TypeScript program per tsconfig (scripts/lint-and-typecheck.mjs,
 * ADR 0109): ESLint then finds a file's types only in those programs, where its project service found
 * any tsconfig.json. So every file ESLint lints must be in one of them, and `npm test` must run that
 * shared path rather than tsc and eslint apart.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { CONFIGS, parseConfig } from '../../../scripts/static-programs.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('every TypeScript file ESLint lints is a root file of a program the type check builds', async () => {
  const inPrograms = new Set(
    CONFIGS.flatMap((c) => parseConfig(root, c).fileNames.map((f) => path.resolve(f))),
  );
  const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /\.(?:[cm]?ts|tsx)$/.test(f) && !f.endsWith('.d.mts'));
  assert.ok(tracked.length > 1000, `git lists the tree's TypeScript files (${tracked.length})`);
  const eslint = new ESLint({ cwd: root });
  const linted: string[] = [];
  for (const f of tracked) if (!(await eslint.isPathIgnored(path.join(root, f)))) linted.push(f);
  const missing = linted.filter((f) => !inPrograms.has(path.join(root, f)));
  assert.deepEqual(missing, [], `files ESLint lints that no tsconfig in ${CONFIGS.join(', ')} includes`);
});

test('npm test runs the type check and the lint from one process, and lint and typecheck run it too', () => {
  const scripts = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const checks = ((scripts.test ?? '').split(' --then ')[0] ?? '').split(' ');
  assert.ok(checks.includes('lint-and-typecheck'), 'npm test runs lint-and-typecheck beside the tests');
  assert.ok(
    !checks.includes('lint') && !checks.includes('typecheck'),
    'and not lint or typecheck apart as well',
  );
  assert.match(
    scripts['lint-and-typecheck'] ?? '',
    /^node scripts\/lint-and-typecheck\.mjs && prettier --check \.$/,
  );
  assert.match(scripts.lint ?? '', /^node scripts\/lint-and-typecheck\.mjs --lint && prettier --check \.$/);
  assert.equal(scripts.typecheck, 'node scripts/lint-and-typecheck.mjs --typecheck');
});
