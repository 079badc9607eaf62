/**
 * The layers of src-main/ as written down against the code (issue 53 item 1, DESIGN §11): every folder
 * under src-main/ is in the layer list lint enforces (scripts/layers.mjs) and in docs/architecture.md
 * §Where things live, the doc's layer list (§Layers) is that list, and no folders import each other by
 * value. Skipped until the layout it describes exists: scripts/layer-moves.json, applied by
 * scripts/move-modules.mjs, marks itself applied.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fileGraph, folderCycles, topFolderOf } from '../../../scripts/import-graph.mjs';
import { layerFolderOf, layers, LIST_BEGIN, LIST_END } from '../../../scripts/layers.mjs';

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

test('docs/architecture.md §Where things live names every folder under src-main/', { skip }, () => {
  const where = section(architecture(), 'Where things live');
  const unnamed = sourceFolders().filter(
    (f) => !new RegExp(`(^|\\s)${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(\\s|$)`, 'm').test(where),
  );
  assert.deepEqual(
    unnamed,
    [],
    'folders §Where things live does not name (node scripts/layers.mjs prints the layer list)',
  );
});

test("docs/architecture.md's layer list is scripts/layers.mjs", { skip }, () => {
  const text = section(architecture(), 'Layers');
  const a = text.indexOf(LIST_BEGIN);
  const b = text.indexOf(LIST_END);
  assert.ok(a >= 0 && b > a, '§Layers holds the generated layer list between its markers');
  const documented = text
    .slice(a + LIST_BEGIN.length, b)
    .split('\n')
    .filter((l) => /^\d+\. /.test(l))
    .map((l) => {
      const m = /^\d+\. `([^`]+)` \(((?:`[^`]+`(?:, )?)+)\): (.*)\.$/.exec(l);
      assert.ok(m, `a layer line reads "N. \`name\` (\`folder/\`): why.": ${l}`);
      return { name: m[1], folders: [...m[2]!.matchAll(/`([^`]+)\/`/g)].map((x) => x[1]), why: m[3] };
    });
  // Each layer's words too (the services layer's had drifted apart): one description, in one place.
  assert.deepEqual(
    documented,
    layers.map((l) => ({ name: l.name, folders: l.folders, why: l.why })),
    'the doc lists the layers of scripts/layers.mjs, in its order and words (node scripts/layers.mjs prints them)',
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
