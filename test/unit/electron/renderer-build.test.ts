/**
 * What Electron will load from file://, as `npm run build` wrote it with vite.config.ts (dist/renderer/;
 * `npm test` builds first, when the sources changed): relative asset URLs, the CSP meta tag, and no
 * inline script the CSP would block. It built a copy of its own before, the same build a second time
 * (7 CPU-s of every run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = fileURLToPath(new URL('../../../dist/renderer/', import.meta.url));
const skip = existsSync(join(outDir, 'index.html'))
  ? false
  : 'the renderer is not built (npm run build:core); skipped';

test('vite builds a file://-loadable page that obeys the CSP', { skip }, () => {
  const html = readFileSync(join(outDir, 'index.html'), 'utf8');
  assert.match(html, /http-equiv="Content-Security-Policy"/);
  const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0]![0], /src="\.\/assets\/[^"]+\.js"/);
  assert.equal(scripts[0]![1], '', 'no inline script');
  assert.match(html, /href="\.\/assets\/[^"]+\.css"/);
  const js = readdirSync(join(outDir, 'assets')).filter((f) => f.endsWith('.js'));
  const bundle = readFileSync(join(outDir, 'assets', js[0]!), 'utf8');
  assert.doesNotMatch(bundle, /\beval\(|new Function\(/, 'the CSP has no unsafe-eval');
});
