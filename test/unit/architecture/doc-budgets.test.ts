/**
 * The documents' line budgets, as docs/testing.md §What the docs promise and a test holds states them:
 * the table there is the one place a budget is written, and this test reads it, so the docs' claim and
 * what is checked cannot drift apart.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const TESTING = 'docs/testing.md';
const SECTION = '## What the docs promise and a test holds';

interface Budget {
  file: string;
  lines: number;
}

/** The rows of the budget table in `markdown`'s section SECTION: `| \`FILE\` | N | why |`. */
function budgetsIn(markdown: string): Budget[] {
  const start = markdown.indexOf(SECTION);
  if (start === -1) return [];
  const rest = markdown.slice(start + SECTION.length);
  const section = rest.slice(0, rest.search(/^## /m) === -1 ? undefined : rest.search(/^## /m));
  return [...section.matchAll(/^\|\s*`([^`]+)`\s*\|\s*([\d,]+)\s*\|/gm)].map((m) => ({
    file: m[1]!,
    lines: Number(m[2]!.replace(/,/g, '')),
  }));
}

/** Lines as an editor counts them: a final line break ends the last line, it does not start one. */
function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

test('the budget table is read as written, and a line count is an editor’s', () => {
  const doc = `# T\n\n${SECTION}\n\n| File | Lines at most | Why |\n| --- | --- | --- |\n| \`README.md\` | 800 | a tour |\n| \`docs/x.md\` | 1,200 | x |\n\n## Next\n\n| \`not/this.md\` | 5 | no |\n`;
  assert.deepEqual(budgetsIn(doc), [
    { file: 'README.md', lines: 800 },
    { file: 'docs/x.md', lines: 1200 },
  ]);
  assert.equal(lineCount('a\nb\n'), 2);
  assert.equal(lineCount('a\nb'), 2);
  assert.equal(lineCount(''), 0);
});

test('docs/testing.md states the README’s and docs/performance.md’s budgets', () => {
  const files = budgetsIn(readFileSync(path.join(root, TESTING), 'utf8')).map((b) => b.file);
  for (const f of ['README.md', 'docs/performance.md']) assert.ok(files.includes(f), `${TESTING} lists ${f}`);
});

test('every document fits the line budget docs/testing.md states for it', () => {
  const over = budgetsIn(readFileSync(path.join(root, TESTING), 'utf8')).flatMap(({ file, lines }) => {
    const p = path.join(root, file);
    assert.ok(existsSync(p), `${file}, named in ${TESTING}, exists`);
    const n = lineCount(readFileSync(p, 'utf8'));
    return n > lines ? [`${file}: ${n} lines, budget ${lines}`] : [];
  });
  assert.deepEqual(over, [], `move detail to docs/ (${TESTING} §What the docs promise and a test holds)`);
});
