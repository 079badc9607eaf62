/**
 * The relay's page watching a terminal shared by link draws it at the sharer's size (issue 85,
 * docs/adr/0123-shared-terminals.md, the sizes amendment): real agents and a relay; A's terminal on B
 * opened at 80×24, shared by link; the page's xterm has exactly 24 rows and wraps a line at 80
 * columns, takes 100×30 when A resizes, is drawn smaller when the page is smaller (the caption says
 * so), and the page's own size reaches nothing on B (`stty size` there stays A's).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { connectControlSocket } from '../../src-main/api/control-client.js';
import { requestStreamUpgrade } from '../../src-main/api/stream-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import {
  browserMissing,
  closeContexts,
  closeSharedBrowser,
  laidOut,
  screenshotThemes,
  sharedBrowser,
  waitForText,
} from '../helpers/browser.js';
import { cliJson, linkAsPeers, startAgent, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { openRelayPage } from '../helpers/relay-page.js';
import { socketPipe, watchTerminal } from '../helpers/terminal-viewer.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing() ?? (process.platform === 'win32' ? 'POSIX shell commands' : null);
if (skip) console.log(`# ${skip}`);

let homeA = '';
let browser: Browser;

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  const homeB = tempHome('link-size-b');
  homeA = tempHome('link-size-a');
  await Promise.all([
    startAgent(homeA, { name: 'a', relay: relay.url, listen: '127.0.0.1:0' }),
    startAgent(homeB, { name: 'b', relay: relay.url, listen: '127.0.0.1:0' }),
  ]);
  await linkAsPeers(homeA, homeB);
  browser = await sharedBrowser();
});

after(async () => {
  await closeSharedBrowser();
  await stopAll();
});

/** The rows the page's xterm draws, each as its text. */
function screenRows(page: Page): Promise<string[]> {
  return page.locator('.watch-terminal .xterm-rows > div').allTextContents();
}

/** Asserts the whole screen (its frame, as drawn: scaled or not) lies within the page's terminal area. */
async function assertWhole(page: Page, what: string): Promise<void> {
  const [frame, box] = await Promise.all([
    page.locator('.sharer-frame').boundingBox(),
    page.locator('.watch-terminal').boundingBox(),
  ]);
  assert.ok(frame && box, `${what}: the screen and its area are on the page`);
  const inside =
    frame.x >= box.x - 0.5 &&
    frame.y >= box.y - 0.5 &&
    frame.x + frame.width <= box.x + box.width + 0.5 &&
    frame.y + frame.height <= box.y + box.height + 0.5;
  assert.ok(
    inside,
    `${what}: the screen ${JSON.stringify(frame)} lies within its area ${JSON.stringify(box)}`,
  );
}

test(
  "the link page's screen has the sharer's cols × rows, follows A's resize, and its own size reaches nothing",
  { skip: skip ?? false, timeout: 180_000 },
  async () => {
    const socket = await connectControlSocket(controlSocketPath(homeA), homeA);
    const opened = await requestStreamUpgrade(socket, 'terminal.open', {
      peer: 'b',
      command: ['sh', '-c', 'echo ready-$((6*7)); exec sh'],
      cols: 80,
      rows: 24,
    });
    const view = watchTerminal(socketPipe(socket), opened.rest);
    await until('A sees its shell', () => view.text.includes('ready-42'));
    const r = await cliJson<{ link: string }>([
      'sessions',
      'share',
      opened.result.id,
      '--link',
      '--home',
      homeA,
    ]);
    try {
      const { page, errors } = await openRelayPage(browser, r.link);
      await page.getByRole('button', { name: 'Watch', exact: true }).click();
      await waitForText(page.locator('.watch-terminal .xterm-rows'), /ready-42/, 30_000);

      /** A prints `cols` x's then `y<n>`: the page wraps after the x's exactly when it has `cols` columns. */
      const assertSize = async (cols: number, rows: number, n: number) => {
        view.type(`printf '%*s' ${cols} '' | tr ' ' x; echo y${n}\r`);
        const full = new RegExp(`^x{${cols}}$`);
        const shown = await until(`the page to wrap A's line of ${cols} x's`, async () => {
          const all = await screenRows(page);
          return all.some((row, i) => full.test(row.trimEnd()) && all[i + 1]?.startsWith(`y${n}`))
            ? all
            : undefined;
        });
        assert.equal(shown.length, rows, `the page's terminal has ${rows} rows, as B's`);
        await waitForText(page.locator('.sharer-size'), new RegExp(`^${cols}×${rows}, the sharer's size`));
      };
      await assertSize(80, 24, 1);
      view.resize(100, 30);
      await assertSize(100, 30, 2);

      // The page smaller than the screen: drawn smaller, all of it; larger: drawn as it is, framed.
      await page.setViewportSize({ width: 560, height: 480 });
      await laidOut(page);
      await waitForText(page.locator('.sharer-size'), /^100×30, the sharer's size \(shown at \d+% to fit\)$/);
      await assertWhole(page, 'drawn smaller');
      await screenshotThemes(page, 'page-watch-share-scaled');
      await page.setViewportSize({ width: 1600, height: 1200 });
      await laidOut(page);
      await waitForText(page.locator('.sharer-size'), /^100×30, the sharer's size$/);
      await assertWhole(page, 'drawn as it is');
      await screenshotThemes(page, 'page-watch-share-letterboxed');
      view.type('echo size-$(stty size | tr " " x)\r');
      await until("B's terminal size", () => /size-\d+x\d+/.test(view.text));
      assert.match(view.text, /size-30x100/, "the page's resizes reached nothing on B: it keeps A's size");
      assert.equal((await screenRows(page)).length, 30, 'nor changed the rows the page draws');
      assert.deepEqual(errors, [], 'the page raised no error');
    } finally {
      socket.destroy();
      await closeContexts(browser);
    }
  },
);
