/**
 * Builds the renderer with vite.config.ts into a temporary folder and checks what Electron will load
 * from file://: relative asset URLs, the CSP meta tag, and no inline script the CSP would block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('vite builds a file://-loadable page that obeys the CSP', { timeout: 60_000 }, async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'clawbridge-renderer-'));
  try {
    await build({
      configFile: join(root, 'vite.config.ts'),
      root: join(root, 'src-renderer'),
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true },
    });
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
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
