/**
 * The Files view end to end (issue 55 item 3): agents a and b as real processes on a loopback relay,
 * their windows (the web UI) in Chromium, acting through accessible names as a person would.
 *
 * - a's Files view before anything moved: each section's empty state says what to do.
 * - b allows a `files` (and `listen`); a's window sends a small folder to b by keyboard from b's card
 *   ("Send files… to b", paths typed, as a browser cannot learn local paths): the transfer's progress
 *   bar ends at 100 and it says done; b's window lists it under Received (from a, its names, its size);
 *   "Move … to DIR" moves it out and the bytes on disk are the ones sent.
 * - the "Sending …" notice gives way to a line saying how the transfer ended.
 * - a larger file is cancelled with the Cancel button named by the transfer while it moves.
 * - "Clear finished" takes the done and cancelled transfers off the list (and the agent's).
 * - a does not allow files from b: b's transfer to a fails with the reason, naming where to grant it.
 * - a shares a folder through b: listed with its URL, and stopped with "Stop share …".
 * - Send to anyone (issue 86): a's window makes a code for a file; a CLI with no agent or pairing takes
 *   it byte-exact from the link the window shows; the card says who took it; a second offer is
 *   cancelled from its card.
 * Screenshots light and dark go to test-results/screenshots/files-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  becomesFocused,
  browserMissing,
  card,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForText,
  UNNAMED,
  type UiPage,
} from '../helpers/browser.js';
import { agentCall, cli, pairedAgents, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let A: UiPage;
let B: UiPage;
let homeA = '';
let homeB = '';
let work = '';

after(async () => {
  await browser?.close();
  await stopAll();
});

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  // b lets a open terminals, send files and listen; a lets b do its defaults (no files).
  const pair = await pairedAgents(relay.url, ['files-a', 'files-b'], 'terminal,files,listen');
  ({ homeA, homeB } = pair);
  work = tempHome('files-work');
  browser = await launchBrowser();
  [A, B] = await Promise.all([openUi(browser, await uiUrl(homeA)), openUi(browser, await uiUrl(homeB))]);
  await until(
    'each to know what the other grants',
    async () => {
      const [pa, pb] = await Promise.all([
        agentCall(homeA, 'peers.list', {}),
        agentCall(homeB, 'peers.list', {}),
      ]);
      return (
        pa.some((p) => p.name === 'b' && p.theyAllow !== null) &&
        pb.some((p) => p.name === 'a' && p.theyAllow !== null)
      );
    },
    30_000,
  );
});

test('the empty Files view says what to do in each section', { skip: skip ?? false }, async () => {
  const page = A.page;
  await nav(page, 'Files').click();
  await page.getByRole('heading', { name: 'Files', level: 1 }).waitFor();
  await page.getByText('Nothing is being sent or received.').waitFor();
  assert.match(
    (await page.locator('.files-section').first().innerText()) ?? '',
    /“Send files…” on a peer’s card in Peers, or run clawbridge file send PEER PATH…/,
  );
  await page.getByText('Nothing received.').waitFor();
  await page.getByText('No shared folders.').waitFor();
  assert.deepEqual(await page.evaluate(UNNAMED), []);
  await screenshotThemes(page, 'files-empty');
  assert.deepEqual(A.errors, []);
});

test(
  'a sends a folder to b by keyboard, sees it done; b moves it out and the bytes are the ones sent',
  { skip: skip ?? false },
  async () => {
    const folder = join(work, 'holiday photos');
    mkdirSync(join(folder, 'day 1'), { recursive: true });
    const contents: Record<string, Buffer> = {
      'a.txt': Buffer.from('first file\n'),
      'day 1/ünï.bin': Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)),
      empty: Buffer.alloc(0),
    };
    for (const [name, bytes] of Object.entries(contents)) writeFileSync(join(folder, name), bytes);

    const page = A.page;
    await nav(page, 'Peers').click();
    const send = card(page, 'b').getByRole('button', { name: 'Send files… to b' });
    await send.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Send files to b' });
    const field = dialog.getByRole('textbox', { name: "Paths on a's machine" });
    assert.ok(await becomesFocused(field), 'the paths field takes the focus');
    // Said why a path is asked for, and how to do the same from a terminal.
    await dialog.getByText(/a browser cannot tell the agent where a file on this computer is/).waitFor();
    await page.keyboard.type('holiday photos');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    // A relative path is refused at once, saying why.
    await dialog
      .getByRole('alert')
      .getByText(/“holiday photos” is not a full path/)
      .waitFor();
    await field.fill(folder);
    await screenshotThemes(page, 'files-send-dialog');
    await dialog.getByRole('button', { name: 'Send', exact: true }).press('Enter');
    // The window moves to Files, where the transfer shows.
    await page.getByRole('heading', { name: 'Files', level: 1 }).waitFor({ timeout: 30_000 });
    const bar = page.getByRole('progressbar', { name: 'holiday photos to b' });
    await bar.waitFor();
    const row = page.getByRole('listitem', { name: 'holiday photos to b' });
    await waitForText(row, /done, every file verified/, 60_000);
    assert.equal(await bar.getAttribute('aria-valuenow'), '100');
    assert.equal(await bar.getAttribute('aria-valuemin'), '0');
    assert.equal(await bar.getAttribute('aria-valuemax'), '100');
    assert.match((await bar.getAttribute('aria-valuetext')) ?? '', /^100%, .* of .* · 3 of 3 files/);
    assert.match(await row.innerText(), /3 of 3 files/);
    // Done: nothing left to cancel.
    assert.equal(await row.getByRole('button', { name: /^Cancel/ }).count(), 0);
    // The "Sending …" notice gave way to one saying how it ended.
    const toasts = page.locator('.toasts .toast');
    await toasts.getByText('Sent holiday photos to b, every file verified').waitFor({ timeout: 10_000 });
    assert.equal(await toasts.getByText(/^Sending holiday photos/).count(), 0);
    await screenshotThemes(page, 'files-sent');

    // b's window: in Received, from a, with its names and size.
    const pb = B.page;
    await nav(pb, 'Files').click();
    const entry = pb
      .getByRole('list', { name: 'Received files' })
      .getByRole('listitem', { name: 'holiday photos from a' });
    await entry.waitFor({ timeout: 30_000 });
    const entryText = await entry.innerText();
    assert.match(entryText, /3 files, 68 KiB/);
    assert.match(entryText, /holiday photos/);
    // The transfer shows on b's side too, incoming and done.
    await waitForText(
      pb.getByRole('list', { name: 'Transfers' }).getByRole('listitem', { name: 'holiday photos from a' }),
      /done, every file verified/,
    );
    const out = join(work, 'Downloads');
    await pb.getByRole('textbox', { name: 'Move received files to' }).fill(out);
    await screenshotThemes(pb, 'files-received');
    const move = entry.getByRole('button', { name: `Move holiday photos from a to ${out}` });
    await move.focus();
    await pb.keyboard.press('Enter');
    await pb.getByText('Nothing received.').waitFor({ timeout: 20_000 });
    for (const [name, bytes] of Object.entries(contents)) {
      const got = readFileSync(join(out, 'holiday photos', name));
      assert.ok(got.equals(bytes), `${name} arrived byte-exact`);
    }
    assert.deepEqual(await agentCall(homeB, 'files.list', {}), []);
    assert.deepEqual([...A.errors, ...B.errors], []);
  },
);

test('a transfer under way is cancelled with its Cancel button', { skip: skip ?? false }, async () => {
  const big = join(work, 'big.bin');
  // 256 MiB of varied bytes: hashed, then sent through the relay, for seconds at least.
  const fd = openSync(big, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < 256; i++) {
    chunk.fill(i);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  const page = A.page;
  await nav(page, 'Peers').click();
  await card(page, 'b').getByRole('button', { name: 'Send files… to b' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send files to b' });
  await dialog.getByRole('textbox').fill(big);
  await dialog.getByRole('button', { name: 'Send', exact: true }).click();
  const row = page.getByRole('listitem', { name: 'big.bin to b' });
  await row.waitFor({ timeout: 60_000 });
  const cancel = row.getByRole('button', { name: 'Cancel big.bin to b' });
  await cancel.waitFor();
  const bar = page.getByRole('progressbar', { name: 'big.bin to b' });
  const now = Number(await bar.getAttribute('aria-valuenow'));
  assert.ok(now < 100, `still moving when Cancel is pressed (${now}%)`);
  await screenshotThemes(page, 'files-in-progress');
  await cancel.click();
  await waitForText(row, /cancelled/, 20_000);
  const transfers = await agentCall(homeA, 'files.transfers', {});
  assert.equal(transfers.find((t) => t.names[0] === 'big.bin')?.state, 'cancelled');
  await page
    .locator('.toasts .toast')
    .getByText('Sending big.bin to b was cancelled')
    .waitFor({ timeout: 10_000 });
});

test(
  '"Clear finished" takes done and cancelled transfers off the list',
  { skip: skip ?? false },
  async () => {
    const page = A.page;
    await nav(page, 'Files').click();
    const list = page.getByRole('list', { name: 'Transfers' });
    await list.getByRole('listitem', { name: 'holiday photos to b' }).waitFor();
    await list.getByRole('listitem', { name: 'big.bin to b' }).waitFor();
    const clear = page.getByRole('button', { name: 'Clear finished' });
    await screenshotThemes(page, 'files-finished');
    await clear.focus();
    await page.keyboard.press('Enter');
    await page.getByText('Nothing is being sent or received.').waitFor({ timeout: 10_000 });
    assert.equal(await clear.count(), 0, 'nothing left to clear');
    const left = await agentCall(homeA, 'files.transfers', {});
    assert.deepEqual(
      left.filter((t) => t.state === 'done' || t.state === 'cancelled'),
      [],
      'the agent forgot them too',
    );
    await screenshotThemes(page, 'files-cleared');
    assert.deepEqual(await page.evaluate(UNNAMED), []);
    assert.deepEqual(A.errors, []);
  },
);

test(
  'b sends to a, which does not allow files: the refusal is shown with where to grant it',
  { skip: skip ?? false },
  async () => {
    const file = join(work, 'note.txt');
    writeFileSync(file, 'hello');
    const page = B.page;
    await nav(page, 'Peers').click();
    await card(page, 'a').getByRole('button', { name: 'Send files… to a' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send files to a' });
    // Said before sending: a's grants are known.
    await dialog.getByText(/a does not allow files from this device/).waitFor();
    await dialog.getByRole('textbox').fill(file);
    await dialog.getByRole('button', { name: 'Send', exact: true }).click();
    const row = page.getByRole('listitem', { name: 'note.txt to a' });
    const text = await waitForText(row, /failed/, 60_000);
    assert.match(text, /files/);
    assert.match(
      text,
      /On a, open Peers → Permissions of b and allow “Send files here”, or run clawbridge peers allow b files there\./,
    );
    await screenshotThemes(page, 'files-refused');
    // Nothing was written on a.
    assert.deepEqual(await agentCall(homeA, 'files.list', {}), []);
    assert.deepEqual(B.errors, []);
  },
);

test('a share is listed with its URL and stopped with its Stop button', { skip: skip ?? false }, async () => {
  const dir = join(work, 'public');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.txt'), 'shared');
  const port = await freePort();
  await agentCall(homeA, 'share.add', { dir, via: 'b', listen: String(port), name: 'public' });
  const page = A.page;
  await nav(page, 'Files').click();
  const row = page.getByRole('listitem', { name: 'public' });
  await row.waitFor({ timeout: 20_000 });
  await waitForText(row, new RegExp(`http://[^/]+:${port}/`), 20_000);
  await waitForText(row, /listening/, 30_000);
  const body = await fetch((await agentCall(homeA, 'share.list', {}))[0]!.url + 'index.txt').then((r) =>
    r.text(),
  );
  assert.equal(body, 'shared');
  await screenshotThemes(page, 'files-share');
  const stop = row.getByRole('button', { name: 'Stop share public' });
  await stop.focus();
  await page.keyboard.press('Enter');
  await page.getByText('No shared folders.').waitFor({ timeout: 20_000 });
  assert.deepEqual(await agentCall(homeA, 'share.list', {}), []);
  assert.ok(!existsSync(join(dir, 'nothing')), "!existsSync(join(dir, 'nothing'))");
  assert.deepEqual(A.errors, []);
});

test(
  'Send to anyone: a code and a link in the window; the file arrives byte-exact at a CLI with no pairing; a second offer is cancelled',
  { skip: skip ?? false },
  async () => {
    const file = join(work, 'for anyone.bin');
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 13) % 251));
    writeFileSync(file, bytes);
    const page = A.page;
    await nav(page, 'Files').click();
    await page.getByRole('button', { name: 'Send to anyone…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send to anyone' });
    const paths = dialog.getByRole('textbox', { name: "Paths on a's machine" });
    // A relative path is refused beside the field, and what was typed stays.
    await paths.fill('for anyone.bin');
    await dialog.getByRole('button', { name: 'Make a code' }).click();
    await dialog
      .getByRole('alert')
      .getByText(/is not a full path/)
      .waitFor();
    assert.equal(await paths.inputValue(), 'for anyone.bin', 'nothing typed is lost');
    await paths.fill(file);
    await dialog.getByRole('button', { name: 'Make a code' }).click();
    const code = await dialog.getByLabel('Code', { exact: true }).innerText();
    assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/, `the code to read out: ${code}`);
    await dialog.getByText(/^Waiting for the receiver · the code works once, for \d+:\d\d more$/).waitFor();
    await dialog.getByRole('button', { name: 'Copy link' }).waitFor();
    const command = await dialog.getByText(/^clawbridge file receive '/).innerText();
    await screenshotThemes(page, 'files-send-to-anyone');
    // The other person: a CLI with no agent, no home and no pairing, as the window says.
    const link = /^clawbridge file receive '(.+)'$/.exec(command)?.[1];
    assert.ok(link, `the command names the link: ${command}`);
    const to = join(work, 'from a code');
    const got = await cli(['file', 'receive', link, '--to', to], 120_000);
    assert.equal(got.code, 0, `file receive: ${got.stderr}`);
    assert.ok(
      readFileSync(join(to, 'for anyone.bin')).equals(bytes),
      'the bytes that arrived are the ones sent',
    );
    await dialog
      .getByText(/^Sent to code receiver \([0-9a-f]{4}…[0-9a-f]{4}\), every file verified$/)
      .waitFor({
        timeout: 20_000,
      });
    assert.equal(
      await dialog.getByRole('button', { name: /Cancel the offer/ }).count(),
      0,
      'nothing left to cancel',
    );
    await screenshotThemes(page, 'files-sent-to-anyone');
    await dialog.getByRole('button', { name: 'Done' }).click();
    // The Files view keeps the offer after the dialog is gone.
    const listed = page.getByRole('list', { name: 'Offers sent with a code' });
    await listed.getByText(/every file verified/).waitFor();
    // A second offer, cancelled from its card: its code stops working.
    await page.getByRole('button', { name: 'Send to anyone…' }).click();
    await paths.fill(file);
    await dialog.getByRole('button', { name: 'Make a code' }).click();
    await dialog.getByRole('button', { name: /^Cancel the offer of for anyone\.bin · 1 file · / }).click();
    await dialog.getByText(/^Cancelled/).waitFor();
    const open = (await agentCall(homeA, 'files.codeOffers', {})).filter((o) => o.state === 'open');
    assert.deepEqual(open, [], 'no offer left open');
    await dialog.getByRole('button', { name: 'Done' }).click();
    assert.deepEqual(A.errors, []);
  },
);
