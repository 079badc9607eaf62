/**
 * The layers of src-main/ as written down against the code (DESIGN §11): every folder under src-main/
 * is in the layer list lint enforces (scripts/layers.mjs), the folders inside a layer (outside the
 * domains' folders) are in docs/architecture.md §Where things live, which describes no layer again,
 * the doc's layer list (§Layers) is that list, the domains'
 * layers are app/domains.ts's list (ADR 0087), and no folders import each other by value. Skipped
 * until the layout it describes exists: scripts/layer-moves.json, applied by scripts/move-modules.mjs,
 * marks itself applied.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fileGraph, folderCycles, topFolderOf } from '../../../scripts/import-graph.mjs';
import { listedDomains } from '../../../scripts/domain-folders.mjs';
import {
  layerFolderOf,
  layerListMarkdown,
  layers,
  layersWith,
  LIST_BEGIN,
  LIST_END,
} from '../../../scripts/layers.mjs';
import { domains } from '../../../src-main/app/domains.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const planFile = path.join(root, 'scripts/layer-moves.json');
const plan = existsSync(planFile)
  ? (JSON.parse(readFileSync(planFile, 'utf8')) as { applied?: unknown })
  : {};
const skip =
  existsSync(planFile) && !plan.applied
    ? 'the layout is planned, not made yet: scripts/layer-moves.json (node scripts/move-modules.mjs scripts/layer-moves.json applies it and turns this test on)'
    : false;

/** Folders under src-main/ that hold source files, as `terminal/sessions`. */
function sourceFolders(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const entries = readdirSync(path.join(root, 'src-main', rel), { withFileTypes: true });
    if (rel && entries.some((e) => e.isFile() && /\.(ts|cts)$/.test(e.name))) out.push(rel);
    for (const e of entries) if (e.isDirectory()) walk(rel ? `${rel}/${e.name}` : e.name);
  };
  walk('');
  return out.sort();
}

/**
 * The index in `layers` of the layer a folder belongs to: a domain's part (`messages/cli`) its layer's,
 * else the longest layer folder that contains it.
 */
function layerOf(folder: string): number {
  const part = layerFolderOf(folder);
  if (part !== folder.split('/')[0]) return layers.findIndex((l) => l.folders.includes(part));
  let best = -1;
  let bestLength = -1;
  layers.forEach((l, i) => {
    for (const f of l.folders) {
      if ((folder === f || folder.startsWith(`${f}/`)) && f.length > bestLength) {
        best = i;
        bestLength = f.length;
      }
    }
  });
  return best;
}

const architecture = () => readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');

function section(text: string, heading: string): string {
  const at = text.indexOf(`\n## ${heading}\n`);
  assert.ok(at >= 0, `docs/architecture.md has a "## ${heading}" section`);
  const next = text.indexOf('\n## ', at + heading.length + 4);
  return text.slice(at, next < 0 ? undefined : next);
}

test(
  'every folder under src-main/ is in a layer of scripts/layers.mjs, and every layer folder exists',
  { skip },
  () => {
    const folders = sourceFolders();
    const homeless = folders.filter((f) => layerOf(f) < 0);
    assert.deepEqual(homeless, [], 'folders in no layer: add them to scripts/layers.mjs');
    const missing = layers
      .flatMap((l) => l.folders)
      .filter((f) => !folders.some((g) => g === f || g.startsWith(`${f}/`)));
    assert.deepEqual(missing, [], 'layer folders that hold no source file');
  },
);

test('a layer nested inside another layer folder sits below it', { skip }, () => {
  for (const [i, l] of layers.entries()) {
    for (const f of l.folders) {
      const parent = path.posix.dirname(f);
      if (parent === '.') continue;
      const outer = layerOf(parent);
      if (outer >= 0 && outer !== i) {
        assert.ok(
          outer > i,
          `${f}/ (${l.name}) is nested in ${parent}/ (${layers[outer]!.name}), a lower layer`,
        );
      }
    }
  }
});

/** The folders the domains' lines stand for in §Where things live: a domain's folder and all inside it. */
const inDomain = (folder: string) => domains.some((d) => folder.split('/')[0] === d.folder);

/** The src-main/ folders §Where things live gives a line of their own, as `terminal/sessions`. */
function namedFolders(where: string): string[] {
  return [...where.matchAll(/^ {2}([\w./<>-]+)\/ {2,}/gm)].map((m) => m[1]!);
}

