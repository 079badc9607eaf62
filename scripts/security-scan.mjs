#!/usr/bin/env node
// `npm run security`: Electronegativity (the Electron security checklist as static checks) over the
// desktop app's main-process code, its preload, the renderer and package.json. Fails on any finding
// above LOW that security-scan.exceptions.json does not justify, on an exception that no longer
// matches anything, and on a file it could not parse (an unscanned file is not a clean one).
// Runs offline: see stubNetwork. docs/security.md §Electron hardening lists what the app does.
//
//   node scripts/security-scan.mjs [--root DIR]   (DIR: the repository to scan; this one by default)
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? process.argv[rootArg + 1] : join(here, '..');
if (!root || !statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
  console.error(`security scan: --root needs a directory, got ${String(root)}`);
  process.exit(2);
}

/** What is scanned, relative to the root: folders are walked, files taken as they are. */
const INPUTS = ['src-main/electron', 'src-renderer', 'package.json'];
/** Sources Electronegativity parses; it skips .cts/.mts, so those are scanned under a .ts name. */
const SOURCE = /\.(tsx?|jsx?|cts|mts|cjs|mjs|html?)$/;
const RENAMED = /\.(cts|mts|cjs|mjs)$/;
/** Severities of Electronegativity, by its numeric value: anything above LOW fails the scan. */
const LOW = 1;
/**
 * A global check that asks GitHub which Electron releases carry security fixes: it needs the network,
 * and the pinned Electron's advisories are `npm audit`'s job.
 */
const ONLINE_CHECKS = ['availablesecurityfixesglobalcheck'];

const require = createRequire(join(here, '..', 'package.json'));

/**
 * Electronegativity fetches translations (and release data) with `got` when it starts; answering
 * every request with a refusal keeps the scan offline and quick, with its bundled English texts.
 */
function stubNetwork() {
  const engine = require.resolve('@doyensec/electronegativity');
  const gotPath = createRequire(engine).resolve('got');
  const refuse = () => Promise.reject(new Error('security scan runs offline'));
  const got = Object.assign(refuse, { head: refuse, get: refuse });
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: got };
}

/** Lists the files to scan, relative to the root. */
function inputs() {
  const walk = (rel) => {
    const st = statSync(join(root, rel), { throwIfNoEntry: false });
    if (!st) return [];
    if (!st.isDirectory()) return [rel];
    return readdirSync(join(root, rel))
      .sort()
      .flatMap((name) => walk(join(rel, name)));
  };
  return INPUTS.flatMap(walk).filter((f) => SOURCE.test(f) || f.endsWith('package.json'));
}

/** Copies the inputs into a fresh folder (one scan sees them all, as global checks need); returns staged → original. */
function stage(files, dir) {
  const original = new Map();
  for (const file of files) {
    const staged = RENAMED.test(file) ? `${file}.ts` : file;
    mkdirSync(dirname(join(dir, staged)), { recursive: true });
    copyFileSync(join(root, file), join(dir, staged));
    original.set(staged.split(sep).join('/'), file.split(sep).join('/'));
  }
  return original;
}

/** The justified exceptions of the scanned repository (none when it has no file). */
function loadExceptions() {
  const path = join(root, 'scripts', 'security-scan.exceptions.json');
  if (!statSync(path, { throwIfNoEntry: false })) return [];
  const parsed = JSON.parse(readFileSync(path, 'utf8'));
  const list = parsed?.exceptions;
  const valid =
    Array.isArray(list) &&
    list.every(
      (e) =>
        typeof e?.check === 'string' &&
        typeof e.file === 'string' &&
        typeof e.why === 'string' &&
        e.why.trim().length > 0,
    );
  if (!valid)
    throw new Error(`${path}: "exceptions" must be a list of {check, file, why} with a reason each`);
  return list;
}

const describe = (i) =>
  `${i.severity.name}/${i.confidence.name} ${i.id} ${i.file}:${i.location.line}:${i.location.column}` +
  ` — ${String(i.description).replace(/\s+/g, ' ').trim()}${i.shortenedURL ? ` (${i.shortenedURL})` : ''}`;

async function main() {
  stubNetwork();
  const run = require('@doyensec/electronegativity');
  // The Electron this repository pins decides which defaults apply (e.g. contextIsolation since 12).
  const pkg = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8'));
  const electronVersion = pkg.devDependencies?.electron;
  const exceptions = loadExceptions();
  const dir = mkdtempSync(join(tmpdir(), 'cb-security-scan-'));
  let result;
  const log = console.log;
  try {
    const original = stage(inputs(), dir);
    // Electronegativity reports its own progress and network misses on stdout; only ours is printed.
    console.log = () => {};
    try {
      result = await run({
        input: dir,
        isRelative: true,
        customScan: [],
        excludeFromScan: ONLINE_CHECKS,
        electronVersionOverride: electronVersion,
        parserPlugins: [],
      });
    } finally {
      console.log = log;
    }
    for (const issue of result.issues) issue.file = original.get(issue.file) ?? issue.file;
    for (const error of result.errors) {
      const rel = relative(dir, error.file).split(sep).join('/');
      error.file = original.get(rel) ?? rel;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const used = new Set();
  const failures = [];
  for (const issue of result.issues) {
    if (issue.severity.value <= LOW) {
      console.log(`  ok (low) ${describe(issue)}`);
      continue;
    }
    const exception = exceptions.find((e) => e.check === issue.id && e.file === issue.file);
    if (exception) {
      used.add(exception);
      console.log(`  accepted ${describe(issue)}\n           because ${exception.why}`);
    } else failures.push(`FINDING   ${describe(issue)}`);
  }
  for (const e of exceptions) {
    if (!used.has(e))
      failures.push(`STALE     exception ${e.check} in ${e.file} matches no finding: remove it`);
  }
  for (const error of result.errors) {
    if (!error.tolerable) failures.push(`UNPARSED  ${error.file}: ${error.message}`);
  }
  const scanned = `${result.atomicChecks + result.globalChecks} checks, Electron ${electronVersion}`;
  if (failures.length > 0) {
    console.error(`security scan failed (${scanned}):\n${failures.join('\n')}`);
    process.exit(1);
  }
  console.log(`security scan: no finding above LOW (${scanned})`);
}

main().catch((err) => {
  console.error(`security scan could not run: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
