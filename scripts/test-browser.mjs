// @ts-check
// One Chromium for a whole test run (issue 83): a browser launch and close cost ~2 CPU-s, paid by each
// of some 40 browser test files when each launched its own. When the run holds a file that uses
// test/helpers/browser.ts, scripts/run-tests.mjs starts scripts/test-browser-server.mjs, passes its
// endpoint to every file in SHARED_BROWSER_ENV, and closes it at the end. A file run alone, with no
// endpoint in its environment, launches its own as before.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SHARED_BROWSER_ENV } from './test-browser-launch.mjs';

export { SHARED_BROWSER_ENV };
/** How long the browser may take to launch before the run goes on without it (a loaded machine). */
const LAUNCH_MS = 120_000;
/** What the report names the browser's own line by. */
export const BROWSER_LINE = 'the shared Chromium (scripts/test-browser-server.mjs)';

/**
 * @param {string} root the repository's root @param {string[]} files the run's files, from the root
 * @returns {boolean} whether any of them opens a browser with test/helpers/browser.ts
 */
export function needsBrowser(root, files) {
  return files.some((f) => /\b(launchBrowser|sharedBrowser)\(/.test(readFileSync(join(root, f), 'utf8')));
}

/**
 * @typedef {object} SharedBrowser
 * @property {() => Record<string, string>} env what to add to a file's environment now: the endpoint
 * @property {(since: number) => string} notes what befell the browser since `since` (performance.now()), for a file's output
 * @property {() => Promise<{ name: string, seconds: number, cpu: number | undefined }>} close closes it; its cost for the report
 */

/**
 * Starts the run's browser, or resolves undefined (the files then launch their own) when no Chromium
 * is installed, one is already shared (SHARED_BROWSER_ENV set), or it did not start: why is printed.
 * @param {object} o
 * @param {string} o.root the repository's root
 * @param {NodeJS.ProcessEnv} o.env the files' environment
 * @param {() => number | undefined} o.reaped the CPU seconds the runner's ledger gives this process as it is reaped
 * @returns {Promise<SharedBrowser | undefined>}
 */
export async function startSharedBrowser({ root, env, reaped }) {
  if (env[SHARED_BROWSER_ENV] || !existsSync(env.CLAWBRIDGE_CHROMIUM ?? '/usr/bin/chromium'))
    return undefined;
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'scripts/test-browser-server.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: root,
    env,
  });
  let endpoint = '';
  /** @type {{ at: number, line: string }[]} */
  const events = [];
  let cpu = 0;
  /** @type {number | undefined} */
  let reapedCpu;
  const exited = new Promise((resolve) => {
    child.on('exit', () => {
      reapedCpu = reaped();
      resolve(undefined);
    });
    child.on('error', resolve);
  });
  /** @type {(ok: boolean) => void} */
  let up = () => {};
  const ready = new Promise((/** @type {(ok: boolean) => void} */ resolve) => (up = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('endpoint ')) {
      endpoint = line.slice('endpoint '.length);
      up(true);
      if (events.length > 0) events.push({ at: performance.now(), line: `a new one is up at ${endpoint}` });
    } else if (line.startsWith('ended')) {
      // Files that start while it relaunches launch their own.
      endpoint = '';
      events.push({ at: performance.now(), line });
    } else if (line.startsWith('cpu ')) cpu = Number(line.slice(4));
  });
  void exited.then(() => {
    up(false);
    if (endpoint !== '') events.push({ at: performance.now(), line: 'ended: its server process exited' });
    endpoint = '';
  });
  const timer = setTimeout(() => up(false), LAUNCH_MS);
  const ok = await ready;
  clearTimeout(timer);
  if (!ok) {
    console.log('note: the shared Chromium did not start; each browser test file launches its own');
    child.kill('SIGKILL');
    return undefined;
  }
  return {
    env: () => (endpoint === '' ? {} : { [SHARED_BROWSER_ENV]: endpoint }),
    notes: (since) =>
      events
        .filter((e) => e.at >= since)
        .map((e) => `note: the shared Chromium ${e.line}\n`)
        .join(''),
    close: async () => {
      child.stdin.end();
      await exited;
      // The larger of what the runner reaped of it and what it read of its tree before the browser
      // closed: Chromium's zygotes are not reaped by its main process, so the first misses their CPU.
      const measured = Math.max(reapedCpu ?? 0, cpu);
      return {
        name: BROWSER_LINE,
        seconds: (performance.now() - t0) / 1000,
        cpu: reapedCpu === undefined && cpu === 0 ? undefined : measured,
      };
    },
  };
}

/**
 * The report's line for the shared browser, after the slowest files: its CPU is no file's.
 * @param {{ name: string, cpu: number | undefined }} browser its cost
 * @param {{ cpu: number | undefined }[]} files every file's
 * @returns {string}
 */
export function browserLine(browser, files) {
  if (browser.cpu === undefined) return `${browser.name}: CPU not measured`;
  const all = files.reduce((sum, f) => sum + (f.cpu ?? 0), browser.cpu);
  return `${browser.name}: ${browser.cpu.toFixed(1)} s CPU (all files and it: ${all.toFixed(0)} CPU s)`;
}
