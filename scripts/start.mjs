#!/usr/bin/env node
// `npm start`: builds, then runs the desktop app in Electron. Electron 45 no longer downloads its binary
// during `npm install`; its installer (node_modules/electron/install.js, `install-electron`) runs on
// first use and needs Node ≥ 22.12, while the CLI and the relay run on Node ≥ 20.19 (package.json
// `engines`). So this script checks for the binary first and, when it cannot be had, says in one line
// what happened and what to do instead of a stack trace. The decision is `nextStep`, a pure function
// (test/unit/scripts/start.test.ts); `main` only gathers facts and carries the steps out.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The oldest Node that Electron 45's installer supports (its package.json `engines`). */
export const MIN_NODE_FOR_ELECTRON = '22.12.0';
/** How long the installer may take to download Electron (about 100 MB) before we give up. */
export const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/**
 * @param {string} version e.g. `v20.19.1` or `22.12.0`
 * @param {string} min e.g. `22.12.0`
 * @returns {boolean} whether `version` is at least `min`
 */
export function versionAtLeast(version, min) {
  const parse = (/** @type {string} */ v) =>
    v
      .replace(/^v/, '')
      .split('.')
      .map((n) => Number.parseInt(n, 10) || 0);
  const [a, b] = [parse(version), parse(min)];
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/**
 * Where the electron package keeps its binary, if it is there: `dist/` + the relative path its installer
 * wrote to `path.txt` (ELECTRON_OVERRIDE_DIST_PATH replaces `dist/`, as the package itself does).
 * @param {string} electronDir node_modules/electron
 * @param {NodeJS.ProcessEnv} env
 * @returns {string | undefined}
 */
export function electronBinary(electronDir, env = process.env) {
  const pathFile = join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) return join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
  if (!relative) return undefined;
  const binary = join(electronDir, 'dist', relative);
  return existsSync(binary) ? binary : undefined;
}

/**
 * @typedef {object} StartFacts
 * @property {string} nodeVersion `process.version`
 * @property {boolean} electronPackage whether node_modules/electron exists (npm install ran)
 * @property {string | undefined} binary the Electron binary, when present
 * @property {string | undefined} downloadError set once the installer ran and failed: its last words
 */
/**
 * @typedef {{ action: 'run', binary: string } | { action: 'download' } | { action: 'fail', line: string }} StartStep
 */

/**
 * What `npm start` does next. A failure is one line: what happened, then what to do.
 * @param {StartFacts} facts
 * @returns {StartStep}
 */
export function nextStep(facts) {
  if (!facts.electronPackage) {
    return {
      action: 'fail',
      line: 'npm start: the electron package is not installed: run "npm install" here first, then npm start',
    };
  }
  if (facts.binary) return { action: 'run', binary: facts.binary };
  if (!versionAtLeast(facts.nodeVersion, MIN_NODE_FOR_ELECTRON)) {
    return {
      action: 'fail',
      line:
        `npm start: Electron's binary is not installed and its installer needs Node ≥ ${MIN_NODE_FOR_ELECTRON}` +
        ` (this is Node ${facts.nodeVersion}): run npm start with Node ≥ 22.12 (e.g. "nvm install 22");` +
        ' meanwhile the same window runs in a browser: node bin/clawbridge.js agent, then node bin/clawbridge.js ui',
    };
  }
  if (facts.downloadError === undefined) return { action: 'download' };
  return {
    action: 'fail',
    line:
      `npm start: Electron's binary is not installed: its download failed (${facts.downloadError}):` +
      ' with network access run "npx --no install-electron" here, then npm start' +
      ' (meanwhile the same window runs in a browser: node bin/clawbridge.js agent, then node bin/clawbridge.js ui)',
  };
}

/** The last non-blank line an installer printed, shortened, for the one-line failure. */
function lastWords(/** @type {string} */ output, /** @type {string} */ fallback) {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at '));
  const line = lines[0] ?? fallback;
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

/** @returns {string | undefined} the installer's error, or undefined when it succeeded */
function runInstaller(/** @type {string} */ electronDir) {
  process.stderr.write('npm start: downloading Electron (first start)…\n');
  const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    timeout: DOWNLOAD_TIMEOUT_MS,
  });
  if (r.error) return r.error.message;
  if (r.status !== 0) return lastWords(r.stderr ?? '', `installer exited with status ${r.status}`);
  return undefined;
}

/** Runs Electron on the app, passing our signals on and exiting with its status. */
function runElectron(/** @type {string} */ binary, /** @type {string} */ root) {
  const child = spawn(binary, ['.'], { cwd: root, stdio: 'inherit' });
  const signals = /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']);
  const forward = (/** @type {NodeJS.Signals} */ signal) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (err) => {
    process.stderr.write(`npm start: could not run Electron (${binary}): ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    // End the way Electron ended: our own handlers off first, or they would catch the signal again.
    for (const s of signals) process.off(s, forward);
    process.kill(process.pid, signal);
  });
}

function main() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const electronDir = join(root, 'node_modules', 'electron');
  /** @type {StartFacts} */
  const facts = {
    nodeVersion: process.version,
    electronPackage: existsSync(join(electronDir, 'package.json')),
    binary: electronBinary(electronDir),
    downloadError: undefined,
  };
  let step = nextStep(facts);
  if (step.action === 'download') {
    const error = runInstaller(electronDir);
    facts.binary = electronBinary(electronDir);
    facts.downloadError = error ?? (facts.binary ? undefined : 'the installer wrote no binary');
    step = nextStep(facts);
  }
  if (step.action === 'fail') {
    process.stderr.write(`${step.line}\n`);
    process.exit(1);
  }
  if (step.action !== 'run') throw new Error(`unexpected step ${step.action}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  runElectron(step.binary, root);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
