/**
 * A terminal shared by link, watched from the relay's page (issue 85 item 2,
 * docs/adr/0123-shared-terminals.md §Link). Real agents and a relay: A opens a terminal on B and runs
 * `sessions share ID --link`; a fresh Chromium profile opens the link it prints, finds the code filled
 * in under **Share code**, presses **Watch** and sees A's screen, then each new line. What it types
 * reaches nothing on B (read-only); B lets it in for the share's view alone (no permission word, no
 * peer on A); A lists it as a viewer. After `sessions unshare` the page says the share ended, and the
 * same code is refused. A wrong code says so and ends the link. The page opened with no link offers
 * the same **Share code** where a newcomer lands. A's window shares by link too (Share…, "Anyone with
 * a link"), shows the code and the link, and lists the page that watches by it among the viewers.
 * The page re-attaches: reloaded, it watches again without the spent code (the screen replayed, the
 * same viewer); its relay restarting under it, it says it reconnects and watches again; after
 * `unshare` a reload says the share ended and offers no code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  browserMissing,
  card,
  closeContexts,
  closeSharedBrowser,
  openUi,
  screenshotThemes,
  sharedBrowser,
  uiUrl,
  waitForText,
} from '../helpers/browser.js';
import {
  agentCall,
  cli,
  linkAsPeers,
  startAgent,
  startRelay,
  stopAll,
  tempHome,
  type RelayProc,
} from '../helpers/processes.js';
import { openRelayPage } from '../helpers/relay-page.js';
import { readyShellOnB, shareByLink, wrongCodeFor } from '../helpers/link-shares.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing() ?? (process.platform === 'win32' ? 'POSIX shell commands' : null);
if (skip) console.log(`# ${skip}`);

let homeA = '';
let homeB = '';
let browser: Browser;
/** Where the relay serves its page (the line `clawbridge relay` prints). */
let pageUrl = '';
/** The relay (restarted on its port by the test of a dropped link). */
let relay: RelayProc;

before(async () => {
  if (skip) return;
  relay = await startRelay();
  pageUrl = (await relay.proc.waitForLine(/^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256/m))[1]!;
  [homeA, homeB] = [tempHome('link-a'), tempHome('link-b')];
  await Promise.all([
    startAgent(homeA, { name: 'a', relay: relay.url, listen: '127.0.0.1:0', ui: true }),
    startAgent(homeB, { name: 'b', relay: relay.url, listen: '127.0.0.1:0' }),
  ]);
  await linkAsPeers(homeA, homeB);
  browser = await sharedBrowser();
});

after(async () => {
  await closeSharedBrowser();
  await stopAll();
});

/** What the page's terminal shows. */
const screen = (page: Page) => page.locator('.watch-terminal .xterm-rows');

/** The page's own fingerprint, as it shows it (64 hex). */
async function pageFingerprint(page: Page): Promise<string> {
  const label = (await page.getByRole('code').first().getAttribute('aria-label')) ?? '';
  return label.slice(label.indexOf(':') + 1).replace(/\s/g, '');
}

