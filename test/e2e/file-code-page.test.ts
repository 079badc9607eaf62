/**
 * Issue 86 in the relay's page (ADR 0124 §The page): an agent behind a relay offers files with a code
 * (`files.sendCode`, what `file send --code` asks), and a fresh Chromium context opens the page link
 * the offer names (`#receive=CODE`): the code is filled in, **Receive** meets the sender, the page
 * shows who sent and what, and **Save** / **Save all** download through the page's service worker. A
 * file arrives byte-exact (its download's SHA-256); one file of three saved alone is the only one
 * sent, and the others saved after it one by one end the offer done; a folder of many small files arrives as a zip
 * that unpacks whole; a wrong code says so and ends the offer. The big file (128 MiB by default,
 * 1 GiB and 1,000 files with CLAWBRIDGE_FULL_CODE_PAGE=1) is twice what the page may grow by: its
 * JS heap (CDP Performance.getMetrics) and its renderers' footprint as a task manager shows it
 * (RssAnon + VmSwap, sampled while the file passes) are held under it. A file
 * whose link drops at half way (the relay restarted) carries on in the same download, saying it is
 * reconnecting meanwhile, and nothing that arrived is sent again (item 4).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Download, Page } from 'playwright-core';
import type { CodeOfferInfo } from '../../src-main/files/files-contract.js';
import {
  browserMissing,
  closeContexts,
  closeSharedBrowser,
  sharedBrowser,
  waitForText,
  screenshotThemes,
} from '../helpers/browser.js';
import { agentCall, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { rendererMemory, sampleFootprints } from '../helpers/renderer-memory.js';
import { openRelayPage, relayWithDevice, type RelayWithDevice } from '../helpers/relay-page.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);
after(async () => {
  await closeSharedBrowser();
  await stopAll();
});

let world: RelayWithDevice;
let work = '';

before(async () => {
  if (skip) return;
  world = await relayWithDevice();
  work = tempHome('code-page-work');
});

/** An offer of `paths` made on the device, as `file send --code` makes it. */
async function offer(paths: string[]): Promise<CodeOfferInfo> {
  const made = await agentCall(world.home, 'files.sendCode', { paths });
  assert.ok(made.page, `the offer names the relay's page: ${JSON.stringify(made)}`);
  return made;
}

/** The offer as the device lists it now. */
async function offerNow(id: string): Promise<CodeOfferInfo | undefined> {
  return (await agentCall(world.home, 'files.codeOffers', {})).find((o) => o.id === id);
}

/** SHA-256 of a file, read as a stream (the big one is not read whole). */
function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  return new Promise((resolve, reject) =>
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject),
  );
}

