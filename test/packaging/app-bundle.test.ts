/**
 * Packs the desktop app with electron-builder's Linux `dir` target (a stand-in Electron; see
 * pack-linux-dir.ts) and checks resources/, what an installer ships besides Electron itself
 * (docs/adr/0010-bundled-desktop-app.md): the bundles and the renderer in app.asar, node-pty's addon
 * unpacked, no sources, tests, type files or development dependencies, no other platform's native
 * binaries, and the whole within the size budget. Needs `npm run build` first (`npm test` does it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinModules } from 'node:module';
import asar from '@electron/asar';
import { packLinuxDir, type LinuxDirPack } from './pack-linux-dir.js';
import { bundleImports } from './bundle-imports.js';
import { inventory, type ResourcesInventory } from './resources-inventory.js';
import { readFuseWire, writeStandInElectron } from './stand-in-electron.js';
import { allTrayIconFiles } from '../../src-main/electron/tray-icons.js';
import { AGENT_PROCESS_FILE } from '../../src-main/electron/agent-host.js';
import { SESSION_HOST_PROCESS_FILE } from '../../src-main/electron/session-host-launcher.js';
import { DESKTOP_OUT_DIR, MAIN_SIDE_ENTRIES, PRELOAD_ENTRY } from '../../scripts/vite-desktop.config.js';
import { checkoutOf } from '../helpers/transpiled.js';

const projectDir = checkoutOf(fileURLToPath(new URL('../../', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as {
  main: string;
  devDependencies: Record<string, string>;
};

/** The budget for resources/ in bytes (8 MiB): the bundles, the renderer and two native addons. */
const RESOURCES_BUDGET_BYTES = 8 * 1024 * 1024;
/** The only packages app.asar may hold: the native addons and bufferutil's loader. */
const SHIPPED_PACKAGES = ['node-pty', 'bufferutil', 'node-gyp-build'];
/** Modules a bundle may load at run time besides Node's own and its sibling chunks. */
const RUNTIME_MODULES = new Set(['electron', 'node-pty', 'bufferutil', 'utf-8-validate']);
/** Every desktop bundle by its source, from the bundle config's one list. */
const BUNDLES: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(MAIN_SIDE_ENTRIES).map(([name, source]) => [`${DESKTOP_OUT_DIR}/${name}.js`, source]),
  ),
  [`${DESKTOP_OUT_DIR}/preload.cjs`]: PRELOAD_ENTRY,
};
/** How long packing may take: a couple of seconds normally; the bound keeps a stall from holding CI. */
const PACK_TIMEOUT_MS = 120_000;

let work: string;
let packed: LinuxDirPack;
let files: ResourcesInventory;

before(
  async () => {
    assert.ok(
      existsSync(join(projectDir, pkg.main)),
      `${pkg.main} (package.json "main") is missing: run \`npm run build\` before this test`,
    );
    work = mkdtempSync(join(tmpdir(), 'clawbridge-pack-'));
    const started = Date.now();
    packed = await packLinuxDir(
      projectDir,
      writeStandInElectron(mkdtempSync(join(work, 'electron-'))),
      join(work, 'out'),
    );
    files = inventory(packed.resources);
    const mib = (files.totalBytes / 1024 / 1024).toFixed(2);
    console.log(
      `packed in ${Date.now() - started} ms: resources/ ${mib} MiB (${files.totalBytes} bytes), ` +
        `${files.diskFiles.length} files on disk, ${files.asarFiles.length} files in app.asar`,
    );
  },
  { timeout: PACK_TIMEOUT_MS },
);

/** A file of the packed app.asar as text. */
function bundleCode(path: string): string {
  return asar.extractFile(join(packed.resources, 'app.asar'), path).toString();
}

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('app.asar holds the entry point package.json names, every desktop bundle and the renderer', () => {
  const packedPkg = JSON.parse(
    asar.extractFile(join(packed.resources, 'app.asar'), 'package.json').toString(),
  ) as {
    main: string;
    bin?: unknown;
  };
  assert.equal(packedPkg.main, pkg.main);
  // The CLI's entry is not shipped in the app: the packed metadata must not point at it.
  assert.equal(
    packedPkg.bin ?? null,
    null,
    `"bin": ${JSON.stringify(packedPkg.bin)} names a file not shipped`,
  );
  assert.ok(files.asarFiles.includes(pkg.main), `${pkg.main} is not in app.asar`);
  for (const [bundle, source] of Object.entries(BUNDLES)) {
    assert.ok(files.asarFiles.includes(bundle), `${bundle} (from ${source}) is not in app.asar`);
  }
  assert.ok(
    files.asarFiles.includes('dist/renderer/index.html'),
    "files.asarFiles.includes('dist/renderer/index.html')",
  );
  assert.ok(
    files.asarFiles.some((f) => /^dist\/renderer\/assets\/.+\.js$/.test(f)),
    'no renderer script',
  );
  for (const icon of allTrayIconFiles())
    assert.ok(files.asarFiles.includes(`assets/${icon}`), `assets/${icon}`);
  // The renderer's precompressed copies and their list serve the web UI over a network, not the window.
  const served = files.asarFiles.filter((f) => /^dist\/renderer\/.*(\.br|\.gz|precompressed\.list)$/.test(f));
  assert.deepEqual(served, [], 'the web UI’s precompressed copies are not packed');
});

