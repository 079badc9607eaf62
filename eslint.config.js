// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { DOMAIN_PARTS, layers } from './scripts/layers.mjs';
import { clawbridgePlugin } from './scripts/no-fixed-sleep-rule.mjs';
import { domainFolders } from './scripts/domain-folders.mjs';

/**
 * The layer order (docs/architecture.md §Layers, scripts/layers.mjs): an import in src-main/ only points
 * down, `import type` included, and a file's layer is its top-level folder. runtime/ sits above every
 * library, so only the entry points (cli/, electron/) may import it.
 */
const ENFORCE_LAYERS = true;

/**
 * Zones per layer: its folders may not import from any layer above. A folder above with layer folders
 * nested in it (terminal/ holds terminal/sessions/) is refused except for those: the ones below are
 * allowed, the ones above have their own entry. A domain's part of a layer above (`messages/cli/`,
 * scripts/layers.mjs DOMAIN_PARTS) is that layer's: its files are refused to the layers below it and
 * judged as that layer's own.
 */
function layerZones() {
  const message =
    'points up the layer order (docs/architecture.md §Layers, scripts/layers.mjs): move the shared piece down, or ' +
    'take it as a port; a type-only import that must cross says why in an eslint-disable-next-line comment';
  const parts = Object.entries(DOMAIN_PARTS);
  /** A layer folder's files, without the domain parts in it (those are judged with their own layer). */
  const filesOf = (/** @type {string} */ f) => [
    `src-main/${f}/*`,
    `src-main/${f}/!(${parts.map(([sub]) => sub).join('|')})/**`,
  ];
  return layers.flatMap((layer, i) => {
    const aboveLayers = layers.slice(i + 1);
    const above = aboveLayers.flatMap((l) => l.folders);
    const target = [
      ...layer.folders.flatMap(filesOf),
      ...parts.filter(([, owner]) => owner === layer.name).map(([sub]) => `src-main/*/${sub}/**`),
    ];
    const all = layers.flatMap((l) => l.folders);
    const nestedIn = (/** @type {string} */ f) => all.filter((g) => g.startsWith(`${f}/`));
    const plain = above.filter((f) => nestedIn(f).length === 0).map((f) => `src-main/${f}`);
    const partsAbove = parts
      .filter(([, owner]) => aboveLayers.some((l) => l.name === owner))
      .map(([sub]) => `src-main/*/${sub}/**`);
    // A part in a folder above is refused by its own zone below, once.
    const partsExcept = partsAbove.length ? { except: parts.map(([sub]) => `./${sub}`) } : {};
    return [
      ...(plain.length ? [{ target, from: plain, ...partsExcept, message: `${layer.name} ${message}` }] : []),
      ...(partsAbove.length ? [{ target, from: partsAbove, message: `${layer.name} ${message}` }] : []),
      ...above
        .filter((f) => nestedIn(f).length > 0)
        .map((f) => ({
          target,
          from: `src-main/${f}`,
          except: nestedIn(f).map((g) => `./${g.slice(f.length + 1)}`),
          message: `${layer.name} ${message}`,
        })),
    ];
  });
}

/**
 * Domains are data (docs/architecture.md §Adding a domain, ADR 0079, ADR 0118): app/ and cli/ import
 * the list (app/domains.ts) and the generic contract (links/domain.ts, cli/domain-cli.ts), never a
 * domain folder; the list is their one file that does. The folders are app/domains.ts's
 * (scripts/domain-folders.mjs), not a copy.
 */
const DOMAIN_FOLDERS = domainFolders();
function domainZones() {
  return [
    {
      target: ['src-main/app/!(domains).ts', 'src-main/app/*/**', 'src-main/cli/**'],
      from: DOMAIN_FOLDERS.map((f) => `src-main/${f}`),
      message:
        'names a domain: app/ and cli/ take the domains from their list (app/domains.ts) through links/domain.ts and cli/domain-cli.ts; let the domain bring it (docs/architecture.md §Adding a domain)',
    },
  ];
}

/** Imports that would break the layering of architecture.md §Where things live: pure layers stay free of I/O and Electron. */
const io = [
  'node:net',
  'net',
  'node:tls',
  'tls',
  'node:dgram',
  'dgram',
  'node:http',
  'http',
  'node:https',
  'https',
  'ws',
];
const electron = ['electron', 'electron/*'];

