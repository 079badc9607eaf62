/**
 * A domain with a permission word and a window feature is its folder, one line in app/domains.ts and
 * its renderer folder, with no other file edited (docs/overview.md §Adding a domain, ADR 0111): in a
 * copy of the tree with the toy domain of test/fixtures/toy-domain/ added that way (and its unit tests'
 * folder, as every src-main/ folder has one), the lists made from the domains take the toy, the
 * window's build imports its feature, and the checks that hold the docs and the window's words to the
 * code pass there as they do here. test-runner: own process (it runs those checks in a child).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createServer } from 'vite';
import { layerListMarkdown } from '../../../scripts/layers.mjs';
import { tempDir } from '../../helpers/temp-dir.js';
import { isTranspiled } from '../../helpers/transpiled.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The checks run in the copy: the docs' lists, the layers, the domains' names, the window's words. */
const CHECKS = [
  'test/unit/architecture/architecture-claims.test.ts',
  'test/unit/architecture/domain-names.test.ts',
  'test/unit/renderer/permission-words.test.ts',
];

/** The toy's renderer folder, as a domain's window feature is written (features/<window>/). */
const TOY_WINDOW = {
  'toy-permissions.ts': `import { TOY_WORDS } from '../../../src-main/toy/toy-words.js';
import { explained } from '../permission-words.js';

export const TOY_PERMISSIONS = explained(TOY_WORDS, {
  toy: { label: 'Play with the toy here', refused: 'toys' },
});
`,
  'toy-feature.tsx': `import type { Feature } from '../registry.js';
import { TOY_PERMISSIONS } from './toy-permissions.js';

export const toyFeature: Feature = {
  id: 'toy',
  label: 'Toy',
  View: () => <h1>Toy</h1>,
  permissions: TOY_PERMISSIONS,
};
`,
};

