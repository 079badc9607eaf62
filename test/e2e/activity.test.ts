/**
 * The Activity view end to end: b pairs with a by code and a approves; b opens a terminal on a; a's
 * owner takes terminals away and b's next terminal is refused. A's window, in Activity, lists the
 * approval, the terminal and the refusal with b's name and fingerprint, newest first; the since and
 * peer filters are selects found by their names; with the log gone, the empty state says so.
 * Screenshots light and dark go to test-results/screenshots/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { AuditEvent } from '../../src-main/audit/audit-events.js';
import {
  browserMissing,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  type UiPage,
  laidOut,
} from '../helpers/browser.js';
import { cli, cliJson, pairedAgents, startRelay, stopAll, nodeId } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let A: UiPage;
let homeA = '';
let fb = '';
let homeB = '';

after(async () => {
  await browser?.close();
  await stopAll();
});

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  const pair = await pairedAgents(relay.url, ['act-a', 'act-b']);
  homeA = pair.homeA;
  homeB = pair.homeB;
  fb = (await nodeId(pair.homeB)).fingerprint;
  const term = await cli(['term', 'a', '--home', pair.homeB, '--', 'sh', '-c', 'echo hi']);
  assert.equal(term.code, 0, term.stderr);
  assert.equal((await cli(['peers', 'deny', 'b', 'terminal', '--home', homeA])).code, 0);
  const refused = await cli(['term', 'a', '--home', pair.homeB, '--', 'true']);
  assert.notEqual(refused.code, 0);
  await until(
    'the refusal in the log',
    async () =>
      (await cliJson<AuditEvent[]>(['log', '--json', '--home', homeA])).some((e) => e.kind === 'refused'),
    10_000,
  );
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homeA));
});

test(
  'the Activity view lists who did what, filters by peer and time, and says when it is empty',
  { skip: skip ?? false },
  async () => {
    await nav(A.page, 'Activity').click();
    await A.page.getByRole('heading', { name: 'Activity' }).waitFor();
    const log = A.page.getByRole('table', { name: 'Activity log' });
    await log.waitFor();
    const row = (text: string) => log.getByRole('row').filter({ hasText: text });
    await row('Request approved').first().waitFor();
    await row('Terminal started here').first().waitFor();
    const refusal = row('Refused').first();
    await refusal.waitFor();
    const text = (await refusal.textContent()) ?? '';
    assert.match(text, /terminal stream/);
    assert.match(text, /refused/);
    assert.match(text, /does not allow terminals from b/);
    assert.ok(text.includes(fb.slice(0, 8)), `b's fingerprint in ${text}`);
    // Newest first: the refusal (the last thing that happened to b) is above the approval.
    const rows = await log.getByRole('row').allTextContents();
    const at = (s: string) => rows.findIndex((r) => r.includes(s));
    assert.ok(at('Refused') < at('Request approved'), rows.join('\n'));
    await screenshotThemes(A.page, 'activity');
    // At a phone's width each event is a block: nothing scrolls sideways.
    const size = A.page.viewportSize();
    await A.page.setViewportSize({ width: 320, height: 700 });
    await laidOut(A.page);
    const [scroll, width] = await A.page.evaluate<[number, number]>(
      `(() => { const m = document.querySelector('main'); return [m.scrollWidth, m.clientWidth]; })()`,
    );
    assert.ok(scroll <= width, `Activity at 320 px: main scrollWidth ${scroll} > clientWidth ${width}`);
    await screenshotThemes(A.page, 'activity-320');
    // A short fingerprint is one word at every width: a narrow Peer column used to break it mid-string.
    for (const w of [320, 520, 700, 860, 1024]) {
      await A.page.setViewportSize({ width: w, height: 700 });
      await laidOut(A.page);
      const broken = await A.page.evaluate<string[]>(
        `[...document.querySelectorAll('table.activity td code')].filter((c) => {
           const lines = new Set([...c.getClientRects()].map((r) => Math.round(r.top)));
           return lines.size > 1;
         }).map((c) => c.textContent)`,
      );
      assert.deepEqual(broken, [], `fingerprints broken across lines at ${w} px`);
    }
    if (size) await A.page.setViewportSize(size);

    // The filters, by their accessible names.
    const peerSelect = A.page.getByRole('combobox', { name: 'Peer' });
    const sinceSelect = A.page.getByRole('combobox', { name: 'Since' });
    await peerSelect.selectOption({ label: 'b' });
    await sinceSelect.selectOption({ label: 'Last hour' });
    await row('Refused').first().waitFor();
    const filtered = await log.getByRole('row').allTextContents();
    // Every row but the header names b.
    assert.ok(
      filtered.slice(1).every((r) => r.includes(fb.slice(0, 8))),
      filtered.join('\n'),
    );
    assert.deepEqual(A.errors, []);

    // A new terminal shows up by itself (no Refresh): the view reads again when connections change.
    const started = row('Terminal started here');
    const before = await started.count();
    assert.equal((await cli(['peers', 'allow', 'b', 'terminal', '--home', homeA])).code, 0);
    const again = await cli(['term', 'a', '--home', homeB, '--', 'sh', '-c', 'echo again']);
    assert.equal(again.code, 0, again.stderr);
    await until('a second terminal row', async () => (await started.count()) > before, 10_000);

    // The log gone (rotated away, removed by hand): the view says there is nothing, not an error.
    // Refusals are kept in a file of their own (audit-refusals.log): gone too.
    for (const f of ['audit.log', 'audit.log.1', 'audit-refusals.log', 'audit-refusals.log.1'])
      rmSync(join(homeA, f), { force: true });
    await peerSelect.selectOption({ label: 'All peers' });
    await sinceSelect.selectOption({ label: 'Everything kept' });
    await A.page.getByRole('button', { name: 'Refresh' }).click();
    await A.page.getByText('Nothing recorded yet.').waitFor();
    await screenshotThemes(A.page, 'activity-empty');
  },
);