/** Opens the offer's page link in a fresh context and presses Receive; the page once the offer shows. */
async function receive(browser: Browser, o: CodeOfferInfo): Promise<Page> {
  const { page } = await openRelayPage(browser, o.page!, {
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  const field = page.getByLabel('Receive code');
  assert.equal(await field.inputValue(), o.code, 'the link fills the code in');
  await page.getByRole('button', { name: 'Receive' }).click();
  return page;
}

/** Waits for offer `o` to stop moving; it must have ended done. */
async function endsDone(o: CodeOfferInfo): Promise<void> {
  const ended = await until('the offer ends done', async () => {
    const now = await offerNow(o.id);
    return now && now.state !== 'taken' && now.state !== 'checking' ? now : undefined;
  });
  assert.equal(ended.state, 'done', JSON.stringify(ended));
}

/**
 * The file's own Chromium, not the run's shared one: the tests read each download from disk, and
 * playwright gives a download's path only for a browser it launched itself.
 */
const ownBrowser = () => sharedBrowser({ own: true });

/** Presses Save, Save all or a file's row's Save (`Save NAME`) and waits for the download to finish; its path. */
async function saveAs(page: Page, button: string): Promise<{ download: Download; path: string }> {
  const started = page.waitForEvent('download', { timeout: 60_000 });
  await page.getByRole('button', { name: button, exact: true }).click();
  const download = await started;
  const path = await download.path();
  return { download, path };
}

test(
  'the page link receives one file byte-exact; the offer ends done',
  { skip: skip ?? false, timeout: 240_000 },
  async () => {
    const file = join(work, 'report.bin');
    writeFileSync(file, randomBytes(5 * 1024 * 1024 + 77));
    const o = await offer([file]);
    const browser = await ownBrowser();
    try {
      const page = await receive(browser, o);
      const offered = page.getByRole('region', { name: 'Offer' });
      await waitForText(offered, /From office/, 30_000);
      await waitForText(page.getByRole('list', { name: 'Files' }), /report\.bin 5\.0 MiB/, 30_000);
      await screenshotThemes(page, 'page-receive-offer');
      const { download, path } = await saveAs(page, 'Save');
      assert.equal(download.suggestedFilename(), 'report.bin', 'saved under its own name');
      assert.equal(await sha256Of(path), await sha256Of(file), 'the download is the file, byte for byte');
      await waitForText(offered, /every file verified/, 30_000);
      await endsDone(o);
    } finally {
      await closeContexts(browser);
    }
  },
);

test(
  "Save in a file's row saves that file of three alone, byte-exact; the others one by one after it",
  { skip: skip ?? false, timeout: 240_000 },
  async () => {
    const names = ['first.bin', 'second.pdf', 'third.txt'];
    mkdirSync(join(work, 'three'), { recursive: true });
    const paths = names.map((n, i) => {
      const p = join(work, 'three', n);
      writeFileSync(p, randomBytes([3 * 1024 * 1024, 2 * 1024 * 1024 + 5, 999][i]!));
      return p;
    });
    const o = await offer(paths);
    const browser = await ownBrowser();
    try {
      const page = await receive(browser, o);
      const offered = page.getByRole('region', { name: 'Offer' });
      await waitForText(page.getByRole('list', { name: 'Files' }), /third\.txt/, 30_000);
      const second = await saveAs(page, 'Save second.pdf');
      assert.equal(second.download.suggestedFilename(), 'second.pdf', 'saved under its own name');
      assert.equal(await sha256Of(second.path), await sha256Of(paths[1]!), 'the second file, byte for byte');
      // Only it was sent: once the sender waits to be asked for more, what it sent is the second file.
      const between = await until('the sender waits to be asked for more', async () => {
        const progress = (await offerNow(o.id))?.progress;
        return progress?.state === 'waiting' ? progress : undefined;
      });
      const sent = between.bytesSent ?? 0;
      assert.ok(
        sent >= 2 * 1024 * 1024 && sent < 3 * 1024 * 1024,
        `the second file was sent, and not the first with it: ${sent} bytes sent`,
      );
      await waitForText(page.getByRole('list', { name: 'Files' }), /second\.pdf .* saved/, 30_000);
      assert.equal(
        await page.getByRole('button', { name: 'Save all', exact: true }).count(),
        0,
        'Save all is no longer offered once a file was saved alone',
      );
      await screenshotThemes(page, 'page-receive-saved-one');
      for (const [i, name] of [
        [0, 'first.bin'],
        [2, 'third.txt'],
      ] as const) {
        const { download, path } = await saveAs(page, `Save ${name}`);
        assert.equal(download.suggestedFilename(), name, 'saved under its own name');
        assert.equal(await sha256Of(path), await sha256Of(paths[i]!), `${name}, byte for byte`);
      }
      await waitForText(offered, /every file verified/, 30_000);
      await endsDone(o);
    } finally {
      await closeContexts(browser);
    }
  },
);

test('a wrong code says so, and ends the offer', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const file = join(work, 'secret.txt');
  writeFileSync(file, 'not for guessers\n');
  const o = await offer([file]);
  const browser = await ownBrowser();
  try {
    const last = o.code.at(-1)!;
    const wrong = o.code.slice(0, -1) + (last === '7' ? '8' : '7');
    const { page } = await openRelayPage(browser, o.page!.replace(o.code, wrong));
    await page.getByRole('button', { name: 'Receive' }).click();
    await waitForText(
      page.getByRole('alert'),
      /^the code was wrong .* one try per code, so that offer has ended/,
      30_000,
    );
    await screenshotThemes(page, 'page-receive-wrong-code');
    const ended = await until('the offer ends', async () => {
      const now = await offerNow(o.id);
      return now && now.state === 'failed' ? now : undefined;
    });
    assert.match(ended.why ?? '', /wrong code was tried/, JSON.stringify(ended));
    // The right code after it: nobody waits for it any more.
    const { page: late } = await openRelayPage(browser, o.page!);
    await late.getByRole('button', { name: 'Receive' }).click();
    await waitForText(late.getByRole('alert'), /code invalid or expired/, 30_000);
    // A code cut short is named as the file code it was meant to be, not as a pairing's.
    const field = late.getByLabel('Receive code');
    await field.fill(o.code.slice(0, 6));
    await late.getByRole('button', { name: 'Receive' }).click();
    const said = await waitForText(late.getByRole('alert'), /^the file code must be 12 characters/, 30_000);
    assert.doesNotMatch(said, /pair/, said);
  } finally {
    await closeContexts(browser);
  }
});

/** The issue's sizes with CLAWBRIDGE_FULL_CODE_PAGE=1 (run by hand); the suite's cheaper ones otherwise. */
const FULL = process.env.CLAWBRIDGE_FULL_CODE_PAGE === '1';
const MANY_FILES = FULL ? 1000 : 200;
// 128 MiB: twice the growth bound below, so a page that held the file, or half of it, fails; what
// passing costs does not grow with the size (the chunks that passed are garbage V8 collects on external
// memory pressure). 256 MiB made this the suite's second-costliest file (~64 CPU-s) and caught nothing
// more; the full 1 GiB costs minutes of CPU, too much for every run of the suite.
const BIG_BYTES = (FULL ? 1024 : 128) * 1024 * 1024;
/**
 * The page's memory bound (issue 86: 200 MB, decimal, the stricter reading), on what a task manager
 * shows: the renderers' footprints (renderer-memory.ts). Its JS heap stays under half of it.
 */
const PAGE_MEMORY_BOUND = 200_000_000;
/**
 * How much a renderer's footprint may grow while the big file passes, whatever its size, in bytes
 * (64 MiB): the page holds at most its files window (8 MiB) and the chunks in flight to its download
 * worker; the rest is garbage waiting for V8, which the worker no longer leaves (ADR 0124 §The page).
 */
const GROWTH_BOUND = 64 * 1024 * 1024;

/** Every file under `root`, relative, with its SHA-256. */
function treeOf(root: string, under = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(root, under), { withFileTypes: true })) {
    const rel = under ? `${under}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, treeOf(root, rel));
    else
      out[rel] = createHash('sha256')
        .update(readFileSync(join(root, rel)))
        .digest('hex');
  }
  return out;
}

test(
  `Save all: a folder of ${MANY_FILES} small files arrives as one zip that unpacks whole`,
  { skip: skip ?? false, timeout: 300_000 },
  async () => {
    const folder = join(work, 'photos');
    mkdirSync(join(folder, 'inner', 'deeper'), { recursive: true });
    mkdirSync(join(folder, 'empty-folder'));
    writeFileSync(join(folder, 'empty.txt'), '');
    for (let i = 0; i < MANY_FILES - 1; i++) {
      const dir = i % 3 === 0 ? 'inner' : i % 3 === 1 ? 'inner/deeper' : '.';
      writeFileSync(
        join(folder, dir, `file-${i}.bin`),
        randomBytes(i % 97 === 0 ? 300_000 : 1 + ((i * 7919) % 9000)),
      );
    }
    const o = await offer([folder]);
    const browser = await ownBrowser();
    try {
      const page = await receive(browser, o);
      const offered = page.getByRole('region', { name: 'Offer' });
      await waitForText(offered, new RegExp(`${MANY_FILES} files`), 30_000);
      await waitForText(page.getByRole('list', { name: 'Files' }), /and \d+ more/, 30_000);
      const { download, path } = await saveAs(page, 'Save all');
      assert.equal(download.suggestedFilename(), 'photos.zip', 'the zip is named after the folder');
      const tested = execFileSync('unzip', ['-t', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      assert.match(tested, /No errors detected/, tested.slice(-500));
      const out = join(work, 'unzipped');
      execFileSync('unzip', ['-q', path, '-d', out]);
      assert.deepEqual(treeOf(out), { ...prefixed(treeOf(folder), 'photos') }, 'every file, byte for byte');
      assert.ok(existsSync(join(out, 'photos', 'empty-folder')), 'an empty folder is kept');
      await waitForText(offered, /every file verified/, 30_000);
      await endsDone(o);
    } finally {
      await closeContexts(browser);
    }
  },
);

/** `tree`'s paths under `dir`. */
function prefixed(tree: Record<string, string>, dir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).map(([p, h]) => [`${dir}/${p}`, h]));
}

test(
  `a ${BIG_BYTES / 1024 / 1024} MiB file passes through the page in bounded memory`,
  { skip: skip ?? false, timeout: 900_000 },
  async () => {
    const file = join(work, 'big.bin');
    // Written in pieces: the test's own process does not hold it either.
    const piece = randomBytes(4 * 1024 * 1024);
    writeFileSync(file, '');
    for (let at = 0; at < BIG_BYTES; at += piece.length)
      appendFileSync(file, piece.subarray(0, Math.min(piece.length, BIG_BYTES - at)));
    const o = await offer([file]);
    const browser = await ownBrowser();
    try {
      const page = await receive(browser, o);
      await waitForText(page.getByRole('list', { name: 'Files' }), /big\.bin/, 30_000);
      const before = await rendererMemory(browser);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      let heapMax = 0;
      // Sampled while the file passes: the heap's largest size is what the page held.
      const heapSampler = setInterval(() => {
        cdp.send('Performance.getMetrics').then(
          ({ metrics }) =>
            (heapMax = Math.max(heapMax, metrics.find((m) => m.name === 'JSHeapTotalSize')?.value ?? 0)),
          () => undefined,
        );
      }, 250);
      const footprints = sampleFootprints(browser);
      const { path } = await saveAs(page, 'Save');
      const seen = await footprints.stop();
      const after = await rendererMemory(browser);
      clearInterval(heapSampler);
      const cpu = (pid: number) => (after.get(pid)?.cpu ?? 0) - (before.get(pid)?.cpu ?? 0);
      console.log(
        `# ${mib(BIG_BYTES)} MiB: page JS heap at most ${mib(heapMax)} MiB; renderers (pid: footprint once offered, at most MiB; VmRSS once offered MiB; CPU s while it passed): ${[
          ...seen.peak,
        ]
          .map(
            ([pid, peak]) =>
              `${pid}: ${mib(before.get(pid)?.footprint ?? 0)}, ${mib(peak)}; ${mib(before.get(pid)?.rss ?? 0)}; ${cpu(pid).toFixed(1)}`,
          )
          .join('; ')}; all together at most ${mib(seen.peakTotal)} MiB over ${seen.samples} samples`,
      );
      assert.equal(await sha256Of(path), await sha256Of(file), 'the download is the file, byte for byte');
      assert.ok(heapMax < PAGE_MEMORY_BOUND / 2, `the page's JS heap stayed small: ${mib(heapMax)} MiB`);
      // Every renderer of the browser together, at each sample: the page's, which runs its download
      // worker too (a worker in a renderer of its own would be counted as well), and any other the
      // browser keeps (here one of ~20 MiB that does not grow), so this over-counts the page.
      assert.ok(
        seen.peakTotal < PAGE_MEMORY_BOUND,
        `the renderers' footprint stayed under ${mib(PAGE_MEMORY_BOUND)} MiB while ${mib(BIG_BYTES)} MiB passed: ${mib(seen.peakTotal)} MiB`,
      );
      const grew = Math.max(...[...seen.peak].map(([pid, peak]) => peak - (seen.first.get(pid) ?? 0)));
      assert.ok(
        grew < GROWTH_BOUND,
        `no renderer's footprint grew by as much as ${mib(GROWTH_BOUND)} MiB while ${mib(BIG_BYTES)} MiB passed: ${mib(grew)} MiB`,
      );
    } finally {
      await closeContexts(browser);
    }
  },
);

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

