/**
 * The window for keyboard, screen reader, forced-colour and small-window users, end to end: a relay and
 * agents as real processes on loopback, A's web UI in Chromium, driven through roles and accessible
 * names. Each test is one thing testers found: state shown by a background alone in forced colours, a
 * long peer name or a narrow window scrolling sideways, focus dropped on the page after a control went
 * away, live regions that flood or stay silent, controls named alike, and a web UI that moved to
 * another port. Screenshots go to test-results/screenshots/ (a11y-*).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  becomesFocused,
  browserMissing,
  card,
  grouped,
  launchBrowser,
  nav,
  openView,
  openUi,
  screenshot,
  screenshotThemes,
  uiUrl,
  waitForText,
  type UiPage,
  whatHasFocus,
  laidOut,
} from '../helpers/browser.js';
import {
  agentCall,
  cli,
  cliJson,
  pairedAgents,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
  type Proc,
  nodeId,
  pairJoinAwaitingDecision,
} from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let A: UiPage;
let page: Page;
let relayUrl = '';
let agents: { homeA: string; homeB: string; a: Proc; b: Proc };
/** 64 characters, no space: the longest name testers tried. */
const LONG = 'b'.repeat(20) + '-a-very-long-peer-name-without-any-spaces-' + 'x'.repeat(2);

before(async () => {
  if (skip) return;
  relayUrl = (await startRelay()).url;
  agents = await pairedAgents(relayUrl, ['e2e-a11y-a', 'e2e-a11y-b'], 'terminal,forward');
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(agents.homeA));
  page = A.page;
  await card(page, 'b').getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
});

after(async () => {
  await browser?.close();
  await stopAll();
});

const VIEWS = [
  'Peers',
  'Approvals',
  'Pair',
  'Groups',
  'Terminals',
  'Messages',
  'Files',
  'Forwards',
  'Connections',
  'Activity',
  'Settings',
] as const;

/** The little of the DOM these checks use (the tests are typed without the DOM library). */
interface Probed {
  placeholder: string;
  clientWidth: number;
  ownerDocument: {
    defaultView: { getComputedStyle(e: Probed): Record<string, string> };
    createElement(tag: 'canvas'): {
      getContext(kind: '2d'): { font: string; measureText(text: string): { width: number } };
    };
  };
}

/** Computed style properties of the element, joined by spaces ("rgb(…) rgb(…) 1px"). */
function styleOf(l: Locator, props: string[]): Promise<string> {
  return l.evaluate((el: Probed, names: string[]) => {
    const s = el.ownerDocument.defaultView.getComputedStyle(el);
    return names.map((n) => s[n]).join(' ');
  }, props);
}

/** Whether a field's placeholder is wider than the field (cut off). */
function placeholderCut(l: Locator): Promise<boolean> {
  return l.evaluate((el: Probed) => {
    const c = el.ownerDocument.createElement('canvas').getContext('2d');
    c.font = el.ownerDocument.defaultView.getComputedStyle(el).font!;
    return c.measureText(el.placeholder).width > el.clientWidth - 16;
  });
}

test(
  'every view names the document, and the controls on cards and rows name their peer or forward',
  { skip: skip ?? false },
  async () => {
    for (const view of VIEWS) {
      await nav(page, view).click();
      await until(`title of ${view}`, async () => (await page.title()) === `${view} — Clawbridge`, 3_000);
    }
    await nav(page, 'Peers').click();
    const b = card(page, 'b');
    for (const name of ['Open terminal on b', 'Ping b', 'Rename b', 'Remove b', 'Permissions of b']) {
      assert.equal(await b.getByRole('button', { name, exact: true }).count(), 1, name);
    }
    // The whole fingerprint, by keyboard: a disclosure, then grouped with Copy.
    const summary = b.getByText('Full fingerprint');
    await summary.focus();
    await page.keyboard.press('Enter');
    const fp = (await nodeId(agents.homeB)).fingerprint;
    await b.getByLabel(`b's fingerprint: ${grouped(fp)}`).waitFor();
    await b.getByRole('button', { name: "Copy b's fingerprint" }).waitFor();
    await screenshotThemes(page, 'a11y-peer-fingerprint');
    // The ping result lands in a region that was there before it (a region inserted with its text is
    // skipped by many screen readers).
    const result = b.locator('p.result[role="status"]');
    assert.equal(await result.count(), 1);
    assert.equal(await result.textContent(), '');
    await b.getByRole('button', { name: 'Ping b' }).click();
    await waitForText(result, /^Ping: \d+ ms over/);
    // The Approvals entry says its count once: in its name, with no description repeating it.
    assert.equal(await nav(page, 'Approvals').getAttribute('aria-describedby'), null);
  },
);

