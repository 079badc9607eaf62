/**
 * Reading docs/architecture.md and src-main/ side by side, for the tests that hold the doc's claims to
 * the code (test/unit/architecture/architecture-claims.test.ts, architecture-rules.test.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const src = path.join(root, 'src-main');
export const architectureDoc = readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');

/** The section of docs/architecture.md under `heading` (`## X` or `### X`), to the next of its level or above. */
export function section(heading: string): string {
  const doc = architectureDoc;
  const m = new RegExp(`^(#{2,3}) ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`, 'm').exec(doc);
  assert.ok(m, `docs/architecture.md has a section "${heading}"`);
  const rest = doc.slice(m.index + m[0].length);
  const end = rest.search(new RegExp(`^#{2,${m[1]!.length}} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The backticked words of `text`, in order. */
export const ticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** Every .ts file under src-main/, relative to it (`app/run-agent.ts`). */
export function sources(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|cts)$/.test(e.name) ? [path.relative(src, p).split(path.sep).join('/')] : [];
  });
}

/** A file under src-main/ without its comments: what it does, not what it says. */
export const code = (file: string) =>
  readFileSync(path.join(src, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