test('code in the bundle folder finds the renderer where static-files.ts looks (three folders up, then dist/renderer/)', () => {
  const bundleFile = pathToFileURL(join(projectDir, DESKTOP_OUT_DIR, 'chunk.js'));
  const found = fileURLToPath(new URL('../../../dist/renderer/index.html', bundleFile));
  assert.equal(found, join(projectDir, 'dist', 'renderer', 'index.html'));
  assert.ok(
    files.asarFiles.includes('dist/renderer/index.html'),
    "files.asarFiles.includes('dist/renderer/index.html')",
  );
});

test("node-pty's addon for this platform is unpacked next to app.asar, as a loadable ELF file", () => {
  const addon = files.diskFiles.find((f) =>
    /^app\.asar\.unpacked\/node_modules\/node-pty\/(build\/Release|prebuilds\/linux-[^/]+)\/pty\.node$/.test(
      f,
    ),
  );
  assert.ok(addon, `no pty.node in app.asar.unpacked; unpacked: ${files.diskFiles.join(', ')}`);
  const head = readFileSync(join(packed.resources, addon)).subarray(0, 4);
  assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46], `${addon} is not an ELF shared object`);
  assert.ok(
    files.diskFiles.includes('app.asar.unpacked/node_modules/node-pty/lib/index.js'),
    "files.diskFiles.includes('app.asar.unpacked/node_modules/node-pty/lib/index.js')",
  );
});

test('no sources, source maps, type files, tests or build files are shipped', () => {
  const unwanted = [...files.asarFiles, ...files.diskFiles].filter(
    (f) =>
      /\.(ts|mts|cts|map|cc|cpp|h|gyp|gypi|pdb|md)$/.test(f) ||
      /(^|\/)(test|tests|__tests__|src|deps|third_party|typings)\//.test(f) ||
      /\.test\.js$/.test(f) ||
      f.startsWith('dist/src-main/') ||
      f.startsWith('src-main/') ||
      f.startsWith('src-renderer/'),
  );
  assert.deepEqual(unwanted, []);
});

test('outside node_modules, app.asar holds only package.json, the bundles, the renderer and the tray images', () => {
  const allowed = [
    /^package\.json$/,
    new RegExp(`^${DESKTOP_OUT_DIR}/[^/]+\\.c?js$`),
    /^dist\/renderer\//,
    /^assets\/tray[A-Za-z]*(@2x)?\.png$/,
  ];
  const extra = files.asarFiles.filter(
    (f) => !f.startsWith('node_modules/') && !allowed.some((re) => re.test(f)),
  );
  assert.deepEqual(extra, []);
});

test('of node_modules only the native addons ship; no development dependency', () => {
  const packages = new Set(
    [...files.asarFiles, ...files.diskFiles]
      .map((f) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1])
      .filter((name): name is string => name !== undefined),
  );
  assert.deepEqual([...packages].sort(), [...SHIPPED_PACKAGES].sort());
  for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!packages.has(dev), `${dev} is shipped`);
});

test("no other platform's or architecture's native binaries", () => {
  const all = [...files.asarFiles, ...files.diskFiles];
  const foreign = all.filter(
    (f) =>
      /(darwin|win32|\.dll$|\.exe$|\.dylib$|spawn-helper$)/.test(f) ||
      (/prebuilds\/[^/]+/.test(f) && !f.includes(`prebuilds/linux-${process.arch}/`)),
  );
  assert.deepEqual(foreign, []);
  // Every addon on disk is an ELF file (not Mach-O or PE), as the Linux loader needs.
  const addons = files.diskFiles.filter((f) => f.endsWith('.node'));
  assert.ok(addons.length >= 1, 'addons.length >= 1');
  for (const f of addons) {
    assert.deepEqual(
      [...readFileSync(join(packed.resources, f)).subarray(0, 4)],
      [0x7f, 0x45, 0x4c, 0x46],
      f,
    );
  }
});