test(
  'Add forward: every missing field at once; Cancel and Escape give the focus back to "Add forward"; switches are named by their forward',
  { skip: skip ?? false },
  async () => {
    await nav(page, 'Forwards').click();
    const add = page.getByRole('button', { name: 'Add forward' });
    await add.click();
    const form = page.getByRole('form', { name: 'Add forward' });
    await form.getByRole('button', { name: 'Add forward' }).click();
    const local = form.getByLabel('Local address');
    const remote = form.getByLabel('Remote address');
    assert.equal(await local.getAttribute('aria-invalid'), 'true');
    assert.equal(await remote.getAttribute('aria-invalid'), 'true', 'Remote address is flagged too');
    assert.ok(await becomesFocused(local), 'the first field in error has the focus');
    // The placeholder fits its field at 1100 px instead of being cut off.
    await page.setViewportSize({ width: 1100, height: 800 });
    const cut = await placeholderCut(remote);
    assert.equal(cut, false, 'the Remote address placeholder is cut off');
    await screenshotThemes(page, 'a11y-forward-missing');
    await page.setViewportSize({ width: 1280, height: 800 });

    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
    assert.ok(await becomesFocused(add), `after Cancel the focus is on ${await whatHasFocus(page)}`);
    await add.click();
    await local.waitFor();
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'detached' });
    assert.ok(await becomesFocused(add), `after Escape the focus is on ${await whatHasFocus(page)}`);

    for (const [name, port] of [
      ['health', 0],
      ['web', 0],
    ] as const) {
      const r = await cli([
        'forward',
        'add',
        '--local',
        `127.0.0.1:${port}`,
        '--via',
        'b',
        '--remote',
        '127.0.0.1:9',
        '--name',
        name,
        '--home',
        agents.homeA,
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    const health = page.getByRole('switch', { name: 'health', exact: true });
    await health.waitFor();
    assert.equal(await health.isChecked(), true);
    await health.focus();
    await page.keyboard.press('Space');
    await page.getByRole('row', { name: 'health' }).getByText('off', { exact: true }).waitFor();
    assert.equal(await health.isChecked(), false);
    assert.equal(await page.getByRole('switch', { name: /on$/ }).count(), 0, 'no switch is named "… on"');

    // Forced colours: on and off look different (the track is not a background alone).
    await page.emulateMedia({ forcedColors: 'active' });
    const web = page.getByRole('switch', { name: 'web', exact: true });
    const look = (l: typeof web) => styleOf(l, ['backgroundColor', 'borderTopColor', 'borderTopWidth']);
    assert.notEqual(await look(health), await look(web), 'forced colours: off and on differ');
    assert.notEqual((await look(health)).split(' ').at(-1), '0px', 'the track has an edge');
    await screenshot(page, 'a11y-forced-forwards');
    await page.emulateMedia({ forcedColors: 'none' });

    // Removing a row gives the focus to the next row's switch, then to "Add forward".
    await page.getByRole('button', { name: 'Remove forward health', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click();
    await health.waitFor({ state: 'detached' });
    assert.ok(await becomesFocused(web), `after removing health the focus is on ${await whatHasFocus(page)}`);
    await page.getByRole('button', { name: 'Remove forward web', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click();
    await web.waitFor({ state: 'detached' });
    assert.ok(
      await becomesFocused(add),
      `after removing the last the focus is on ${await whatHasFocus(page)}`,
    );
    assert.deepEqual(A.errors, []);
  },
);

test(
  'Settings: a relay URL error is linked to its field; every Save stays off until something changed',
  { skip: skip ?? false },
  async () => {
    await nav(page, 'Settings').click();
    const url = page.getByLabel('Relay URL');
    await url.fill('not a url');
    await page.getByRole('button', { name: 'Add relay' }).click();
    await until('aria-invalid', async () => (await url.getAttribute('aria-invalid')) === 'true', 10_000);
    const describedBy = await url.getAttribute('aria-describedby');
    assert.ok(describedBy, 'the field names its error');
    const said = await page.locator(`[id="${describedBy}"]`).textContent();
    assert.ok(said && said.length > 0, 'the element it names holds the error');
    const behaviour = page.getByRole('region', { name: 'Behaviour' });
    const save = behaviour.getByRole('button', { name: 'Save' });
    assert.equal(await save.getAttribute('aria-disabled'), 'true', 'nothing changed, nothing to save');
    await page.getByLabel('Terminal resume window (seconds)').fill('75');
    assert.equal(await save.getAttribute('aria-disabled'), 'false');
    await url.fill('');
  },
);

test(
  'forced colours: the current view, and Pair new device or Join with code, are marked by more than a background',
  { skip: skip ?? false },
  async () => {
    await nav(page, 'Pair').click();
    const join = page.getByRole('button', { name: 'Join with code' });
    const pairNew = page.getByRole('button', { name: 'Pair new device' });
    await join.click();
    assert.equal(await join.getAttribute('aria-pressed'), 'true');
    assert.equal(await pairNew.getAttribute('aria-pressed'), 'false');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ forcedColors: 'active', colorScheme: scheme });
      const style = (l: typeof join) => styleOf(l, ['backgroundColor', 'color', 'outlineStyle']);
      assert.notEqual(await style(join), await style(pairNew), `${scheme}: pressed looks like not pressed`);
      assert.notEqual(
        await style(nav(page, 'Pair')),
        await style(nav(page, 'Peers')),
        `${scheme}: the current view looks like the others`,
      );
      await screenshot(page, `a11y-forced-${scheme}-pair-join`);
    }
    await page.emulateMedia({ forcedColors: 'none', colorScheme: 'light' });
    // A join cancelled goes back to the view's main action, not to an unmarked <main>.
    await page.getByLabel('Code', { exact: true }).fill('AAAA-BBBB-CCCC');
    await pairNew.click();
    const cancel = page.getByRole('button', { name: 'Cancel' });
    await page.getByLabel('Pairing code', { exact: true }).waitFor({ timeout: 15_000 });
    await cancel.click();
    await cancel.waitFor({ state: 'detached' });
    assert.ok(await becomesFocused(pairNew), `after Cancel the focus is on ${await whatHasFocus(page)}`);
  },
);

test(
  'Approvals: answering a request moves the focus to the next one, then to the heading; toasts say only the newest',
  { skip: skip ?? false },
  async () => {
    const joiners: Promise<unknown>[] = [];
    for (const name of ['c', 'd']) {
      const home = tempHome(`e2e-a11y-${name}`);
      await startRelayAgent(home, name, relayUrl);
      const { code } = await cliJson<{ code: string }>(['pair', 'new', '--home', agents.homeA]);
      joiners.push(pairJoinAwaitingDecision(code, home));
      await until(
        `${name} pending`,
        async () => (await agentCall(agents.homeA, 'pending.list', {})).some((p) => p.name === name),
        15_000,
      );
    }
    await nav(page, 'Approvals').click();
    const c = card(page, 'c');
    const d = card(page, 'd');
    await c.waitFor();
    await d.waitFor();
    await screenshotThemes(page, 'a11y-approvals-two');
    await c.getByRole('button', { name: 'Reject' }).click();
    await c.waitFor({ state: 'detached' });
    const dHeading = d.getByRole('heading', { name: 'd' });
    assert.ok(
      await becomesFocused(dHeading),
      `after rejecting c the focus is on ${await whatHasFocus(page)}`,
    );
    await d.getByRole('button', { name: 'Reject' }).click();
    await d.waitFor({ state: 'detached' });
    const heading = page.getByRole('heading', { name: 'Approvals', level: 1 });
    assert.ok(await becomesFocused(heading), `after rejecting d the focus is on ${await whatHasFocus(page)}`);
    const ring = await styleOf(heading, ['outlineStyle']);
    assert.notEqual(ring, 'none', 'the heading shows that it has the focus');
    await screenshotThemes(page, 'a11y-approvals-focus');

    // Two toasts are on show; only the newest is in a live region, and each Dismiss names its toast.
    await page.getByRole('button', { name: 'Dismiss: d rejected' }).waitFor();
    await page.getByRole('button', { name: 'Dismiss: c rejected' }).waitFor();
    const live = page.locator('[role="status"], [role="alert"], [aria-live]:not([aria-live="off"])');
    const texts = (await live.allTextContents()).filter((t) => /rejected/.test(t));
    assert.deepEqual(texts, ['d rejected']);
    await Promise.all(joiners);
  },
);

/** The fields in the view whose placeholder is wider than the room inside them (shown cut short). */
function cutPlaceholders(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const ctx = document.createElement('canvas').getContext('2d');
    return [...document.querySelectorAll('main input[placeholder]')].filter((el) => {
      const s = getComputedStyle(el);
      ctx.font = s.font;
      const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
      return ctx.measureText(el.placeholder).width > room + 0.5;
    }).map((el) => el.placeholder + ' (' + el.clientWidth + ' px)');
  })()`);
}

test('at 320×640 no view scrolls sideways, a long peer name included', { skip: skip ?? false }, async () => {
  const r = await cli(['peers', 'rename', 'b', LONG, '--home', agents.homeA]);
  assert.equal(r.code, 0, r.stderr);
  await nav(page, 'Peers').click();
  const longCard = card(page, LONG);
  await longCard.waitFor();
  for (const width of [800, 390, 320]) {
    await page.setViewportSize({ width, height: 640 });
    await laidOut(page);
    const [h, c] = await Promise.all([
      longCard.getByRole('heading', { name: LONG }).boundingBox(),
      longCard.boundingBox(),
    ]);
    assert.ok(h && c && h.x + h.width <= c.x + c.width + 0.5, `${width} px: the name runs past its card`);
  }
  await screenshotThemes(page, 'a11y-longname-320');
  const sideways = () =>
    page.evaluate<[number, number]>(
      `(() => { const m = document.querySelector('main'); return [m.scrollWidth, m.clientWidth]; })()`,
    );
  for (const view of VIEWS) {
    await openView(page, view);
    const [scroll, client] = await sideways();
    assert.ok(scroll <= client, `${view} at 320 px: main scrollWidth ${scroll} > clientWidth ${client}`);
  }
  // Forms open, after a failed submit.
  await nav(page, 'Forwards').click();
  await page.getByRole('button', { name: 'Add forward' }).click();
  await page.getByRole('form', { name: 'Add forward' }).getByRole('button', { name: 'Add forward' }).click();
  await laidOut(page);
  let [scroll, client] = await sideways();
  assert.ok(scroll <= client, `Add forward at 320 px: ${scroll} > ${client}`);
  await screenshotThemes(page, 'a11y-forwards-add-320');
  await nav(page, 'Pair').click();
  await page.getByRole('button', { name: 'Pair new device' }).click();
  await page.getByLabel('Pairing code', { exact: true }).waitFor({ timeout: 15_000 });
  [scroll, client] = await sideways();
  assert.ok(scroll <= client, `Pair new device at 320 px: ${scroll} > ${client}`);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await nav(page, 'Settings').click();
  await screenshotThemes(page, 'a11y-settings-320');

  // At a phone's width the fields have room for what they hold: no placeholder is cut short, a typed
  // code shows whole, and the views are a row of named buttons across the top, all on screen.
  for (const width of [390, 320]) {
    await page.setViewportSize({ width, height: 700 });
    await laidOut(page);
    for (const view of VIEWS) {
      const entry = nav(page, view);
      const b = (await entry.boundingBox())!;
      assert.ok(b.x >= 0 && b.x + b.width <= width, `${view} at ${width} px is on screen`);
    }
    const main = (await page.getByRole('main').boundingBox())!;
    assert.ok(main.width >= width - 1, `the view takes the whole width at ${width} px, not ${main.width}`);
    await nav(page, 'Forwards').click();
    await page.getByRole('button', { name: 'Add forward' }).first().click();
    assert.deepEqual(await cutPlaceholders(page), [], `Add forward at ${width} px`);
    await screenshotThemes(page, `a11y-forwards-add-${width}`);
    await nav(page, 'Settings').click();
    assert.deepEqual(await cutPlaceholders(page), [], `Settings at ${width} px`);
    await screenshotThemes(page, `a11y-settings-fields-${width}`);
    await nav(page, 'Pair').click();
    await page.getByRole('button', { name: 'Join with code' }).click();
    assert.deepEqual(await cutPlaceholders(page), [], `Join with code at ${width} px`);
    const code = page.getByLabel('Code', { exact: true });
    await code.fill('K7QX-M2RT-9WZA');
    const [scroll, client] = await code.evaluate((el) => [el.scrollWidth, el.clientWidth]);
    assert.ok(scroll <= client, `the whole code shows at ${width} px: ${scroll} > ${client}`);
    await screenshotThemes(page, `a11y-join-${width}`);
    await code.fill('');
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  const back = await cli(['peers', 'rename', LONG, 'b', '--home', agents.homeA]);
  assert.equal(back.code, 0, back.stderr);
  await nav(page, 'Peers').click();
  await card(page, 'b').waitFor();
});

test(
  'a peer going offline is said once in the view’s live region, not on first render',
  { skip: skip ?? false },
  async () => {
    await nav(page, 'Settings').click();
    await nav(page, 'Peers').click();
    const region = page.locator('main p.visually-hidden[role="status"]');
    await region.waitFor({ state: 'attached' });
    await sleep(1_500, 'nothing may be said for the first render within this window');
    assert.equal(await region.textContent(), '', 'nothing said for the first render');
    await agents.b.stop();
    await waitForText(region, /^b is (offline|unreachable)$/, 30_000);
  },
);

test(
  'an agent that went away: after a while the banner says to run clawbridge ui, and the view is not busy forever',
  { skip: skip ?? false },
  async () => {
    await agents.a.stop();
    const banner = page.getByRole('status').filter({ hasText: 'unreachable' });
    await banner.waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('main').getAttribute('aria-busy'), 'true', 'busy at first');
    await waitForText(banner, /may have restarted on another address: run clawbridge ui/, 20_000);
    assert.equal(await banner.getByRole('code').textContent(), 'clawbridge ui');
    assert.equal(await page.locator('main').getAttribute('aria-busy'), 'false');
    await screenshotThemes(page, 'a11y-agent-moved');
  },
);