/** @param {string[]} names @param {string} why */
const forbid = (names, why) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: names.filter((n) => !n.includes('*')).map((name) => ({ name, message: why })),
      patterns: names.filter((n) => n.includes('*')).map((group) => ({ group: [group], message: why })),
    },
  ],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      '.tmp/**',
      'release/**',
      'node_modules/**',
      'src-renderer/dist/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: false,
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src-main/core/**/*.ts', 'src-main/protocol/**/*.ts', 'src-main/crypto/**/*.ts'],
    rules: forbid(
      [...io, ...electron, 'node:fs', 'fs', 'node:fs/promises'],
      'core/, protocol/ and crypto/ are pure: no network, file system or Electron (architecture.md §Where things live)',
    ),
  },
  {
    // The window's page runs this module too (ADR 0015): no Node at all, not even the global Buffer.
    files: [
      'src-main/protocol/terminal-frames.ts',
      'src-main/core/path-label.ts',
      'src-main/core/background.ts',
    ],
    rules: {
      ...forbid(
        ['node:*', ...io, ...electron, 'fs', 'buffer', 'crypto', 'util'],
        'terminal-frames.ts runs in the window too: no Node (ADR 0015)',
      ),
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'terminal-frames.ts runs in the window too: use Uint8Array (ADR 0015)' },
        { name: 'process', message: 'terminal-frames.ts runs in the window too (ADR 0015)' },
      ],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**', 'src-main/core/**', 'src-main/protocol/**', 'src-main/crypto/**'],
    rules: forbid(
      electron,
      "only src-main/electron/ may import 'electron' (architecture.md §Where things live)",
    ),
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    rules: {
      ...forbid(
        [...io, ...electron, 'node:*'],
        'the renderer is a sandboxed web page: no Node or Electron imports',
      ),
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
    },
  },
  {
    // The browser node (ADR 0094) runs in a page and, in tests, in Node: no Node at all, not even Buffer.
    files: ['src-web/**/*.ts'],
    rules: {
      ...forbid(
        ['node:*', ...io, ...electron, 'fs', 'buffer', 'crypto', 'util'],
        'src-web/ runs in a browser: WebCrypto, Uint8Array and the given socket only (ADR 0094)',
      ),
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'src-web/ runs in a browser: use Uint8Array (ADR 0094)' },
        { name: 'process', message: 'src-web/ runs in a browser (ADR 0094)' },
      ],
    },
  },
  {
    // No import cycles in the app's own code (docs/architecture.md §Rules the code keeps): a cycle means
    // two modules each need the other, which is what ports.ts and a composition root are for. Type-only
    // imports do not count (they vanish at run time). Limited to the two source trees to keep lint fast.
    files: ['src-main/**/*.ts', 'src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      // Without these the plugin skips .ts files when it follows imports, and sees no cycle at all.
      'import-x/extensions': ['.ts', '.tsx'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      // Sources import `./x.js` and mean `./x.ts` (NodeNext resolution).
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
        }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // The layer order: an import only points down (docs/architecture.md §Layers). Zones from scripts/layers.mjs.
    // (The plugin and its resolver come from the no-cycle block above, which covers these files.)
    files: ['src-main/**/*.ts'],
    rules: ENFORCE_LAYERS
      ? {
          'import-x/no-restricted-paths': [
            'error',
            { basePath: import.meta.dirname, zones: [...layerZones(), ...domainZones()] },
          ],
        }
      : {},
  },
  {
    // The node's home on disk sits below every process that uses it (docs/architecture.md §Where
    // things live): the agent, the CLI, the API transports and the desktop app import it, never back.
    files: ['src-main/home/**/*.ts'],
    rules: forbid(
      [
        '**/agent/**',
        '**/api/**',
        '**/cli/**',
        '**/electron/**',
        '**/forwards/**',
        '**/terminal/**',
        ...electron,
      ],
      'home/ is below the agent, the CLI, the API and the desktop app: it imports none of them',
    ),
  },
  {
    // One writer of the node's state (docs/architecture.md §State and its owners): only the node-state
    // store reads and writes the settings file; every other part reads the store or subscribes to it.
    files: ['src-main/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'soak/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['src-main/state/node-state.ts', 'test/unit/state/settings-file.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['./settings-file.js', '**/settings-file.js'],
              message:
                'only the node-state store (state/node-state.ts) imports the settings file: read NodeState, or subscribe to it (docs/architecture.md §State and its owners)',
            },
          ],
        },
      ],
    },
  },
  {
    // The window talks to the agent only through the API contract: types from src-main, never code.
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // One exception, the terminal codec (ADR 0015): pure code the page and the agent share.
              // And the words for a peer's path (core/path-label.ts), so the CLI and the window agree,
              // and when two relay URLs are one relay (core/relay-url.ts), so both compare alike.
              // And the way a promise not awaited is handled on purpose (core/background.ts).
              // And the permission words' defaults and order, declared once (`<folder>-words.ts`, ADR 0111).
              regex: String.raw`(^|/)src-main/(?!protocol/terminal-frames\.js$|core/path-label\.js$|core/relay-url\.js$|core/background\.js$|[\w-]+/[\w-]+-words\.js$)`,
              allowTypeImports: true,
              message:
                "the renderer may only `import type` from src-main/ (the API contract), and code from protocol/terminal-frames.ts, core/path-label.ts, core/relay-url.ts, core/background.ts and the domains' `<folder>-words.ts` only (ADRs 0015, 0111)",
            },
          ],
        },
      ],
    },
  },
  {
    // A test waits for what it can observe (docs/testing.md §Waiting): a fixed sleep is slow on an idle
    // machine and flaky on a busy one. Where time itself is tested, `sleep(ms, why)` from
    // test/helpers/wait.ts says why, or an eslint-disable-next-line comment does, on its line. What the
    // rule counts as a sleep: scripts/no-fixed-sleep-rule.mjs (test/unit/architecture/no-fixed-sleep.test.ts).
    files: ['test/**/*.ts'],
    plugins: { clawbridge: clawbridgePlugin },
    rules: { 'clawbridge/no-fixed-sleep': 'error' },
  },
  {
    // A failing assert.ok (or assert) without a message makes Node re-read the test's source and parse
    // it to write one. Under tsx that parse held a test process's event loop for minutes, so no test
    // timeout fired and the run hung instead of failing. A message also says what was expected.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[arguments.length=1][callee.type='MemberExpression'][callee.object.name='assert'][callee.property.name='ok']",
          message:
            'assert.ok needs a message (without one a failure re-parses the source and can hang the run)',
        },
        {
          selector: "CallExpression[arguments.length=1][callee.type='Identifier'][callee.name='assert']",
          message: 'assert needs a message (without one a failure re-parses the source and can hang the run)',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'soak/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