test('the bundles load nothing that is not shipped: only Node built-ins, electron, the addons and their own chunks', () => {
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const bundles = files.asarFiles.filter((f) => f.startsWith(`${DESKTOP_OUT_DIR}/`) && /\.c?js$/.test(f));
  const missing: string[] = [];
  for (const bundle of bundles) {
    const { specifiers, bareRequires } = bundleImports(bundleCode(bundle), bundle.endsWith('.js'));
    missing.push(...bareRequires.map((r) => `${bundle}: bare require("${r}")`));
    for (const s of specifiers) {
      const chunk = s.startsWith('./') && files.asarFiles.includes(`${DESKTOP_OUT_DIR}/${s.slice(2)}`);
      if (!chunk && !builtins.has(s) && !RUNTIME_MODULES.has(s)) missing.push(`${bundle}: ${s}`);
    }
  }
  assert.ok(bundles.length >= 2, `bundles found: ${bundles.join(', ')}`);
  assert.deepEqual(missing, []);
});

test('every utility-process entry main forks by name is a bundle beside main.js (the agent, the session host)', () => {
  const mainDir = pkg.main.replace(/[^/]+$/, '');
  for (const file of [AGENT_PROCESS_FILE, SESSION_HOST_PROCESS_FILE]) {
    assert.ok(files.asarFiles.includes(`${mainDir}${file}`), `${mainDir}${file} is not in app.asar`);
  }
});

test("the utility processes' bundles never load electron, directly or through a chunk (a utility process has no app or windows)", () => {
  const seen = new Set<string>();
  const reached: string[] = [];
  const visit = (bundle: string) => {
    if (seen.has(bundle)) return;
    seen.add(bundle);
    for (const s of bundleImports(bundleCode(bundle), true).specifiers) {
      if (s === 'electron' || s.startsWith('electron/')) reached.push(bundle);
      else if (s.startsWith('./')) visit(`${DESKTOP_OUT_DIR}/${s.slice(2)}`);
    }
  };
  for (const entry of [AGENT_PROCESS_FILE, SESSION_HOST_PROCESS_FILE]) {
    const before = seen.size;
    visit(`${DESKTOP_OUT_DIR}/${entry}`);
    assert.ok(seen.size > before, `${entry} is not in the bundle folder`);
  }
  assert.ok(seen.size >= 3, `the entries load no chunk: ${[...seen].join(', ')}`);
  assert.deepEqual(reached, []);
});

test('the preload is one CommonJS file that requires only electron (a sandboxed preload can load nothing else)', () => {
  const code = asar
    .extractFile(join(packed.resources, 'app.asar'), `${DESKTOP_OUT_DIR}/preload.cjs`)
    .toString();
  const required = [...code.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  assert.deepEqual(required, ['electron']);
  assert.doesNotMatch(code, /^\s*(import|export)\s/m);
});

test('resources/ fits the size budget', () => {
  assert.ok(
    files.totalBytes <= RESOURCES_BUDGET_BYTES,
    `resources/ is ${files.totalBytes} bytes, over the ${RESOURCES_BUDGET_BYTES}-byte budget`,
  );
});

test('the Linux app is named clawbridge and keeps Electron’s licence', () => {
  assert.ok(
    existsSync(join(packed.appOutDir, 'clawbridge')),
    "existsSync(join(packed.appOutDir, 'clawbridge'))",
  );
  assert.ok(
    existsSync(join(packed.appOutDir, 'LICENSE.electron.txt')),
    "existsSync(join(packed.appOutDir, 'LICENSE.electron.txt'))",
  );
});

test("the packed binary's fuses are electron-builder.yml's: no run-as-node, NODE_OPTIONS or --inspect; cookies encrypted; only an integrity-checked app.asar", () => {
  // FuseV1Options order: RunAsNode, EnableCookieEncryption, EnableNodeOptionsEnvironmentVariable,
  // EnableNodeCliInspectArguments, EnableEmbeddedAsarIntegrityValidation, OnlyLoadAppFromAsar, then
  // two the config leaves at Electron's default (the stand-in's: off, on).
  const wire = readFuseWire(readFileSync(join(packed.appOutDir, 'clawbridge')));
  assert.equal(wire, '01001101');
});