test(
  "§Where things live names every folder inside a layer outside the domains', and no layer or domain",
  { skip },
  () => {
    const where = section(architecture(), 'Where things live');
    const named = namedFolders(where);
    const folders = sourceFolders();
    // The layers (top-level folders) are described once, in the generated layer list (§Layers).
    assert.deepEqual(
      folders.filter((f) => f.includes('/') && !inDomain(f) && !named.includes(f)),
      [],
      'folders inside a layer that §Where things live does not name',
    );
    assert.deepEqual(
      named.filter((f) => !f.includes('/') && !f.startsWith('<')),
      [],
      'layers §Where things live describes again (the layer list is their one description)',
    );
    // The domains come from their list: the doc stands for them with `<domain>/` and names none, so a new
    // domain needs no line and a removed folder leaves none behind.
    assert.ok(named.includes('<domain>') && named.includes('<domain>/cli'), "the domains' lines are there");
    assert.deepEqual(
      named.filter((f) => !f.startsWith('<domain>') && (inDomain(f) || !folders.includes(f))),
      [],
      "lines for a folder that is a domain's or is not there",
    );
  },
);

test("docs/architecture.md's layer list is scripts/layers.mjs", { skip }, () => {
  const text = section(architecture(), 'Layers');
  const a = text.indexOf(LIST_BEGIN);
  const b = text.indexOf(LIST_END);
  assert.ok(a >= 0 && b > a, '§Layers holds the generated layer list between its markers');
  // Each layer's words too (the services layer's had drifted apart): one description, in one place.
  assert.equal(
    text.slice(a + LIST_BEGIN.length, b).trim(),
    layerListMarkdown(),
    'the doc lists the layers of scripts/layers.mjs, in its order and words (node scripts/layers.mjs prints them)',
  );
});

test("the domains' layers are app/domains.ts's list, between the node's and the composition root", () => {
  const ofDomains = layers.filter((l) => l.domain);
  assert.deepEqual(
    ofDomains.map((l) => l.name).sort(),
    domains.map((d) => d.folder).sort(),
    'one layer per domain of the list',
  );
  const first = layers.findIndex((l) => l.domain);
  assert.deepEqual(
    layers.slice(first, first + ofDomains.length),
    ofDomains,
    "the domains' layers are one run",
  );
  assert.equal(layers[first - 1]?.name, 'pairing');
  assert.equal(layers[first + ofDomains.length]?.name, 'app');
  const at = (folder: string) => layers.findIndex((l) => l.folders.includes(folder));
  for (const d of domains)
    for (const on of d.builtOn ?? [])
      assert.ok(at(on) < at(d.folder), `${d.folder} sits above ${on}, which it builds on`);
});

test('a domain added to the list gets its layer, above what it builds on, and the doc needs no line for it', () => {
  const listed = listedDomains();
  const withToy = layersWith([{ folder: 'toy', file: 'toy-domain', builtOn: ['share'] }, ...listed]);
  const names = withToy.map((l) => l.name);
  assert.ok(
    names.indexOf('toy') > names.indexOf('share') && names.indexOf('toy') < names.indexOf('app'),
    names.join(' '),
  );
  assert.equal(layerListMarkdown(withToy), layerListMarkdown(), "the doc's layer list is the same");
  assert.throws(
    () => layersWith([{ folder: 'toy', file: 'toy-domain', builtOn: ['nowhere'] }, ...listed]),
    /builds on nowhere\/, which app\/domains.ts does not list/,
  );
  assert.throws(
    () =>
      layersWith([
        { folder: 'toy', file: 'toy-domain', builtOn: ['toy2'] },
        { folder: 'toy2', file: 'toy2-domain', builtOn: ['toy'] },
      ]),
    /built on each other/,
  );
});

test('no group of folders under src-main/ imports each other by value', { skip }, () => {
  assert.deepEqual(folderCycles(fileGraph().edges), []);
});

test('each layer is one top-level folder, and no top-level folders import each other by value', () => {
  for (const l of layers)
    assert.deepEqual(l.folders, [l.name], `${l.name}: a layer is the one top-level folder of its name`);
  assert.deepEqual(folderCycles(fileGraph().edges, topFolderOf), []);
});