const RESUMED_BYTES = 64 * 1024 * 1024;

test(
  'the relay restarted at half way: the page reconnects and the same download carries on, nothing sent twice',
  { skip: skip ?? false, timeout: 600_000 },
  async () => {
    const file = join(work, 'resumed.bin');
    const piece = randomBytes(4 * 1024 * 1024);
    writeFileSync(file, '');
    for (let at = 0; at < RESUMED_BYTES; at += piece.length) appendFileSync(file, piece);
    const o = await offer([file]);
    const browser = await ownBrowser();
    const agentPid = world.agent.child.pid!;
    try {
      const page = await receive(browser, o);
      await waitForText(page.getByRole('list', { name: 'Files' }), /resumed\.bin/, 30_000);
      const started = page.waitForEvent('download', { timeout: 60_000 });
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const download = await started;
      // Polled in the page: a check from here every few ms could miss half way on a fast machine.
      // (A function, not a string: the page's CSP allows no eval. The test program has no DOM types.)
      type Doc = { querySelector(selector: string): { value: number } | null };
      await page.waitForFunction(
        (half) =>
          ((globalThis as unknown as { document: Doc }).document.querySelector(
            'progress[aria-label="Received"]',
          )?.value ?? 0) >= half,
        RESUMED_BYTES / 2,
        { polling: 10, timeout: 180_000 },
      );
      // The sender frozen while the relay restarts, so the drop lands at half way (not after the end on
      // a fast machine): what was in flight, at most the page's window, still arrives before it.
      process.kill(agentPid, 'SIGSTOP');
      let frozen = true;
      try {
        const port = world.relay.port;
        await world.relay.proc.stop();
        await waitForText(
          page.getByRole('region', { name: 'Offer' }),
          /Connection lost — reconnecting…/,
          30_000,
        );
        const atDrop = Number(await page.locator('progress[aria-label="Received"]').getAttribute('value'));
        assert.ok(atDrop < RESUMED_BYTES, `the drop came before the end: ${atDrop} bytes taken`);
        await screenshotThemes(page, 'page-receive-reconnecting');
        world.relay = await startRelay(port);
        process.kill(agentPid, 'SIGCONT');
        frozen = false;
        const path = await download.path();
        assert.equal(await sha256Of(path), await sha256Of(file), 'the download is the file, byte for byte');
        await waitForText(page.getByRole('region', { name: 'Offer' }), /every file verified/, 60_000);
        assert.equal(
          await page.getByText('Connection lost — reconnecting…').count(),
          0,
          'the page no longer says it is reconnecting',
        );
        await endsDone(o);
        const sent = (await offerNow(o.id))?.progress?.bytesSent ?? 0;
        console.log(`# ${RESUMED_BYTES} bytes: ${atDrop} taken by the download at the drop, ${sent} sent`);
        // Sending it all again would put at least what had arrived plus the whole file on the wire.
        assert.ok(
          sent < RESUMED_BYTES + atDrop,
          `sent ${sent} bytes for ${RESUMED_BYTES}, ${atDrop} of them taken by the download at the drop`,
        );
      } finally {
        if (frozen) process.kill(agentPid, 'SIGCONT');
      }
    } finally {
      await closeContexts(browser);
    }
  },
);