test(
  'the page watches a terminal shared by link, read-only, until it is unshared; the code is then refused',
  { skip: skip ?? false, timeout: 240_000 },
  async () => {
    const dir = tempHome('link-files');
    const typed = join(dir, 'typed-by-the-page');
    const { id, view } = await readyShellOnB(homeA);
    const r = await shareByLink(homeA, id);
    assert.match(r.link, /^http:\/\/127\.0\.0\.1:\d+\/#watch=/, `the link opens the relay's page: ${r.link}`);
    assert.ok(r.link.endsWith(r.code), `the link carries the code (${r.link}, ${r.code})`);
    assert.ok(r.expiresAt, 'a link ends in an hour unless told');

    try {
      const { page, errors } = await openRelayPage(browser, r.link);
      const field = page.getByLabel('Share code');
      assert.equal(await field.inputValue(), r.code, 'the link fills the code in');
      await page.getByRole('button', { name: 'Watch', exact: true }).click();
      await waitForText(screen(page), /screen-before-42/, 30_000);
      await waitForText(
        page.getByRole('region', { name: 'Shared terminal' }),
        /a's terminal on b — watching \(read-only\)/,
      );
      // Who else is there, asked where the shell runs: nobody but this page.
      await waitForText(page.locator('.watch-present'), /^Nobody else is watching\.$/, 15_000);
      view.type('echo line-$((40+2))\r');
      await waitForText(screen(page), /line-42/, 30_000);
      await screenshotThemes(page, 'page-watch-share');

      // A lists it as any viewer, watching; B lets it in for the view alone, and A knows no such peer.
      const fp = await pageFingerprint(page);
      assert.match(fp, /^[0-9a-f]{64}$/, `the page shows its fingerprint (${fp})`);
      const viewers = await until('A lists the page as watching', async () => {
        const v = await agentCall(homeA, 'terminal.viewers', { id });
        return v.viewers.some((x) => x.watching) ? v.viewers : undefined;
      });
      assert.deepEqual(
        viewers.map((v) => [v.name, v.fingerprint, v.write]),
        [[`link viewer ${fp.slice(0, 4)} ${fp.slice(4, 8)}`, fp, false]],
        'the link viewer, named by its fingerprint, watching only',
      );
      const onB = (await agentCall(homeB, 'peers.list', {})).find((p) => p.fingerprint === fp);
      assert.deepEqual(onB?.allow ?? [], [], 'B grants the page no permission word');
      const onA = (await agentCall(homeA, 'peers.list', {})).find((p) => p.fingerprint === fp);
      assert.equal(onA, undefined, 'A keeps nothing of the page as a peer');

      // Read-only: what the page types reaches nothing on B.
      await page.locator('.watch-terminal .xterm').click();
      await page.keyboard.type(`touch ${typed}\r`);
      view.type('echo sync-$((1+1))\r');
      await waitForText(screen(page), /sync-2/, 30_000);
      assert.equal(existsSync(typed), false, 'what the page typed ran nothing on B');
      assert.ok(!view.text.includes('typed-by-the-page'), 'nor reached the shell as input');

      // Unshared: the page says so at once, and the code opens nothing any more.
      const unshare = await cli(['sessions', 'unshare', id, '--home', homeA]);
      assert.equal(unshare.code, 0, `unshare: ${unshare.stderr}`);
      const stoppedAt = Date.now();
      await waitForText(
        page.getByRole('status'),
        /^The share ended: a stopped sharing this terminal/,
        30_000,
      );
      const endedMs = Date.now() - stoppedAt;
      // 1 s on an idle machine; the bound rules out a view left to time out (tens of seconds).
      assert.ok(endedMs < 10_000, `the page said the share ended ${endedMs} ms after unshare`);
      assert.deepEqual(errors, [], 'the page raised no error');

      const { page: again } = await openRelayPage(browser, r.link);
      await again.getByRole('button', { name: 'Watch', exact: true }).click();
      await waitForText(again.getByRole('alert'), /code invalid or expired/, 30_000);
    } finally {
      await closeContexts(browser);
    }
  },
);

test(
  'the page re-attaches: after a reload without the code, after its relay restarted; after unshare a reload says the share ended',
  { skip: skip ?? false, timeout: 300_000 },
  async () => {
    const { id, view } = await readyShellOnB(homeA);
    const r = await shareByLink(homeA, id);
    try {
      const { page, errors } = await openRelayPage(browser, r.link);
      await page.getByRole('button', { name: 'Watch', exact: true }).click();
      await waitForText(screen(page), /screen-before-42/, 30_000);
      view.type('echo line-$((40+2))\r');
      await waitForText(screen(page), /line-42/, 30_000);
      const fp = await pageFingerprint(page);

      // Reloaded: the same viewer watches again, without the code, and the screen is replayed.
      await page.reload();
      await waitForText(screen(page), /screen-before-42[^]*line-42/, 30_000);
      assert.equal(await pageFingerprint(page), fp, 'the same viewer, kept in the tab');
      assert.equal(await page.getByLabel('Share code').count(), 0, 'no code asked for');
      view.type('echo again-$((3+4))\r');
      await waitForText(screen(page), /again-7/, 30_000);
      const viewers = await agentCall(homeA, 'terminal.viewers', { id });
      assert.deepEqual(
        viewers.viewers.map((v) => v.fingerprint),
        [fp],
        'A lists one viewer: the page, as before the reload',
      );

      // The relay restarts under it: the page says it reconnects, then watches again.
      await relay.proc.stop();
      await waitForText(page.getByRole('status'), /Connection lost — reconnecting…/, 30_000);
      relay = await startRelay(relay.port);
      await page.locator('.watch-reconnecting').waitFor({ state: 'detached', timeout: 90_000 });
      await waitForText(screen(page), /again-7/, 30_000);
      view.type('echo after-$((2+3))\r');
      await waitForText(screen(page), /after-5/, 60_000);

      // Unshared: the page says so, and so does a reload, which asks for no code again.
      const unshare = await cli(['sessions', 'unshare', id, '--home', homeA]);
      assert.equal(unshare.code, 0, `unshare: ${unshare.stderr}`);
      await waitForText(
        page.getByRole('status'),
        /^The share ended: a stopped sharing this terminal/,
        30_000,
      );
      await page.reload();
      await waitForText(
        page.getByRole('status'),
        /^The share ended: a stopped sharing this terminal/,
        30_000,
      );
      assert.equal(await page.getByLabel('Share code').inputValue(), '', 'the spent code is not offered');
      // Chromium itself logs each WebSocket the relay refused while it was down: those are no error of the page's.
      const own = errors.filter((e) => !/WebSocket connection to '.*' failed/.test(e));
      assert.deepEqual(own, [], 'the page raised no error');
    } finally {
      await closeContexts(browser);
    }
  },
);

test('a wrong code says so, and ends the link', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const { id } = await readyShellOnB(homeA);
  const r = await shareByLink(homeA, id);
  try {
    const wrong = wrongCodeFor(r.code);
    const { page } = await openRelayPage(browser, r.link.replace(r.code, wrong));
    await page.getByRole('button', { name: 'Watch', exact: true }).click();
    await waitForText(
      page.getByRole('alert'),
      /^the code was wrong .* one try per code, so that link has ended/,
      30_000,
    );
    // The right code after it: nobody waits for it any more.
    const { page: late } = await openRelayPage(browser, r.link);
    await late.getByRole('button', { name: 'Watch', exact: true }).click();
    await waitForText(late.getByRole('alert'), /code invalid or expired/, 30_000);
    const v = await agentCall(homeA, 'terminal.viewers', { id });
    assert.deepEqual(v.viewers, [], 'nobody joined by it');
  } finally {
    await closeContexts(browser);
  }
});

