/**
 * One Chromium for a whole test run (issue 83, scripts/test-browser.mjs): scripts/run-tests.mjs starts
 * it when a file in the run opens a browser, each file connects to it through test/helpers/browser.ts
 * (a file that asks for its own still launches one), and the runner closes it at the end and reports
 * its CPU. A Chromium that crashes mid-run is launched again for the next files, and the files running
 * then say so.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SHARED_BROWSER_ENV, startSharedBrowser, type SharedBrowser } from '../../scripts/test-browser.mjs';
import { browserMissing } from '../helpers/browser.js';
import { until } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HELPER = new URL('../helpers/browser.ts', import.meta.url).href;
const missing = browserMissing();
const dir = mkdtempSync(join(tmpdir(), 'cb-shared-browser-'));
let shared: SharedBrowser | undefined;
after(async () => {
  await shared?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** This test's environment without a shared browser of an outer run, which the runner would reuse. */
function ownEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[SHARED_BROWSER_ENV];
  return env;
}

/**
 * A browser test file that opens a page and prints which browser it had: the endpoint it was given,
 * and how many Chromiums it launched itself (its children started with playwright-core's pipe). The
 * runner finds a browser file by its call of `launchBrowser(`, which this text holds, so a run of this
 * file starts a shared browser too: this test keeps it from the runs it starts (`ownEnv`).
 */
function pageTestFile(name: string, own: boolean): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { launchBrowser } from ${JSON.stringify(HELPER)};

const launchedHere = () =>
  readdirSync('/proc').filter((pid) => {
    try {
      const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid &&
        readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('--remote-debugging-pipe');
    } catch {
      return false;
    }
  }).length;

test('opens a page', async () => {
  const browser = await launchBrowser({ own: ${own} });
  const page = await (await browser.newContext()).newPage();
  await page.goto('data:text/html,<title>opened</title>');
  console.log('FIXTURE ' + JSON.stringify({ endpoint: process.env.${SHARED_BROWSER_ENV} ?? null, launchedHere: launchedHere(), title: await page.title() }));
  await browser.close();
});
`,
  );
  return file;
}

interface Fixture {
  endpoint: string | null;
  launchedHere: number;
  title: string;
}

/** The runner's whole output and exit code for `files`. */
function runTests(files: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...files], {
      cwd: ROOT,
      env: ownEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Whether a browser server still answers at `endpoint`. */
async function answers(endpoint: string): Promise<boolean> {
  try {
    await (await chromium.connect(endpoint, { timeout: 10_000 })).close();
    return true;
  } catch {
    return false;
  }
}

test(
  'a run with browser files starts one Chromium that each connects to, and closes it at the end with its CPU reported',
  { skip: missing ?? false, timeout: 240_000 },
  async () => {
    const { code, out } = await runTests([
      pageTestFile('a.test.ts', false),
      pageTestFile('b.test.ts', false),
      pageTestFile('own.test.ts', true),
    ]);
    assert.equal(code, 0, `the run passed:\n${out}`);
    const fixtures = [...out.matchAll(/^FIXTURE (.*)$/gm)].map((m) => JSON.parse(m[1]!) as Fixture);
    assert.equal(fixtures.length, 3, `each file printed what it had:\n${out}`);
    for (const f of fixtures) assert.equal(f.title, 'opened', `each file opened its page:\n${out}`);
    const endpoints = new Set(fixtures.map((f) => f.endpoint));
    assert.equal(endpoints.size, 1, `every file was given the same endpoint: ${[...endpoints].join(', ')}`);
    const endpoint = fixtures[0]!.endpoint;
    assert.match(
      endpoint ?? '',
      /^ws:\/\/127\.0\.0\.1:\d+\//,
      `the run's browser listens on loopback:\n${out}`,
    );
    assert.deepEqual(
      fixtures.map((f) => f.launchedHere).sort(),
      [0, 0, 1],
      `two files used the run's browser; the one that asked for its own launched it:\n${out}`,
    );
    const line = /^the shared Chromium \(scripts\/test-browser-server\.mjs\): ([\d.]+) s CPU/m.exec(out);
    assert.ok(line && Number(line[1]) > 0, `the report gives the shared browser's CPU a line:\n${out}`);
    assert.equal(await answers(endpoint!), false, 'the browser was closed when the run ended');
  },
);

/** The Chromium main process the browser server below this process launched: its child with the pipe. */
function sharedChromiumPid(): number | undefined {
  const parent = new Map<number, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended while it was read
    }
  }
  const servers = [...parent].filter(([, ppid]) => ppid === process.pid).map(([pid]) => pid);
  return [...parent].find(([pid, ppid]) => {
    if (!servers.includes(ppid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--remote-debugging-pipe');
    } catch {
      return false;
    }
  })?.[0];
}

test(
  'a shared Chromium that crashes is launched again for the next files, and the files running then say so',
  { skip: missing ?? false, timeout: 240_000 },
  async () => {
    const reaped = { count: 0 };
    shared = await startSharedBrowser({
      root: ROOT,
      env: ownEnv(),
      reaped: () => (reaped.count++, undefined),
    });
    assert.ok(shared, 'the shared browser started');
    const first = shared.env()[SHARED_BROWSER_ENV];
    assert.ok(first && (await answers(first)), `a file connects to it at ${first}`);

    const crashAt = performance.now();
    const pid = await until('the shared Chromium among the processes', sharedChromiumPid);
    process.kill(pid, 'SIGKILL');
    const second = await until(
      'a new shared Chromium',
      () => {
        const now = shared?.env()[SHARED_BROWSER_ENV];
        return now !== first && now;
      },
      120_000,
    );
    assert.ok(await answers(second), `the next file connects to the new one at ${second}`);
    const notes = shared.notes(crashAt);
    assert.match(notes, /the shared Chromium ended: Chromium exited .*signal SIGKILL/, notes);
    assert.match(notes, /a new one is up at ws:/, notes);
    assert.equal(
      shared.notes(performance.now()),
      '',
      'a file that started after it came back is told nothing',
    );

    const cost = await shared.close();
    shared = undefined;
    assert.ok((cost.cpu ?? 0) > 0, `its CPU is measured: ${JSON.stringify(cost)}`);
    assert.equal(reaped.count, 1, 'the runner was asked for the CPU it reaped of it');
    assert.equal(await answers(second), false, 'closed, it answers no more');
  },
);
