/**
 * docs/overview.md's picture of the layers names every layer of scripts/layers.mjs but the domains',
 * once each, in the layer order (bottom line first), so the first page a newcomer reads cannot drift
 * from the order lint enforces. Its paths and links are doc-references.test.ts's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { listedDomains } from '../../../scripts/domain-folders.mjs';
import { layers } from '../../../scripts/layers.mjs';

const overview = readFileSync(new URL('../../../docs/overview.md', import.meta.url), 'utf8');

test("the overview's picture of the layers is the layer order, bottom up", () => {
  const block = /^ entry points[^\n]*\n(?:[^\n]*\n)*?```/m.exec(overview)?.[0];
  assert.ok(block, 'the overview has its picture of the layers');
  const lines = block.split('\n').filter((l) => l.trim() && !l.startsWith('```'));
  // Bottom line first; on each line the folders (`x/`) before any words that explain them.
  const named = lines
    .reverse()
    .flatMap((l) =>
      [...l.replace(/\(.*?\)/g, '').matchAll(/(?:^|\s)([a-z][\w-]*)\/(?=\s|$)/g)].map((m) => m[1]!),
    );
  const domains = new Set(listedDomains().map((d) => d.folder));
  const expected = layers.map((l) => l.name).filter((n) => !domains.has(n));
  assert.deepEqual(
    named.filter((n) => !domains.has(n)),
    expected,
    'each layer once, lowest first (scripts/layers.mjs)',
  );
});
