/**
 * `clawbridge ui` hands the web UI's token to the browser without a command line (issue 52 F8): the
 * opener, and so the browser it starts, get an address with no secret in it, which every user of the
 * machine may read in `ps`; a real Chromium that opens that address lands in the window, signed in.
 * Another user (uid 65534, when the test runs as root) and a page's request are refused, and do not
 * use up the link. Where the loopback hand-over is not available, a 0600 page in the home does it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { handOver, UI_OPEN_FILE } from '../../src-main/cli/ui-handoff.js';
import { browserMissing, launchBrowser, uiUrl } from '../helpers/browser.js';
import { CLI, stopAll, tempHome, type CliResult, startAgent } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await stopAll();
});

/** Every process's command line that holds `secret` (all of them are readable: that is the point). */
function commandLinesWith(secret: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (argv.includes(secret)) found.push(`${pid}: ${argv.replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** GET `url` with `headers`; the status and body. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The window signed in: the Peers view, and the token the tab keeps. */
async function signedIn(target: string, token: string): Promise<void> {
  browser ??= await launchBrowser();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(target);
  await page.getByRole('heading', { name: 'Peers' }).waitFor({ timeout: 20_000 });
  assert.equal(await page.evaluate<string | null>("sessionStorage.getItem('clawbridge.token')"), token);
  await context.close();
}

test(
  'the opener gets no token; a real browser opening what it got is signed in; others are refused',
  {
    skip: process.platform !== 'linux' ? 'Linux only (the loopback hand-over)' : (browserMissing() ?? false),
  },
  async () => {
    const home = tempHome('ui-handoff');
    await startAgent(home, { listen: false, ui: true });
    const token = new URL(await uiUrl(home)).hash.replace('#token=', '');
    assert.match(token, /^[0-9a-f]{64}$/);

    // A stand-in xdg-open that only writes down what it was given; the test plays the browser.
    const bin = tempHome('opener');
    const seen = join(bin, 'opened');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const child = spawn(process.execPath, [CLI, 'ui', '--home', home], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out.stderr += c));
    const exited = new Promise<CliResult>((resolve) => child.on('exit', (code) => resolve({ code, ...out })));
    const target = await until(
      'the opener to be started',
      () => existsSync(seen) && readFileSync(seen, 'utf8'),
      10_000,
    );
    assert.match(target, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'an address with no secret in it');
    assert.deepEqual(commandLinesWith(token), [], 'no command line on the machine holds the token');

    // Another user who read the address in ps, and a page's request, get nothing and spend nothing.
    if (process.getuid?.() === 0) {
      const other = spawnSync(
        'python3',
        [
          '-c',
          // Everything imported before the user changes: the interpreter's files may be root's.
          'import os,sys,encodings.idna,urllib.request,urllib.error\nos.setgid(65534); os.setuid(65534)\ntry: urllib.request.urlopen(sys.argv[1])\nexcept urllib.error.HTTPError as e: print(e.code, e.read().decode())',
          target,
        ],
        { encoding: 'utf8' },
      );
      assert.match(other.stdout, /^403 this link is for the user who ran clawbridge ui/, other.stderr);
      assert.doesNotMatch(other.stdout, new RegExp(token));
    }
    const fromPage = await get(target, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' });
    assert.equal(fromPage.status, 403);
    assert.doesNotMatch(fromPage.body, new RegExp(token));

    await signedIn(target, token);
    const r = await exited;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing to complain about');
    assert.match(r.stdout, new RegExp(`#token=${token}$`, 'm'), 'the link is still printed for the user');
    await assert.rejects(get(target), 'served once, then gone');
  },
);

test(
  'where no loopback hand-over is possible, a 0600 page in the home sends the browser on',
  { skip: browserMissing() ?? false },
  async () => {
    const home = tempHome('ui-handoff-file');
    await startAgent(home, { listen: false, ui: true });
    const url = await uiUrl(home);
    const token = new URL(url).hash.replace('#token=', '');
    const handoff = await handOver(url, home, 'file');
    const path = join(home, UI_OPEN_FILE);
    assert.equal(handoff.target, `file://${path}`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.doesNotMatch(handoff.target, new RegExp(token));
    await signedIn(handoff.target, token);
  },
);