test(
  'the page opened bare offers Share code where a newcomer lands',
  { skip: skip ?? false, timeout: 60_000 },
  async () => {
    try {
      const { page } = await openRelayPage(browser, pageUrl);
      await page.getByRole('link', { name: 'Watch a shared terminal' }).click();
      await page.getByLabel('Share code').waitFor({ timeout: 30_000 });
      assert.equal(await page.getByLabel('Share code').inputValue(), '', 'nothing filled in');
      assert.ok(
        await page.getByRole('button', { name: 'Watch', exact: true }).isDisabled(),
        'Watch waits for a code',
      );
    } finally {
      await closeContexts(browser);
    }
  },
);

test(
  "A's window shares by link: the dialog shows the code and link, and the page that opens it is a viewer",
  { skip: skip ?? false, timeout: 180_000 },
  async () => {
    try {
      const A = await openUi(browser, await uiUrl(homeA));
      await card(A.page, 'b').getByRole('button', { name: 'Open terminal' }).click();
      await A.page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 30_000 });
      await A.page.getByRole('button', { name: 'Share…' }).click();
      const dialog = A.page.getByRole('dialog', { name: 'Share the terminal on b' });
      await dialog.getByLabel('Share with').selectOption({ label: 'Anyone with a link (a one-time code)' });
      await dialog.getByRole('button', { name: 'Share', exact: true }).click();
      const issued = dialog.getByRole('group', { name: 'Share link' });
      await waitForText(issued, /Link: http:\/\/127\.0\.0\.1:\d+\/#watch=/, 30_000);
      await screenshotThemes(A.page, 'terminal-share-link-dialog');
      const link = (await issued.getByRole('code').nth(1).textContent()) ?? '';
      const code = (await issued.getByRole('code').nth(0).textContent()) ?? '';
      assert.ok(link.endsWith(`#watch=${code}`), `the link carries the code (${link}, ${code})`);
      await dialog.getByRole('button', { name: 'Done' }).click();

      const { page } = await openRelayPage(browser, link);
      await page.getByRole('button', { name: 'Watch', exact: true }).click();
      await waitForText(page.locator('.watch-present'), /^Nobody else is watching\.$/, 30_000);
      const fp = await pageFingerprint(page);
      await waitForText(
        A.page.getByRole('list', { name: 'Viewers' }),
        new RegExp(`link viewer ${fp.slice(0, 4)} ${fp.slice(4, 8)}`),
        30_000,
      );
    } finally {
      await closeContexts(browser);
    }
  },
);