/** A copy of the tree's sources, docs, scripts and tests at `tree`, with the toy added as a domain is. */
function treeWithToy(tree: string): void {
  // The sources alone: run from run-tests' mirror, a .js stands beside each .ts, and the window's
  // build would import the features' .js, which no test of the toy's is about.
  for (const part of ['src-main', 'src-renderer', 'scripts', 'docs', 'test'])
    cpSync(path.join(root, part), path.join(tree, part), {
      recursive: true,
      filter: (f) => !isTranspiled(f),
    });
  for (const file of [
    'package.json',
    'tsconfig.json',
    'tsconfig.web.json',
    'tsconfig.client.json',
    'vite.config.ts',
  ])
    cpSync(path.join(root, file), path.join(tree, file));
  // What the checks only see is there (the docs name these folders).
  for (const part of ['node_modules', 'src-web', 'bench', 'soak'])
    symlinkSync(path.join(root, part), path.join(tree, part));
  // Its folder, as src-main/toy/ (the fixture's imports reach src-main/ from test/fixtures/).
  const fixture = path.join(root, 'test/fixtures/toy-domain');
  for (const file of readdirSync(fixture, { recursive: true, encoding: 'utf8' })) {
    const from = path.join(fixture, file);
    const to = path.join(tree, 'src-main/toy', file);
    mkdirSync(path.dirname(to), { recursive: true });
    if (!/\.tsx?$/.test(file)) continue;
    const depth = file.split('/').length - 1;
    const text = readFileSync(from, 'utf8').replaceAll(
      `'${'../'.repeat(depth + 3)}src-main/`,
      `'${'../'.repeat(depth + 1)}`,
    );
    writeFileSync(to, text);
  }
  // Its one line in the list (an import and its name).
  const list = path.join(tree, 'src-main/app/domains.ts');
  const text = readFileSync(list, 'utf8');
  const withToy = text
    .replace(
      /^(import \{ \w+ \} from '\.\.\/[\w-]+\/[\w-]+\.js';\n)/m,
      "$1import { toyDomain } from '../toy/toy-domain.js';\n",
    )
    .replace(/(export const domains[^=]*=\s*\[)/, '$1\n  toyDomain,');
  assert.notEqual(withToy, text, 'the list takes the toy');
  writeFileSync(list, withToy);
  // Its renderer folder.
  mkdirSync(path.join(tree, 'src-renderer/features/toy'));
  for (const [file, source] of Object.entries(TOY_WINDOW))
    writeFileSync(path.join(tree, 'src-renderer/features/toy', file), source);
  // Its unit tests' folder (every src-main/ folder has one: §Where things live).
  mkdirSync(path.join(tree, 'test/unit/toy'), { recursive: true });
}

/**
 * The feature modules the window's build imports for its list: features/index.ts as the build
 * (vite.config.ts, with its plugins) makes it, and the modules beside it in features/ that it imports.
 */
async function windowFeatureModules(tree: string): Promise<string[]> {
  const server = await createServer({
    configFile: path.join(tree, 'vite.config.ts'),
    // The config's root is relative to the working directory, which is this tree's, not the copy's.
    root: path.join(tree, 'src-renderer'),
    logLevel: 'silent',
    cacheDir: path.join(tree, '.vite'),
    server: { middlewareMode: true, hmr: false, watch: null, fs: { strict: false } },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  try {
    const features = path.join(tree, 'src-renderer/features');
    const seen = new Set<string>();
    const found: string[] = [];
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const renderer = path.join(tree, 'src-renderer');
      const url = file.startsWith(renderer) ? `/${path.relative(renderer, file)}` : `/@fs${file}`;
      const result = await server.transformRequest(url);
      assert.ok(result, `the build transforms ${file}`);
      for (const m of result.code.matchAll(/from\s+["']([^"']+)["']/g)) {
        const spec = m[1]!.replace(/^\/@fs/, '').replace(/\?.*$/, '');
        const target =
          spec.startsWith('/') && !spec.startsWith(tree) ? path.join(tree, 'src-renderer', spec) : spec;
        const rel = path.relative(features, target);
        if (/^[\w-]+\/[\w-]+-feature\.tsx?$/.test(rel)) found.push(rel.split(path.sep)[0]!);
        else if (/^[\w-]+\.ts$/.test(rel)) await visit(target);
      }
    };
    await visit(path.join(features, 'index.ts'));
    return found;
  } finally {
    await server.close();
  }
}

test('a toy domain with a permission word and a window feature needs no file outside its folders and its line', async () => {
  const tree = tempDir('cb-toy-tree-');
  treeWithToy(tree);

  // The lists made from the domains take it: its folder, its layer (the doc's list of layers as it is),
  // and its window feature's folder.
  const { listedDomains } = (await import(
    pathToFileURL(path.join(tree, 'scripts/domain-folders.mjs')).href
  )) as {
    listedDomains: () => { folder: string; window?: string }[];
  };
  const toy = listedDomains().find((d) => d.folder === 'toy');
  assert.ok(toy, 'scripts/domain-folders.mjs lists the toy');
  assert.equal(toy.window, 'toy', "the toy's description names its window feature");
  const treeLayers = (await import(pathToFileURL(path.join(tree, 'scripts/layers.mjs')).href)) as {
    layers: { name: string }[];
    layerListMarkdown: () => string;
  };
  assert.ok(
    treeLayers.layers.some((l) => l.name === 'toy'),
    'the toy is a layer',
  );
  assert.equal(
    treeLayers.layerListMarkdown(),
    layerListMarkdown(),
    "the doc's layer list needs no line for it",
  );

  // The window's build imports its feature, with the others.
  const modules = await windowFeatureModules(tree);
  assert.ok(
    modules.includes('toy'),
    `the window's list imports features/toy/toy-feature (it imports ${modules.join(', ')})`,
  );
  assert.ok(modules.includes('terminals'), `and the terminals' feature still (${modules.join(', ')})`);

  // The docs' lists, the layers, the domains' names and the window's words hold there as here. The
  // three in one process, each in a describe() of its own as scripts/run-tests.mjs groups unit files:
  // `--test` gave each a process of its own under tsx, ~1 CPU-s apiece before its first test.
  const group = path.join(tempDir('cb-toy-checks-'), 'checks.test.mjs');
  writeFileSync(
    group,
    [
      "import { describe } from 'node:test';",
      ...CHECKS.map(
        (f) =>
          `describe(${JSON.stringify(f)}, async () => { await import(${JSON.stringify(pathToFileURL(path.join(tree, f)).href)}); });`,
      ),
      '',
    ].join('\n'),
  );
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=dot', group], {
    cwd: tree,
    // Not as a part of this run: a child that inherits the runner's context reports to it instead.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
    encoding: 'utf8',
    // Three test files in a child, on a machine that may be loaded: generous, under the runner's 600 s.
    timeout: 480_000,
  });
  assert.equal(run.status, 0, `the checks pass with the toy added:\n${run.stdout}\n${run.stderr}`);
});
